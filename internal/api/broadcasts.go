package api

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/httpx"
)

// broadcastRoutes start and show broadcasts to a segment (SPEC C12).
func (h *Handler) broadcastRoutes() []route {
	c := campaignsAPI{svc: h.Delivery}
	return []route{
		{method: "POST", path: "/broadcasts", h: c.createBroadcast,
			doc: op{summary: "Start a broadcast (info or sales) to a segment: all customers, a tag or a freshness band. " +
				"Each message goes through the care-first policy (consent, caps, quiet hours)",
				tag: "broadcasts", body: delivery.BroadcastInput{}, resp: delivery.Campaign{}, status: http.StatusCreated, errors: []int{413, 422}}},
		{method: "GET", path: "/broadcasts/{id}", h: c.showBroadcast,
			doc: op{summary: "A broadcast with its counts", tag: "broadcasts", resp: delivery.Campaign{}, errors: []int{404}}},
	}
}

func (c campaignsAPI) createBroadcast(w http.ResponseWriter, r *http.Request) error {
	var in delivery.BroadcastInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := c.svc.CreateBroadcast(r.Context(), shopFrom(r.Context()).ID, in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, out)
}

func (c campaignsAPI) showBroadcast(w http.ResponseWriter, r *http.Request) error {
	out, err := c.svc.Campaign(r.Context(), shopFrom(r.Context()).ID, delivery.KindBroadcast, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
