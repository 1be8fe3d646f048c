package api

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/policy"
)

func (h *Handler) policyRoutes() []route {
	return []route{
		{method: "GET", path: "/policy", h: h.showPolicy,
			doc: op{summary: "The shop's care-first policy (the defaults until one is stored)", tag: "policy", resp: policy.Policy{}}},
		{method: "PUT", path: "/policy", h: h.putPolicy,
			doc: op{summary: "Replace the shop's care-first policy as a whole: absent fields take their defaults (not the stored values); " +
				"every bad field is named (422)", tag: "policy", body: policy.Policy{}, resp: policy.Policy{}, errors: []int{422}}},
		{method: "GET", path: "/notifications", h: h.listNotifications,
			doc: op{summary: "Notifications to the shop (e.g. a journey paused by the annoyance brake), newest first", tag: "policy",
				resp:  httpx.List[policy.Notification]{},
				query: []param{{"limit", "1 to 200, default 50"}, {"cursor", "next_cursor of the previous page"}}}},
	}
}

func (h *Handler) showPolicy(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Policies.Get(r.Context(), h.DB, shopFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, p)
}

func (h *Handler) putPolicy(w http.ResponseWriter, r *http.Request) error {
	// Decoding onto the defaults is what makes absent fields take them.
	p := policy.Defaults()
	if err := httpx.DecodeJSON(w, r, &p); err != nil {
		return err
	}
	p, err := h.Policies.Put(r.Context(), shopFrom(r.Context()).ID, p)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, p)
}

type notificationCursor struct {
	Before string `json:"b"`
}

func (h *Handler) listNotifications(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		return err
	}
	var cur notificationCursor
	if _, err := httpx.DecodeCursor(r, &cur); err != nil {
		return err
	}
	items, more, err := policy.Notifications(r.Context(), h.DB, policy.NotificationParams{
		ShopID: shopFrom(r.Context()).ID, BeforeID: cur.Before, Limit: limit})
	if err != nil {
		return err
	}
	out := httpx.List[policy.Notification]{Items: items}
	if more {
		out.NextCursor = httpx.EncodeCursor(notificationCursor{Before: items[len(items)-1].ID})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
