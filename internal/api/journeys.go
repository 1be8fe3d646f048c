package api

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/journey"
)

func (h *Handler) journeyRoutes() []route {
	const tag = "journeys"
	return []route{
		{method: "GET", path: "/journeys", h: h.listJourneys,
			doc: op{summary: "List the shop's journeys (built-in and own) in ID order, each with its newest definition", tag: tag,
				resp:  httpx.List[journey.Journey]{},
				query: []param{{"limit", "1 to 200, default 50"}, {"cursor", "next_cursor of the previous page"}}}},
		{method: "POST", path: "/journeys", h: h.createJourney,
			doc: op{summary: "Create a journey (version 1) as a draft or active; an active one must name existing templates", tag: tag,
				body: journey.Input{}, resp: journey.Journey{}, status: http.StatusCreated, errors: []int{422}}},
		{method: "GET", path: "/journeys/{id}", h: h.showJourney,
			doc: op{summary: "A journey with its figures: active runs, messages by status, suppressions by reason, opt-out rate", tag: tag,
				resp: journey.Details{}, errors: []int{404}}},
		{method: "PUT", path: "/journeys/{id}", h: h.updateJourney,
			doc: op{summary: "Store a new version of the journey's definition: runs in flight finish on their version, new runs use this one", tag: tag,
				body: journey.Definition{}, resp: journey.Journey{}, errors: []int{404, 422}}},
		{method: "POST", path: "/journeys/{id}/activate", h: h.activateJourney,
			doc: op{summary: "Activate the journey (clears paused_reason); every template it names must exist", tag: tag,
				resp: journey.Journey{}, errors: []int{404, 422}}},
		{method: "POST", path: "/journeys/{id}/pause", h: h.pauseJourney,
			doc: op{summary: "Pause the journey: no new runs; messages of runs in flight are suppressed (journey_paused) when due", tag: tag,
				resp: journey.Journey{}, errors: []int{404}}},
		{method: "POST", path: "/journeys/{id}/dry-run", h: h.dryRunJourney,
			doc: op{summary: "What a customer would receive from this journey and when, with the policy's verdict; writes nothing", tag: tag,
				body: journey.DryRunInput{}, resp: []journey.DryRunItem{}, errors: []int{404, 422}}},
	}
}

type journeyCursor struct {
	After string `json:"a"`
}

func (h *Handler) listJourneys(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		return err
	}
	var cur journeyCursor
	if _, err := httpx.DecodeCursor(r, &cur); err != nil {
		return err
	}
	items, more, err := h.Journeys.List(r.Context(), journey.ListParams{ShopID: shopFrom(r.Context()).ID, AfterID: cur.After, Limit: limit})
	if err != nil {
		return err
	}
	out := httpx.List[journey.Journey]{Items: items}
	if more {
		out.NextCursor = httpx.EncodeCursor(journeyCursor{After: items[len(items)-1].ID})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) createJourney(w http.ResponseWriter, r *http.Request) error {
	var in journey.Input
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	j, err := h.Journeys.Create(r.Context(), shopFrom(r.Context()).ID, in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, j)
}

func (h *Handler) showJourney(w http.ResponseWriter, r *http.Request) error {
	d, err := h.Journeys.Details(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, d)
}

func (h *Handler) updateJourney(w http.ResponseWriter, r *http.Request) error {
	var def journey.Definition
	if err := httpx.DecodeJSON(w, r, &def); err != nil {
		return err
	}
	j, err := h.Journeys.Update(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"), def)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, j)
}

func (h *Handler) activateJourney(w http.ResponseWriter, r *http.Request) error {
	j, err := h.Journeys.Activate(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, j)
}

func (h *Handler) pauseJourney(w http.ResponseWriter, r *http.Request) error {
	j, err := h.Journeys.Pause(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, j)
}

func (h *Handler) dryRunJourney(w http.ResponseWriter, r *http.Request) error {
	var in journey.DryRunInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	items, err := h.Journeys.DryRun(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, items)
}
