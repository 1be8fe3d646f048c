package api

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/httpx"
)

// recallRoutes start and show recalls (SPEC C11).
func (h *Handler) recallRoutes() []route {
	c := campaignsAPI{svc: h.Delivery}
	return []route{
		{method: "POST", path: "/recalls", h: c.createRecall,
			doc: op{summary: "Start a recall: a transactional notice to every customer who bought the SKU (in the purchase window), " +
				"one message per customer through the normal sending path; consent is not needed, quiet hours apply. " +
				"Messages are planned in the background (status targeting, then done)",
				tag: "recalls", body: delivery.RecallInput{}, resp: delivery.Campaign{}, status: http.StatusCreated, errors: []int{413, 422}}},
		{method: "GET", path: "/recalls/{id}", h: c.showRecall,
			doc: op{summary: "A recall with targeted, sent, delivered, acknowledged and unreachable counts", tag: "recalls",
				resp: delivery.Campaign{}, errors: []int{404}}},
	}
}

// campaignsAPI serves recalls and broadcasts.
type campaignsAPI struct{ svc *delivery.Service }

func (c campaignsAPI) createRecall(w http.ResponseWriter, r *http.Request) error {
	var in delivery.RecallInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := c.svc.CreateRecall(r.Context(), shopFrom(r.Context()).ID, in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, out)
}

func (c campaignsAPI) showRecall(w http.ResponseWriter, r *http.Request) error {
	out, err := c.svc.Campaign(r.Context(), shopFrom(r.Context()).ID, delivery.KindRecall, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
