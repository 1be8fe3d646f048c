package api

import (
	"net/http"
	"strings"

	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/message"
)

func (h *Handler) messageRoutes() []route {
	return append([]route{
		{method: "GET", path: "/messages", h: h.listMessages,
			doc: op{summary: "Messages, newest first: scheduled, deferred and suppressed ones with their reason, sent ones with their text",
				tag: "messages", resp: httpx.List[message.Message]{},
				query: []param{{"customer_id", "only this customer's"}, {"status", "e.g. sent, deferred, suppressed"},
					{"purpose", "transactional, care, info or sales"}, {"journey_id", "only this journey's"},
					{"reason", "e.g. frequency_cap, quiet_hours, no_consent"}, {"channel", "the channel it went out on: line, sms, email or postal"},
					{"limit", "1 to 200 (default 50)"}, {"cursor", "next_cursor of the previous page"}}}},
		{method: "GET", path: "/messages/{id}", h: h.showMessage,
			doc: op{summary: "A message", tag: "messages", resp: message.Message{}, errors: []int{404}}},
	}, h.templateRoutes()...)
}

type messageCursor struct {
	ID string `json:"i"`
}

func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		return err
	}
	var cur messageCursor
	if _, err := httpx.DecodeCursor(r, &cur); err != nil {
		return err
	}
	q := r.URL.Query()
	items, more, err := h.Messages.List(r.Context(), message.ListParams{ShopID: shopFrom(r.Context()).ID,
		CustomerID: strings.TrimSpace(q.Get("customer_id")), Status: strings.TrimSpace(q.Get("status")),
		Purpose: strings.TrimSpace(q.Get("purpose")), JourneyID: strings.TrimSpace(q.Get("journey_id")),
		Reason: strings.TrimSpace(q.Get("reason")), Channel: strings.TrimSpace(q.Get("channel")), BeforeID: cur.ID, Limit: limit})
	if err != nil {
		return err
	}
	out := httpx.List[message.Message]{Items: items}
	if more {
		out.NextCursor = httpx.EncodeCursor(messageCursor{ID: items[len(items)-1].ID})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) showMessage(w http.ResponseWriter, r *http.Request) error {
	m, err := h.Messages.ByID(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, m)
}
