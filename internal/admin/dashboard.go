package admin

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kizukai/kizukai/internal/admin/stats"
	"github.com/kizukai/kizukai/internal/shop"
)

// The dashboard's figures are linear in the shop's orders and recent
// messages (stats.Compute: ~2 s for a million customers), so a page view
// of a large shop reads the last computed snapshot and refreshes it in the
// background when it is older than dashboardMaxAge; a shop under
// DashboardLiveLimit customers is computed on every view (milliseconds),
// so a small shop always sees its latest order.
const (
	// DashboardLiveLimit is the default number of customers under which the
	// dashboard is computed on every view.
	DashboardLiveLimit = 20000
	dashboardMaxAge    = 10 * time.Minute
	dashboardTimeout   = 5 * time.Minute
)

// dashboardView is the landing page: the shop's figures as server-rendered
// SVG charts, each with a table of the same numbers for screen readers.
type dashboardView struct {
	page
	S          stats.Summary
	Live       bool // computed for this view (else: the snapshot of S.At)
	Refreshing bool // a newer snapshot is being computed
	Repeat     string
	F2         []rateRow
	F2Chart    chart
	Care       string
	CSAT, NPS  string
	Responses  int
	Bands      chart
	Messages   stackedChart
	Orders     columnsChart
	Sent       columnsChart
	CareLine   lineChart
	CSATLine   lineChart
	Weeks      []weekRow
	OptOuts    stackedChart
	Journeys   []journeyRate
	Tickets    stats.Tickets
	Kinds      chart
	Empty      bool // no customers yet: show how to start
}

// rateRow is one rate with the counts it comes from, for the tables.
type rateRow struct {
	Label, Rate string
	Part, Whole int
}

// weekRow is one week of the series, for the table under the charts.
type weekRow struct {
	Week                 string
	FirstOrders, Repeats int
	Sent                 int
	Care, CSAT, NPS      string
	Responses            int
}

// journeyRate is one journey's opt-out figures.
type journeyRate struct {
	ID, Name, Status, Rate string
	Sends, OptOuts         int
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request, v *visit) error {
	s, live, refreshing, err := h.dashboardSummary(r.Context(), v.Shop)
	if err != nil {
		return err
	}
	tickets, err := stats.LoadTickets(r.Context(), h.DB, v.Shop.ID, h.Clock.Now())
	if err != nil {
		return err
	}
	l, loc := v.L, v.Shop.Location()
	dv := dashboardView{page: h.newPage(r, v, "dashboard.title", "nav.dashboard"), S: s, Live: live, Refreshing: refreshing,
		Tickets: tickets, Empty: s.Customers == 0}
	dv.Repeat = ratePct(s.RepeatRate())
	var f2Labels []string
	var f2Rates []*float64
	for _, f := range s.F2 {
		rate := stats.Rate(f.Converted, f.Eligible)
		dv.F2 = append(dv.F2, rateRow{Label: l.Tf("dashboard.f2_days", f.Days), Rate: ratePct(rate), Part: f.Converted, Whole: f.Eligible})
		f2Labels = append(f2Labels, l.Tf("dashboard.f2_days", f.Days))
		f2Rates = append(f2Rates, rate)
	}
	dv.F2Chart = percentChart(l, f2Labels, f2Rates, "rate")
	dv.Care = ratePct(s.CareShare())
	dv.Responses = s.Survey.Responses
	dv.CSAT, dv.NPS = "—", "—"
	if a := s.Survey.CSAT.Average; a != nil {
		dv.CSAT = strconv.FormatFloat(*a, 'f', 2, 64)
	}
	if n := s.Survey.NPS.Score; n != nil {
		dv.NPS = strconv.FormatFloat(*n, 'f', 1, 64)
	}

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

	h.dashboardWeeks(&dv, l, loc)

	var jrows []stackRow
	for _, j := range s.Journeys {
		name := j.Name
		dv.Journeys = append(dv.Journeys, journeyRate{ID: j.ID, Name: name, Status: l.T("journeys.status." + j.Status),
			Rate: ratePct(stats.Rate(j.OptOuts, j.Sends)), Sends: j.Sends, OptOuts: j.OptOuts})
		jrows = append(jrows, stackRow{Label: name, Parts: []int{j.OptOuts, j.Sends - j.OptOuts}})
	}
	dv.OptOuts = stackChartAt(l, jrows, []legendItem{{Label: l.T("dashboard.optouts"), Class: "st-failed"}, {Label: l.T("dashboard.kept"), Class: "st-sent"}}, 190)

	var kinds []bar
	for _, k := range stats.TicketKinds {
		kinds = append(kinds, bar{Label: l.T("kind." + k), Value: tickets.ByKind[k], Class: "kind"})
	}
	dv.Kinds = columnChart(l, kinds)
	return h.render(w, http.StatusOK, "dashboard", dv)
}

