package admin

import (
	"net/http"
	"time"

	"github.com/kizukai/kizukai/internal/admin/stats"
)

// dashboardPeriod is the messages' window on the dashboard.
const dashboardPeriod = 30 * 24 * time.Hour

// dashboardView is the landing page: the shop's figures as server-rendered
// SVG charts, each with a table of the same numbers for screen readers.
// The full dashboard (F2, repeat rate, CSAT/NPS, care share, over time)
// adds charts here from more stats figures.
type dashboardView struct {
	page
	Customers int
	Bands     chart
	Messages  stackedChart
	Tickets   stats.Tickets
	Kinds     chart
	Since     time.Time
	Empty     bool // no customers yet: show how to start
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, v *visit) error {
	s, err := stats.Load(r.Context(), h.DB, v.Shop.ID, h.Clock.Now(), dashboardPeriod)
	if err != nil {
		return err
	}
	l := v.L
	dv := dashboardView{page: h.newPage(r, v, "dashboard.title", "nav.dashboard"), Customers: s.Customers, Tickets: s.Tickets,
		Since: s.Since, Empty: s.Customers == 0}
	var bars []bar
	for _, b := range append(append([]string{}, stats.Bands...), "") {
		key := "band." + b
		if b == "" {
			key = "band.none"
		}
		bars = append(bars, bar{Label: l.T(key), Value: s.Bands[b], Class: "band-" + b})
	}
	dv.Bands = columnChart(l, bars)
	var rows []stackRow
	for _, p := range stats.Purposes {
		row := stackRow{Label: l.T("purpose." + p)}
		for _, g := range statusGroups {
			n := 0
			for _, st := range g.statuses {
				n += s.Messages[p][st]
			}
			row.Parts = append(row.Parts, n)
		}
		rows = append(rows, row)
	}
	var legend []legendItem
	for _, g := range statusGroups {
		legend = append(legend, legendItem{Label: l.T(g.key), Class: g.class})
	}
	dv.Messages = stackChart(l, rows, legend)
	var kinds []bar
	for _, k := range stats.TicketKinds {
		kinds = append(kinds, bar{Label: l.T("kind." + k), Value: s.Tickets.ByKind[k], Class: "kind"})
	}
	dv.Kinds = columnChart(l, kinds)
	return h.render(w, http.StatusOK, "dashboard", dv)
}

// statusGroups fold the nine message statuses into what a shop asks: did
// it go out, is it waiting, did care hold it back, did it fail.
var statusGroups = []struct {
	key, class string
	statuses   []string
}{
	{"status.group.sent", "st-sent", []string{"sent", "delivered", "opened", "clicked"}},
	{"status.group.waiting", "st-waiting", []string{"scheduled", "deferred", "sending"}},
	{"status.group.suppressed", "st-suppressed", []string{"suppressed"}},
	{"status.group.failed", "st-failed", []string{"failed"}},
}
