package customer

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// recomputeTxRows is how many customers one backfill transaction writes:
// large enough that commits (an fsync each on SQLite) do not dominate,
// small enough that SQLite's one writer is not held for long.
const recomputeTxRows = 10000

const (
	shopOrdersForFreshnessSQL = `SELECT customer_id, id, ordered_at FROM orders WHERE shop_id = $1
ORDER BY customer_id, ordered_at, id`
	liveCustomerIDsSQL      = `SELECT id FROM customers WHERE shop_id = $1 AND erased_at IS NULL`
	markNoOrdersComputedSQL = `UPDATE customers SET freshness_at = $2 WHERE shop_id = $1 AND freshness_at IS NULL`
	shopsToBackfillSQL      = `SELECT DISTINCT c.shop_id FROM customers c WHERE c.freshness_at IS NULL AND c.erased_at IS NULL
AND EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = c.shop_id AND o.customer_id = c.id)`
)

// RecomputeAllFreshness computes and stores the freshness of every live
// customer of the shop with orders, at the clock's now, and returns how
// many it stored. It reads the shop's orders once, in customer order (the
// orders_customer index), computes with ComputeFreshness, stores the shop's
// median gap, and writes with multi-row UPDATEs in transactions of
// recomputeTxRows. Customers without orders are marked computed (no
// freshness). It records no freshness.band_entered: it initialises or
// repairs stored state, and the bands it finds were entered in the past.
//
// It is for start-up (BackfillFreshness) and maintenance, before the
// shop's orders flow: an order recorded while it runs may be overwritten by
// the older computation until the customer's next order.
func (s *Service) RecomputeAllFreshness(ctx context.Context, shopID string) (int, error) {
	now := s.clock.Now()
	live, err := stringColumn(ctx, s.db, liveCustomerIDsSQL, shopID)
	if err != nil {
		return 0, fmt.Errorf("customers to recompute: %w", err)
	}
	isLive := make(map[string]bool, len(live))
	for _, id := range live {
		isLive[id] = true
	}
	live = nil

	// One pass over the orders: customers with two gaps or more are
	// computed at once; the others wait for the consumption days of their
	// latest order and the shop's median gap, which needs every gap.
	rows := make([]freshnessRow, 0, len(isLive))
	var pendingIDs []string
	pending := map[string]*customerOrders{}
	var gaps []time.Duration
	var cur customerOrders
	curID := ""
	flush := func() {
		if curID == "" || !isLive[curID] {
			return
		}
		if len(cur.times) >= 3 {
			rows = append(rows, rowFrom(shopID, curID, ComputeFreshness(cur.times, nil, nil, now), now))
			return
		}
		o := cur
		o.times = append([]time.Time(nil), cur.times...)
		pending[curID] = &o
		pendingIDs = append(pendingIDs, curID)
	}
	err = func() error {
		q, err := s.db.QueryContext(ctx, shopOrdersForFreshnessSQL, shopID)
		if err != nil {
			return err
		}
		defer q.Close()
		for q.Next() {
			var cid, oid string
			var at time.Time
			if err := q.Scan(&cid, &oid, &at); err != nil {
				return err
			}
			at = at.UTC()
			if cid != curID {
				flush()
				curID, cur.times = cid, cur.times[:0]
			} else {
				gaps = append(gaps, at.Sub(cur.times[len(cur.times)-1]))
			}
			cur.times = append(cur.times, at)
			cur.latestID = oid
		}
		return q.Err()
	}()
	if err != nil {
		return 0, fmt.Errorf("orders for freshness: %w", err)
	}
	flush()

	var gap *time.Duration
	if len(gaps) > 0 {
		g := median(gaps).Round(time.Microsecond)
		gap = &g
	}
	gaps = nil
	if err := s.db.InTx(ctx, func(tx *db.Tx) error { return storeShopGap(ctx, tx, shopID, gap, now) }); err != nil {
		return 0, err
	}
	fixedGap := func(context.Context) (*time.Duration, error) { return gap, nil }
	for start := 0; start < len(pendingIDs); start += maxInList {
		chunk := pendingIDs[start:min(start+maxInList, len(pendingIDs))]
		more, err := deriveRows(ctx, s.db, shopID, chunk, pending, fixedGap, now)
		if err != nil {
			return 0, err
		}
		rows = append(rows, more...)
	}

	for start := 0; start < len(rows); start += recomputeTxRows {
		part := rows[start:min(start+recomputeTxRows, len(rows))]
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			if err := writeFreshness(ctx, tx, part, now); err != nil {
				return err
			}
			return s.sweepSoon(ctx, tx, part, now)
		})
		if err != nil {
			return 0, err
		}
	}
	if _, err := s.db.ExecContext(ctx, markNoOrdersComputedSQL, shopID, now); err != nil {
		return 0, fmt.Errorf("mark customers without orders: %w", err)
	}
	return len(rows), nil
}

// BackfillFreshness runs RecomputeAllFreshness for every shop that has a
// live customer with orders but no stored freshness (customers from before
// migration 00007, or orders recorded while the order.placed subscriber was
// not wired), and returns how many customers it stored. Call it at start-up,
// before serving; it costs one scan of the customers when there is nothing
// to do.
func (s *Service) BackfillFreshness(ctx context.Context) (int, error) {
	shops, err := stringColumn(ctx, s.db, shopsToBackfillSQL)
	if err != nil {
		return 0, fmt.Errorf("shops to backfill: %w", err)
	}
	total := 0
	for _, shopID := range shops {
		n, err := s.RecomputeAllFreshness(ctx, shopID)
		if err != nil {
			return total, fmt.Errorf("backfill freshness of shop %s: %w", shopID, err)
		}
		total += n
	}
	return total, nil
}
