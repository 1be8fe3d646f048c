// Package stats computes the figures of the admin dashboard (SPEC §6):
// customers by stored freshness band, repeat rate, F2 rate within
// 30/60/90 days, messages by purpose and status, care share, opt-out rate
// per journey, twelve weeks of orders and sent messages, CSAT and NPS (the
// post-purchase survey's results), and the support inbox's open work.
//
// Compute reads the shop's tables once per figure and is linear in the
// shop's orders and recent messages (seconds for a million customers), so
// the dashboard keeps its result as a snapshot (snapshot.go) and a large
// shop's page reads that row; Tickets stays live, as it reads only the
// open tickets.
//
// Imports: db, survey (for CSAT/NPS); never net/http or the admin edge.
package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/survey"
)

// Bands are the freshness bands in display order (SPEC §6).
var Bands = []string{"fresh", "cooling", "stale", "lost"}

// Purposes are the message purposes in display order (SPEC §2).
var Purposes = []string{"transactional", "care", "info", "sales"}

// Statuses are the message statuses in display order (SPEC §2).
var Statuses = []string{"scheduled", "deferred", "sending", "sent", "delivered", "opened", "clicked", "suppressed", "failed"}

// SentStatuses are the statuses of a message that went out.
var SentStatuses = []string{"sent", "delivered", "opened", "clicked"}

// TicketKinds are the ticket kinds in display order (SPEC §2).
var TicketKinds = []string{"question", "defect", "complaint", "return", "exchange", "other"}

// F2Windows are the days after a first order within which the F2 rate
// counts a second order.
var F2Windows = []int{30, 60, 90}

// Weeks is how many weeks the series cover (the survey results' default).
const Weeks = survey.DefaultWeeks

// Period is the window of the messages table and the care share.
const Period = 30 * 24 * time.Hour

// Summary is every figure of the dashboard but the live ticket counts.
type Summary struct {
	At        time.Time                 `json:"at"` // when computed
	Customers int                       `json:"customers"`
	Bands     map[string]int            `json:"bands"`     // stored band → customers; "" for customers without orders or not yet computed
	Buyers    int                       `json:"buyers"`    // customers with at least one order
	Repeaters int                       `json:"repeaters"` // customers with at least two orders
	F2        []F2                      `json:"f2"`        // one per F2Windows
	Since     time.Time                 `json:"since"`     // start of the messages' period (At − Period)
	Messages  map[string]map[string]int `json:"messages"`  // purpose → status → messages created since Since
	Weeks     []Week                    `json:"weeks"`     // oldest first, Weeks of them, the last one the current week
	Journeys  []JourneyOptOut           `json:"journeys"`  // every journey, in the order of journey IDs
	Survey    survey.Results            `json:"survey"`    // the post-purchase survey over the same weeks
}

// F2 is the F2 rate within Days: of the customers whose first order is at
// least Days old (so the whole window has passed), how many ordered again
// within Days of the first order.
type F2 struct {
	Days      int `json:"days"`
	Eligible  int `json:"eligible"`
	Converted int `json:"converted"`
}

// Week is one Monday-to-Sunday week in the shop's time zone.
type Week struct {
	Start        time.Time      `json:"start"`
	FirstOrders  int            `json:"first_orders"`  // orders that were their customer's first
	RepeatOrders int            `json:"repeat_orders"` // every later order
	Sent         map[string]int `json:"sent"`          // purpose → messages created that week that went out
}

// JourneyOptOut is a journey's opt-out figures (as journey.Stats): sent
// messages, and those after which the customer withdrew consent within
// seven days.
type JourneyOptOut struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	BuiltinKey string `json:"builtin_key"`
	Status     string `json:"status"`
	Sends      int    `json:"sends"`
	OptOuts    int    `json:"opt_outs"`
}

// Rate returns part/whole, or nil when whole is 0 (no figure rather than a
// misleading 0 %).
func Rate(part, whole int) *float64 {
	if whole <= 0 {
		return nil
	}
	r := float64(part) / float64(whole)
	return &r
}

// RepeatRate is customers with two or more orders / customers with one or
// more (SPEC §6).
func (s Summary) RepeatRate() *float64 { return Rate(s.Repeaters, s.Buyers) }

// CareShare is care / non-transactional messages that went out in the
// period (SPEC §6).
func (s Summary) CareShare() *float64 {
	care, all := 0, 0
	for p, byStatus := range s.Messages {
		if p == "transactional" {
			continue
		}
		for _, st := range SentStatuses {
			all += byStatus[st]
			if p == "care" {
				care += byStatus[st]
			}
		}
	}
	return Rate(care, all)
}

