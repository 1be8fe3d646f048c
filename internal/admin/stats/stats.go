// Package stats computes the figures of the admin dashboard's first page
// (SPEC §6): customers by stored freshness band, messages by purpose and
// status over a period, and open tickets. Each figure is one aggregate
// query scoped to the shop, on indexes the domain tables already have.
//
// It is the seam for the full dashboard (repeat rate, F2, CSAT/NPS, care
// share, time series): add a figure here, or move these queries to an
// analytics domain package, and the admin page only gains fields.
//
// Imports: db only; never net/http or the admin edge.
package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// Bands are the freshness bands in display order (SPEC §6).
var Bands = []string{"fresh", "cooling", "stale", "lost"}

// Purposes are the message purposes in display order (SPEC §2).
var Purposes = []string{"transactional", "care", "info", "sales"}

// Statuses are the message statuses in display order (SPEC §2).
var Statuses = []string{"scheduled", "deferred", "sending", "sent", "delivered", "opened", "clicked", "suppressed", "failed"}

// TicketKinds are the ticket kinds in display order (SPEC §2).
var TicketKinds = []string{"question", "defect", "complaint", "return", "exchange", "other"}

// Summary is the dashboard's first figures.
type Summary struct {
	Customers int                       // every customer of the shop
	Bands     map[string]int            // stored band → customers; "" for customers without orders or not yet computed
	Since     time.Time                 // start of the messages' period
	Messages  map[string]map[string]int // purpose → status → messages created since Since
	Tickets   Tickets
}

// Tickets counts the open work of the support inbox.
type Tickets struct {
	Open    int            // status open
	Pending int            // status pending
	Overdue int            // open, past the first-response due time
	ByKind  map[string]int // open or pending, by kind
}

const (
	countCustomers = `SELECT COUNT(*) FROM customers WHERE shop_id = $1`
	countBands     = `SELECT COALESCE(freshness_band, ''), COUNT(*) FROM customer_freshness WHERE shop_id = $1 GROUP BY freshness_band`
	countMessages  = `SELECT purpose, status, COUNT(*) FROM messages WHERE shop_id = $1 AND created_at >= $2 GROUP BY purpose, status`
	countTickets   = `SELECT kind, status, COUNT(*), SUM(CASE WHEN status = 'open' AND first_response_due_at < $2 THEN 1 ELSE 0 END)
		FROM tickets WHERE shop_id = $1 AND status IN ('open', 'pending') GROUP BY kind, status`
)

// Load computes the summary of a shop at now, with messages of the last
// period.
func Load(ctx context.Context, d db.DBTX, shopID string, now time.Time, period time.Duration) (Summary, error) {
	s := Summary{Bands: map[string]int{}, Since: now.Add(-period), Messages: map[string]map[string]int{},
		Tickets: Tickets{ByKind: map[string]int{}}}
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
	if err := each(ctx, d, countMessages, []any{shopID, s.Since}, func(scan func(...any) error) error {
		var purpose, status string
		var n int
		if err := scan(&purpose, &status, &n); err != nil {
			return err
		}
		if s.Messages[purpose] == nil {
			s.Messages[purpose] = map[string]int{}
		}
		s.Messages[purpose][status] += n
		return nil
	}); err != nil {
		return Summary{}, fmt.Errorf("count messages: %w", err)
	}
	if err := each(ctx, d, countTickets, []any{shopID, now}, func(scan func(...any) error) error {
		var kind, status string
		var n, overdue int
		if err := scan(&kind, &status, &n, &overdue); err != nil {
			return err
		}
		s.Tickets.ByKind[kind] += n
		s.Tickets.Overdue += overdue
		if status == "open" {
			s.Tickets.Open += n
		} else {
			s.Tickets.Pending += n
		}
		return nil
	}); err != nil {
		return Summary{}, fmt.Errorf("count tickets: %w", err)
	}
	return s, nil
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