// dashboardWeeks builds the twelve weeks' charts and table.
func (h *Handler) dashboardWeeks(dv *dashboardView, l Lang, loc *time.Location) {
	s := dv.S
	var orders, sent []column
	var care, csat []point
	surveyWeek := map[string]int{}
	for i, w := range s.Survey.Weeks {
		surveyWeek[w.WeekStart] = i
	}
	for _, w := range s.Weeks {
		start := w.Start.In(loc)
		short := strconv.Itoa(int(start.Month())) + "/" + strconv.Itoa(start.Day())
		long := l.Date(start, loc)
		orders = append(orders, column{Label: short, Long: long, Parts: []int{w.FirstOrders, w.RepeatOrders}})
		var parts []int
		total := 0
		for _, p := range sentPurposes {
			parts = append(parts, w.Sent[p])
			total += w.Sent[p]
		}
		sent = append(sent, column{Label: short, Long: long, Parts: parts})
		row := weekRow{Week: long, FirstOrders: w.FirstOrders, Repeats: w.RepeatOrders, Sent: total, Care: ratePct(w.CareShare()), CSAT: "—", NPS: "—"}
		cp := point{Label: short, Long: long}
		if r := w.CareShare(); r != nil {
			cp.Value, cp.Has = *r*100, true
		}
		care = append(care, cp)
		sp := point{Label: short, Long: long}
		if i, ok := surveyWeek[start.Format(time.DateOnly)]; ok {
			sw := s.Survey.Weeks[i]
			row.Responses = sw.Responses
			if sw.CSATAverage != nil {
				sp.Value, sp.Has = *sw.CSATAverage, true
				row.CSAT = strconv.FormatFloat(*sw.CSATAverage, 'f', 2, 64)
			}
			if sw.NPS != nil {
				row.NPS = strconv.FormatFloat(*sw.NPS, 'f', 1, 64)
			}
		}
		csat = append(csat, sp)
		dv.Weeks = append(dv.Weeks, row)
	}
	dv.Orders = stackedColumns(l, orders, []legendItem{{Label: l.T("dashboard.first_orders"), Class: "ord-first"}, {Label: l.T("dashboard.repeat_orders"), Class: "ord-repeat"}})
	var legend []legendItem
	for _, p := range sentPurposes {
		legend = append(legend, legendItem{Label: l.T("purpose." + p), Class: "pur-" + p})
	}
	dv.Sent = stackedColumns(l, sent, legend)
	pct := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + "%" }
	dv.CareLine = linesChart(care, 0, 100, []float64{0, 25, 50, 75, 100}, pct,
		func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }, "line-care")
	two := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	dv.CSATLine = linesChart(csat, 1, 5, []float64{1, 2, 3, 4, 5}, func(v float64) string { return strconv.Itoa(int(v)) }, two, "line-csat")
}

// sentPurposes are the purposes of the weekly sent-messages chart, care
// first (the share the shop should keep high).
var sentPurposes = []string{"care", "info", "sales", "transactional"}

// ratePct formats a rate, "—" without one.
func ratePct(r *float64) string {
	if r == nil {
		return "—"
	}
	return percent(*r)
}

// dashboardSummary returns the figures to show: computed now for a small
// shop or when none are stored; else the stored snapshot, refreshed in the
// background once it is older than dashboardMaxAge.
func (h *Handler) dashboardSummary(ctx context.Context, sh shop.Shop) (s stats.Summary, live, refreshing bool, err error) {
	s, ok, err := stats.Stored(ctx, h.DB, sh.ID)
	if err != nil {
		return stats.Summary{}, false, false, err
	}
	if !ok || s.Customers < h.dashboardLiveLimit() {
		s, err = h.computeDashboard(ctx, sh)
		return s, true, false, err
	}
	if h.Clock.Now().Sub(s.At) > dashboardMaxAge {
		refreshing = h.refreshDashboard(sh)
	}
	return s, false, refreshing, nil
}

func (h *Handler) dashboardLiveLimit() int {
	if h.DashboardLive != 0 {
		return h.DashboardLive
	}
	return DashboardLiveLimit
}

// computeDashboard computes the shop's figures and stores them as its
// snapshot.
func (h *Handler) computeDashboard(ctx context.Context, sh shop.Shop) (stats.Summary, error) {
	s, err := stats.Compute(ctx, h.DB, h.Surveys, sh.ID, h.Clock.Now(), sh.Location())
	if err != nil {
		return stats.Summary{}, err
	}
	if err := stats.Save(ctx, h.DB, sh.ID, s); err != nil {
		return stats.Summary{}, err
	}
	return s, nil
}

// refreshDashboard starts computing a new snapshot of the shop unless one
// is already being computed by this process; it reports whether a refresh
// is running. The work outlives the request (it is only a cache: a crash
// loses nothing) and is bounded by dashboardTimeout.
func (h *Handler) refreshDashboard(sh shop.Shop) bool {
	h.dashMu.Lock()
	defer h.dashMu.Unlock()
	if h.dashRefreshing == nil {
		h.dashRefreshing = map[string]bool{}
	}
	if h.dashRefreshing[sh.ID] {
		return true
	}
	h.dashRefreshing[sh.ID] = true
	h.dashWG.Add(1)
	go func() {
		defer h.dashWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), dashboardTimeout)
		defer cancel()
		if _, err := h.computeDashboard(ctx, sh); err != nil {
			h.Log.Error("dashboard refresh", "shop", sh.ID, "err", err)
		}
		h.dashMu.Lock()
		delete(h.dashRefreshing, sh.ID)
		h.dashMu.Unlock()
	}()
	return true
}

// statusGroups fold the nine message statuses into what a shop asks: did
// it go out, is it waiting, did care hold it back, did it fail.
var statusGroups = []struct {
	key, class string
	statuses   []string
}{
	{"status.group.sent", "st-sent", stats.SentStatuses},
	{"status.group.waiting", "st-waiting", []string{"scheduled", "deferred", "sending"}},
	{"status.group.suppressed", "st-suppressed", []string{"suppressed"}},
	{"status.group.failed", "st-failed", []string{"failed"}},
}