// CareShare is the week's care / non-transactional sent messages.
func (w Week) CareShare() *float64 {
	return Rate(w.Sent["care"], w.Sent["care"]+w.Sent["info"]+w.Sent["sales"])
}

const (
	countCustomers = `SELECT COUNT(*) FROM customers WHERE shop_id = $1`
	countBands     = `SELECT COALESCE(freshness_band, ''), COUNT(*) FROM customer_freshness WHERE shop_id = $1 GROUP BY freshness_band`
	// The covering index orders_customer (shop_id, customer_id, ordered_at,
	// id) gives each customer's orders in time order without the table.
	orderTimes = `SELECT customer_id, ordered_at FROM orders WHERE shop_id = $1 ORDER BY customer_id, ordered_at`
	// messages_created (shop_id, created_at), migration 00012.
	recentMessages = `SELECT purpose, status, created_at FROM messages WHERE shop_id = $1 AND created_at >= $2`
	journeyList    = `SELECT id, name, COALESCE(builtin_key, ''), status FROM journeys WHERE shop_id = $1 ORDER BY id`
	journeySends   = `SELECT journey_id, COUNT(*), COALESCE(SUM(CASE WHEN opted_out THEN 1 ELSE 0 END), 0) FROM messages
		WHERE shop_id = $1 AND journey_id IS NOT NULL AND journey_id <> '' AND status IN ('sent', 'delivered', 'opened', 'clicked')
		GROUP BY journey_id`
	countTickets = `SELECT kind, status, COUNT(*), SUM(CASE WHEN status = 'open' AND first_response_due_at < $2 THEN 1 ELSE 0 END)
		FROM tickets WHERE shop_id = $1 AND status IN ('open', 'pending') GROUP BY kind, status`
)

// Compute reads every figure of the shop at now; weeks are in loc, the
// shop's time zone.
func Compute(ctx context.Context, d db.DBTX, surveys *survey.Service, shopID string, now time.Time, loc *time.Location) (Summary, error) {
	s := Summary{At: now, Bands: map[string]int{}, Since: now.Add(-Period), Messages: map[string]map[string]int{}}
	if err := d.QueryRowContext(ctx, countCustomers, shopID).Scan(&s.Customers); err != nil {
		return Summary{}, fmt.Errorf("count customers: %w", err)
	}
	if err := each(ctx, d, countBands, []any{shopID}, func(scan func(...any) error) error {
		var band string
		var n int
		if err := scan(&band, &n); err != nil {
			return err
		}
		s.Bands[band] += n
		return nil
	}); err != nil {
		return Summary{}, fmt.Errorf("count bands: %w", err)
	}
	computed := 0
	for _, n := range s.Bands {
		computed += n
	}
	// Customers without a stored row have no band yet (no orders).
	s.Bands[""] += max(0, s.Customers-computed)

	first := WeekStart(now, loc).AddDate(0, 0, -7*(Weeks-1))
	for i := range Weeks {
		s.Weeks = append(s.Weeks, Week{Start: first.AddDate(0, 0, 7*i), Sent: map[string]int{}})
	}
	if err := s.orders(ctx, d, shopID, now, loc); err != nil {
		return Summary{}, err
	}
	if err := s.messages(ctx, d, shopID, loc); err != nil {
		return Summary{}, err
	}
	if err := s.journeys(ctx, d, shopID); err != nil {
		return Summary{}, err
	}
	r, err := surveys.Results(ctx, shopID, survey.PostPurchase, survey.ResultsParams{From: first, To: first.AddDate(0, 0, 7*Weeks)})
	if err != nil {
		return Summary{}, fmt.Errorf("survey results: %w", err)
	}
	s.Survey = r
	return s, nil
}

// week returns the index of t's week in s.Weeks, or -1 outside them.
func (s *Summary) week(t time.Time, loc *time.Location) int {
	if len(s.Weeks) == 0 || t.Before(s.Weeks[0].Start) {
		return -1
	}
	i := int(WeekStart(t, loc).Sub(s.Weeks[0].Start).Hours()+12) / (24 * 7) // +12 h: a DST day is 23 or 25 hours
	if i >= len(s.Weeks) {
		return -1
	}
	return i
}

