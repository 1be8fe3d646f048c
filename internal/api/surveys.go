package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/survey"
)

func (h *Handler) surveyRoutes() []route {
	return []route{
		{method: "GET", path: "/surveys/{id}/results", h: h.surveyResults,
			doc: op{summary: "A survey's results: answer counts, CSAT average and distribution, NPS, by week (the built-in post-purchase survey's ID is post_purchase)",
				tag: "surveys", resp: survey.Results{}, errors: []int{404, 422},
				query: []param{
					{"from", "RFC 3339; default: 12 weeks before to"},
					{"to", "RFC 3339, exclusive; default: the end of the current week (Monday 00:00 in the shop's time zone); at most 366 days after from"},
				}}},
	}
}

// queryTime reads an optional RFC 3339 query parameter (400 naming it when
// it does not parse).
func queryTime(r *http.Request, name string) (time.Time, error) {
	s := strings.TrimSpace(r.URL.Query().Get(name))
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &errs.Error{Kind: errs.ErrMalformed, Code: "invalid_time", Message: "a time must be RFC 3339",
			Fields: map[string]string{name: "an RFC 3339 time such as 2026-11-23T00:00:00+09:00"}}
	}
	return t, nil
}

func (h *Handler) surveyResults(w http.ResponseWriter, r *http.Request) error {
	from, err := queryTime(r, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(r, "to")
	if err != nil {
		return err
	}
	res, err := h.Surveys.Results(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"), survey.ResultsParams{From: from, To: to})
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, res)
}
