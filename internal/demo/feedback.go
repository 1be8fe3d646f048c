package demo

import (
	"slices"
	"time"
)

// SurveyAnswer is a planned answer to the post-purchase survey of an order.
type SurveyAnswer struct {
	OrderExternalID    string
	CustomerExternalID string
	At                 time.Time // 10 to 20 days after the order, never after the plan's end
	CSAT               int       // 1..5
	NPS                *int      // 0..10, or nil when the customer skipped it
	Comment            string
	Locale             string
	// Recovery is what staff do on the ticket a low score opens (empty: the
	// ticket is still open at the plan's end, or the score is not low).
	Recovery []TicketStep
}

// Ticket is a planned support ticket, opened by the customer.
type Ticket struct {
	CustomerExternalID string
	OrderExternalID    string // the order it is about
	Kind               string
	Subject            string
	Body               string
	OpenedAt           time.Time
	Steps              []TicketStep // what staff did afterwards, in time order
}

// TicketStep is something staff did on a ticket: an internal note, a change
// of status, or both (the note first).
type TicketStep struct {
	At     time.Time
	Note   string
	Status string // empty: unchanged
}

// The survey's share of recent orders and its window.
const (
	answerWeeks  = 16   // orders of the last weeks get answers
	answerShare  = 0.45 // of those orders whose customers can be reached
	answerMinAge = 10   // days after the order
	answerMaxAge = 20
)

// csatWeights are the shares of each CSAT score, 1 to 5: mostly happy
// customers, a few unhappy ones.
var csatWeights = []int{1, 3, 11, 35, 50}

// npsOf are the likely NPS answers for each CSAT score.
var npsOf = map[int][]int{
	5: {8, 9, 9, 10, 10, 10},
	4: {7, 7, 8, 8, 8, 9},
	3: {6, 7, 7, 7, 8, 8},
	2: {2, 3, 4, 5},
	1: {0, 1, 2, 3},
}

// answers plans the survey answers of the orders of the last answerWeeks,
// in time order.
func (g *gen) answers(p Plan) []SurveyAnswer {
	byID := map[string]Customer{}
	for _, c := range p.Customers {
		byID[c.ExternalID] = c
	}
	from := g.end.AddDate(0, 0, -7*answerWeeks)
	var out []SurveyAnswer
	for _, o := range p.Orders {
		if o.OrderedAt.Before(from) {
			continue
		}
		c := byID[o.CustomerExternalID]
		// The survey link comes in a care message: only customers who let
		// the shop reach them get it.
		if len(c.Granted) == 0 || !g.chance(answerShare) {
			continue
		}
		day := o.OrderedAt.Add(time.Duration(g.between(answerMinAge, answerMaxAge)*24) * time.Hour).In(jst)
		minutes := 8*60 + g.r.IntN(15*60+30) // 08:00–23:29
		at := time.Date(day.Year(), day.Month(), day.Day(), 0, minutes, g.r.IntN(60), 0, jst).UTC()
		if at.After(g.end) || !at.After(o.OrderedAt) {
			continue
		}
		a := SurveyAnswer{OrderExternalID: o.ExternalID, CustomerExternalID: c.ExternalID, At: at, Locale: c.Locale}
		a.CSAT = 1 + g.weightedIndex(csatWeights)
		if g.chance(0.85) {
			choices := npsOf[a.CSAT]
			n := choices[g.r.IntN(len(choices))]
			a.NPS = &n
		}
		low := a.CSAT <= 2 || a.NPS != nil && *a.NPS <= 6
		if g.chance(map[bool]float64{true: 0.9, false: 0.3}[low || a.CSAT == 3]) {
			pool := comments[c.Locale][a.CSAT]
			a.Comment = pool[g.r.IntN(len(pool))]
		}
		if low {
			a.Recovery = g.recovery(at)
		}
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b SurveyAnswer) int { return a.At.Compare(b.At) })
	return out
}

// recovery plans how staff handle the ticket of a low score answered at:
// a call or an email within the day, noted, and the ticket resolved; none
// when that would be after the plan's end (the ticket is still open, and
// not yet due: its first response is due a day after it opened).
func (g *gen) recovery(at time.Time) []TicketStep {
	done := at.Add(time.Duration(g.between(3, 20) * float64(time.Hour))).Truncate(time.Second)
	note := recoveryNotes[g.r.IntN(len(recoveryNotes))]
	if done.After(g.end) {
		return nil
	}
	return []TicketStep{{At: done, Note: note, Status: "resolved"}}
}

// weightedIndex picks an index of weights with a probability proportional
// to its weight.
func (g *gen) weightedIndex(weights []int) int {
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	return weighted(g, idx, func(i int) int { return weights[i] })
}

// tickets plans the support tickets of ticketScripts: each from a Japanese
// customer who recently bought what it is about, a different customer for
// each, in time order.
func (g *gen) tickets(p Plan) []Ticket {
	locale := map[string]string{}
	for _, c := range p.Customers {
		locale[c.ExternalID] = c.Locale
	}
	used := map[string]bool{}
	var out []Ticket
	for _, s := range ticketScripts {
		ago := g.between(s.ago[1], s.ago[0])
		opened := g.end.Add(-time.Duration(ago * 24 * float64(time.Hour)))
		if ago >= 1 { // in the day, at an hour people write to a shop
			d := opened.In(jst)
			opened = time.Date(d.Year(), d.Month(), d.Day(), 9, g.r.IntN(13*60), g.r.IntN(60), 0, jst).UTC()
		}
		if latest := g.end.Add(-time.Hour); opened.After(latest) {
			opened = latest
		}
		opened = opened.Truncate(time.Second)
		fits := func(o Order, anySKU bool) bool {
			return !used[o.CustomerExternalID] && locale[o.CustomerExternalID] == "ja" &&
				(!s.online || o.Channel == "online") &&
				!o.OrderedAt.Before(opened.AddDate(0, 0, -14)) && !o.OrderedAt.After(opened.AddDate(0, 0, -1)) &&
				(anySKU || len(s.skus) == 0 || slices.ContainsFunc(o.Lines, func(l Line) bool { return slices.Contains(s.skus, l.SKU) }))
		}
		var candidates []Order
		for _, anySKU := range []bool{false, true} {
			for _, o := range p.Orders {
				if fits(o, anySKU) {
					candidates = append(candidates, o)
				}
			}
			if len(candidates) > 0 {
				break
			}
		}
		if len(candidates) == 0 {
			continue
		}
		o := candidates[g.r.IntN(len(candidates))]
		used[o.CustomerExternalID] = true
		t := Ticket{CustomerExternalID: o.CustomerExternalID, OrderExternalID: o.ExternalID, Kind: s.kind,
			Subject: s.subject, Body: s.body, OpenedAt: opened}
		if s.online {
			t.Body += "\n（ご注文番号: " + o.ExternalID + "）"
		}
		at := opened
		for i, note := range s.notes {
			at = at.Add(time.Duration(g.between(2, 26) * float64(time.Hour))).Truncate(time.Second)
			if at.After(g.end) {
				break
			}
			step := TicketStep{At: at, Note: note}
			if i == len(s.notes)-1 && s.status != "open" {
				step.Status = s.status
			}
			t.Steps = append(t.Steps, step)
		}
		out = append(out, t)
	}
	slices.SortStableFunc(out, func(a, b Ticket) int { return a.OpenedAt.Compare(b.OpenedAt) })
	return out
}