// orders walks every order of the shop once, per customer in time order:
// buyers, repeaters, F2 and the weekly first/repeat orders.
func (s *Summary) orders(ctx context.Context, d db.DBTX, shopID string, now time.Time, loc *time.Location) error {
	for _, days := range F2Windows {
		s.F2 = append(s.F2, F2{Days: days})
	}
	var cur string
	var n int
	var firstAt time.Time
	settle := func() { // the previous customer's F2 eligibility once their orders are read
		if n == 0 {
			return
		}
		for i := range s.F2 {
			if !firstAt.After(now.AddDate(0, 0, -s.F2[i].Days)) {
				s.F2[i].Eligible++
			}
		}
	}
	err := each(ctx, d, orderTimes, []any{shopID}, func(scan func(...any) error) error {
		var cid string
		var at time.Time
		if err := scan(&cid, &at); err != nil {
			return err
		}
		if cid != cur {
			settle()
			cur, n, firstAt = cid, 0, at
			s.Buyers++
		}
		n++
		if n == 2 {
			s.Repeaters++
			for i := range s.F2 {
				if !firstAt.After(now.AddDate(0, 0, -s.F2[i].Days)) && !at.After(firstAt.AddDate(0, 0, s.F2[i].Days)) {
					s.F2[i].Converted++
				}
			}
		}
		if w := s.week(at, loc); w >= 0 {
			if n == 1 {
				s.Weeks[w].FirstOrders++
			} else {
				s.Weeks[w].RepeatOrders++
			}
		}
		return nil
	})
	settle()
	if err != nil {
		return fmt.Errorf("order times: %w", err)
	}
	return nil
}

// messages reads the messages created in the weeks (which cover the
// period): purpose × status for the period, sent by purpose per week.
func (s *Summary) messages(ctx context.Context, d db.DBTX, shopID string, loc *time.Location) error {
	from := s.Weeks[0].Start
	if s.Since.Before(from) {
		from = s.Since
	}
	err := each(ctx, d, recentMessages, []any{shopID, from}, func(scan func(...any) error) error {
		var purpose, status string
		var at time.Time
		if err := scan(&purpose, &status, &at); err != nil {
			return err
		}
		if !at.Before(s.Since) {
			if s.Messages[purpose] == nil {
				s.Messages[purpose] = map[string]int{}
			}
			s.Messages[purpose][status]++
		}
		if w := s.week(at, loc); w >= 0 && isSent(status) {
			s.Weeks[w].Sent[purpose]++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recent messages: %w", err)
	}
	return nil
}

func isSent(status string) bool {
	for _, st := range SentStatuses {
		if st == status {
			return true
		}
	}
	return false
}

// journeys lists every journey with its sends and opt-outs over all its
// versions (the same figures as journey.Stats, for all journeys at once).
func (s *Summary) journeys(ctx context.Context, d db.DBTX, shopID string) error {
	at := map[string]int{}
	if err := each(ctx, d, journeyList, []any{shopID}, func(scan func(...any) error) error {
		var j JourneyOptOut
		if err := scan(&j.ID, &j.Name, &j.BuiltinKey, &j.Status); err != nil {
			return err
		}
		at[j.ID] = len(s.Journeys)
		s.Journeys = append(s.Journeys, j)
		return nil
	}); err != nil {
		return fmt.Errorf("journeys: %w", err)
	}
	if err := each(ctx, d, journeySends, []any{shopID}, func(scan func(...any) error) error {
		var id string
		var sends, optOuts int
		if err := scan(&id, &sends, &optOuts); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			s.Journeys[i].Sends, s.Journeys[i].OptOuts = sends, optOuts
		}
		return nil
	}); err != nil {
		return fmt.Errorf("journey sends: %w", err)
	}
	return nil
}

// Tickets counts the open work of the support inbox.
type Tickets struct {
	Open    int            // status open
	Pending int            // status pending
	Overdue int            // open, past the first-response due time
	ByKind  map[string]int // open or pending, by kind
}

// LoadTickets counts the shop's open and pending tickets at now.
func LoadTickets(ctx context.Context, d db.DBTX, shopID string, now time.Time) (Tickets, error) {
	t := Tickets{ByKind: map[string]int{}}
	if err := each(ctx, d, countTickets, []any{shopID, now}, func(scan func(...any) error) error {
		var kind, status string
		var n, overdue int
		if err := scan(&kind, &status, &n, &overdue); err != nil {
			return err
		}
		t.ByKind[kind] += n
		t.Overdue += overdue
		if status == "open" {
			t.Open += n
		} else {
			t.Pending += n
		}
		return nil
	}); err != nil {
		return Tickets{}, fmt.Errorf("count tickets: %w", err)
	}
	return t, nil
}

// WeekStart is the Monday 00:00 of t's week in loc.
func WeekStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// each runs q and calls fn with each row's Scan.
func each(ctx context.Context, d db.DBTX, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
