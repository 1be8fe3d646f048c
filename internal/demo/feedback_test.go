package demo

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
	"unicode"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/ticket"
)

// TestPlanFeedback checks the planned survey answers and support tickets
// of the default demo: their counts, times and content.
func TestPlanFeedback(t *testing.T) {
	t.Parallel()
	p := NewPlan(DefaultSeed, planEnd, DefaultCustomers)
	low := 0
	for _, a := range p.Answers {
		if survey.Low(a.CSAT, a.NPS) {
			low++
		}
	}
	// The default demo, pinned: a change here changes what newcomers see.
	if len(p.Answers) != 174 || len(p.Tickets) != 8 || low != 10 {
		t.Errorf("%d answers (%d low) and %d tickets; want 174 (10 low) and 8", len(p.Answers), low, len(p.Tickets))
	}

	orders := map[string]Order{}
	recent := 0
	for _, o := range p.Orders {
		orders[o.ExternalID] = o
		if o.OrderedAt.After(planEnd.AddDate(0, 0, -7*answerWeeks)) {
			recent++
		}
	}
	if share := float64(len(p.Answers)) / float64(recent); share < 0.3 || share > 0.4 {
		t.Errorf("%d answers to %d orders of the last %d weeks (%.0f %%); want 30 to 40 %%", len(p.Answers), recent, answerWeeks, share*100)
	}
	locale := map[string]string{}
	for _, c := range p.Customers {
		locale[c.ExternalID] = c.Locale
	}
	scores := map[int]int{}
	weeks := map[int]int{}
	answered := map[string]bool{}
	enComments := 0
	for i, a := range p.Answers {
		o, ok := orders[a.OrderExternalID]
		if !ok || o.CustomerExternalID != a.CustomerExternalID || answered[a.OrderExternalID] {
			t.Fatalf("answer %+v: unknown or repeated order, or another customer's", a)
		}
		answered[a.OrderExternalID] = true
		if age := a.At.Sub(o.OrderedAt); age < (answerMinAge-1)*24*time.Hour || age > (answerMaxAge+1)*24*time.Hour || a.At.After(planEnd) {
			t.Errorf("answer to %s at %s, %s after the order", a.OrderExternalID, a.At, age)
		}
		if i > 0 && a.At.Before(p.Answers[i-1].At) {
			t.Errorf("answers out of time order at %d", i)
		}
		in := survey.Answer{CSAT: a.CSAT, NPS: a.NPS, Comment: a.Comment, Locale: a.Locale}
		if err := in.Validate(); err != nil || in.Comment != a.Comment {
			t.Errorf("answer %+v is refused by the survey rules: %v", a, err)
		}
		if a.Locale != locale[a.CustomerExternalID] {
			t.Errorf("answer in %s from a customer with locale %s", a.Locale, locale[a.CustomerExternalID])
		}
		if a.Locale == "en" && a.Comment != "" {
			enComments++
			if slices.ContainsFunc([]rune(a.Comment), func(r rune) bool { return r > unicode.MaxASCII }) {
				t.Errorf("English customer wrote %q", a.Comment)
			}
		}
		if survey.RecoveryKind(a.Comment) != "other" {
			t.Errorf("comment %q would make a mere low score a complaint", a.Comment)
		}
		for _, s := range a.Recovery {
			if !s.At.After(a.At) || s.At.After(planEnd) || !survey.Low(a.CSAT, a.NPS) {
				t.Errorf("recovery %+v of answer at %s", s, a.At)
			}
		}
		scores[a.CSAT]++
		weeks[int(planEnd.Sub(a.At)/(7*24*time.Hour))]++
	}
	if n := len(p.Answers); scores[4]+scores[5] < n*7/10 || scores[3] == 0 || scores[1]+scores[2] == 0 || scores[1]+scores[2] > n/10 {
		t.Errorf("CSAT scores %v: want mostly 4 and 5, some 3 and a few 1 and 2", scores)
	}
	for w := range survey.DefaultWeeks {
		if weeks[w] < 5 {
			t.Errorf("answers per week back %v: want some in each of the dashboard's %d weeks", weeks, survey.DefaultWeeks)
			break
		}
	}
	if enComments == 0 {
		t.Error("no English comment from the English-speaking customers")
	}

	kinds := map[string]bool{}
	status := map[string]int{}
	customers := map[string]bool{}
	for _, tk := range p.Tickets {
		o := orders[tk.OrderExternalID]
		if o.CustomerExternalID != tk.CustomerExternalID || !o.OrderedAt.Before(tk.OpenedAt) || tk.OpenedAt.After(planEnd) || customers[tk.CustomerExternalID] {
			t.Errorf("ticket %q opened at %s by %s about order %+v", tk.Subject, tk.OpenedAt, tk.CustomerExternalID, o)
		}
		customers[tk.CustomerExternalID] = true
		in := ticket.CreateInput{CustomerExternalID: tk.CustomerExternalID, Kind: tk.Kind, Subject: tk.Subject, Body: tk.Body}
		if err := in.Validate(); err != nil {
			t.Errorf("ticket %q is refused by the ticket rules: %v", tk.Subject, err)
		}
		kinds[tk.Kind] = true
		final, at := ticket.StatusOpen, tk.OpenedAt
		for _, s := range tk.Steps {
			if !s.At.After(at) || s.At.After(planEnd) {
				t.Errorf("ticket %q: step at %s after %s", tk.Subject, s.At, at)
			}
			at = s.At
			if s.Status != "" {
				final = s.Status
			}
		}
		status[final]++
	}
	for _, k := range []string{"question", "defect", "complaint", "return", "exchange"} {
		if !kinds[k] {
			t.Errorf("no %s ticket: %v", k, kinds)
		}
	}
	if status[ticket.StatusOpen] != 2 || status[ticket.StatusResolved] != 6 {
		t.Errorf("tickets by final status %v; want 2 open and 6 resolved", status)
	}
}

