package api

import (
	"net/http"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
)

func (h *Handler) systemRoutes() []route {
	rs := []route{
		{method: "GET", path: "/openapi.json", public: true, h: h.showOpenAPI,
			doc: op{summary: "This OpenAPI 3.1 document", tag: "system", resp: map[string]any{}}},
	}
	if h.Sim != nil {
		rs = append(rs, route{method: "POST", path: "/clock/advance", h: h.advanceClock,
			doc: op{summary: "Move the simulated clock and run every job due up to the new time (only with --clock simulated)",
				tag: "system", body: advanceRequest{}, resp: advanceResponse{}, errors: []int{422}}})
	}
	return rs
}

func (h *Handler) showOpenAPI(w http.ResponseWriter, r *http.Request) error {
	return httpx.WriteJSON(w, http.StatusOK, h.openAPI())
}

type advanceRequest struct {
	By string     `json:"by,omitempty" doc:"a Go duration such as 72h or 90m"`
	To *time.Time `json:"to,omitempty" doc:"an RFC 3339 time not before now"`
}

type advanceResponse struct {
	Now time.Time `json:"now"`
}

// advanceClock moves the simulated clock and returns once every job due up
// to the new time has run (SPEC §7).
func (h *Handler) advanceClock(w http.ResponseWriter, r *http.Request) error {
	var req advanceRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	now := h.Sim.Now()
	var to time.Time
	switch {
	case req.By != "" && req.To != nil:
		return errs.Invalid("by", "give either by or to, not both")
	case req.By != "":
		d, err := time.ParseDuration(req.By)
		if err != nil || d < 0 {
			return errs.Invalid("by", "a non-negative duration such as 72h or 90m")
		}
		if d > 5*365*24*time.Hour {
			return errs.Invalid("by", "at most five years at a time")
		}
		to = now.Add(d)
	case req.To != nil:
		if req.To.Before(now) {
			return errs.Invalid("to", "the simulated clock never moves back; now is "+now.Format(time.RFC3339))
		}
		to = *req.To
	default:
		return errs.Invalid("by", "give by (a duration) or to (an RFC 3339 time)")
	}
	if err := h.Runner.AdvanceTo(r.Context(), h.Sim, to); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, advanceResponse{Now: h.Sim.Now()})
}