// TestCreateFeedback makes a demo shop half way, as a run that stopped
// after some survey answers and tickets would leave it, and checks that
// Create completes it with every planned answer and ticket once, at its
// planned time.
func TestCreateFeedback(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ctx := context.Background()
		const size = 120
		s, err := ensureShop(ctx, d, b.clk.Now(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.InsertValue(ctx, d, seedKey(s.ID), fmt.Sprintf("%d/%d", DefaultSeed, size), b.clk.Now()); err != nil {
			t.Fatal(err)
		}
		plan := NewPlan(DefaultSeed, s.CreatedAt, size)
		if err := putProducts(ctx, b.deps.Products, s.ID, plan.Products); err != nil {
			t.Fatal(err)
		}
		if _, err := putCustomers(ctx, b.deps, s.ID, plan.Customers); err != nil {
			t.Fatal(err)
		}
		_, orderIDs, err := putOrders(ctx, b.deps.Orders, s.ID, plan.Orders)
		if err != nil {
			t.Fatal(err)
		}
		// Half the answers, the tickets of their low scores opened but not
		// yet handled; half the support tickets.
		half := slices.Clone(plan.Answers[:len(plan.Answers)/2])
		lowInHalf := 0
		for i := range half {
			if len(half[i].Recovery) > 0 {
				half[i].Recovery = nil
				lowInHalf++
			}
		}
		if lowInHalf == 0 {
			t.Fatal("the first half of the answers has no low score: the test would not resume a recovery")
		}
		fb := newFeedback(b.deps, s.ID)
		if err := fb.putAnswers(ctx, half, orderIDs); err != nil {
			t.Fatal(err)
		}
		if err := fb.putTickets(ctx, plan.Tickets[:len(plan.Tickets)/2]); err != nil {
			t.Fatal(err)
		}

		res, err := Create(ctx, b.deps, Options{Customers: size})
		if err != nil {
			t.Fatal(err)
		}
		if res.Existed || res.Answers != len(plan.Answers) || res.Tickets != len(plan.Tickets) {
			t.Fatalf("resumed: %+v", res)
		}

		ss := survey.NewService(d, b.clk, b.deps.Events, customer.NewService(d, b.clk, b.deps.Events), nil)
		low, recovered, notes := 0, 0, 0
		for _, a := range plan.Answers {
			r, err := ss.ByOrder(ctx, s.ID, survey.PostPurchase, orderIDs[a.OrderExternalID])
			if err != nil {
				t.Fatalf("answer to %s: %v", a.OrderExternalID, err)
			}
			if !r.AnsweredAt.Equal(a.At) || r.Edits != 0 || r.CSAT != a.CSAT || r.Comment != a.Comment || (r.RecoveryTicketID != "") != survey.Low(a.CSAT, a.NPS) {
				t.Errorf("answer to %s: %+v, planned %+v", a.OrderExternalID, r, a)
			}
			if survey.Low(a.CSAT, a.NPS) {
				low++
			}
			if len(a.Recovery) > 0 {
				recovered++
				notes += len(a.Recovery)
			}
		}
		resolved := recovered
		for _, tk := range plan.Tickets {
			for _, st := range tk.Steps {
				notes++
				if st.Status == ticket.StatusResolved {
					resolved++
				}
			}
		}
		n := counts(t, d, s.ID)
		if n["survey_responses"] != len(plan.Answers) || n["tickets"] != len(plan.Tickets)+low || n["ticket_entries"] != notes {
			t.Errorf("stored %v; planned %d answers (%d low), %d tickets, %d notes", n, len(plan.Answers), low, len(plan.Tickets), notes)
		}
		for typ, want := range map[string]int{survey.EventAnswered: len(plan.Answers), survey.EventUpdated: 0,
			ticket.EventOpened: len(plan.Tickets) + low, ticket.EventResolved: resolved} {
			var got int
			if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type = $2`, s.ID, typ).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%d %s events, want %d", got, typ, want)
			}
		}

		// The inbox at the shop's creation: one ticket past its first
		// response, nothing stamped after the shop was made.
		ts := ticket.NewService(d, b.clk, b.deps.Events, nil, b.deps.Policies)
		all, _, err := ts.List(ctx, ticket.ListParams{ShopID: s.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		overdue := 0
		for _, tk := range all {
			if tk.Overdue(s.CreatedAt) {
				overdue++
			}
			if tk.UpdatedAt.After(s.CreatedAt) || tk.ResolvedAt != nil && tk.ResolvedAt.After(s.CreatedAt) {
				t.Errorf("ticket %q updated %s, after the shop was made (%s)", tk.Subject, tk.UpdatedAt, s.CreatedAt)
			}
		}
		if overdue != 1 {
			t.Errorf("%d overdue tickets at the shop's creation, want 1", overdue)
		}
		r, err := ss.Results(ctx, s.ID, survey.PostPurchase, survey.ResultsParams{})
		if err != nil {
			t.Fatal(err)
		}
		empty := 0
		for _, w := range r.Weeks {
			if w.Responses == 0 {
				empty++
			}
		}
		if r.Responses == 0 || r.CSAT.Average == nil || r.NPS.Score == nil || empty > 1 {
			t.Errorf("the dashboard's survey results: %+v", r)
		}
		t.Logf("%d answers (%d low), %d tickets, CSAT %.2f, NPS %.1f over %d weeks", len(plan.Answers), low, len(all), *r.CSAT.Average, *r.NPS.Score, len(r.Weeks))
	})
}
