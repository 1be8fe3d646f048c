package customer

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
)

// BandEntered is the event type recorded when a customer enters a
// freshness band, with data {"band": "...", "previous": "..." or null}.
// It occurs at the first instant of the band: the latest order for fresh,
// the microsecond after latest + 1, 2 or 4 × the interval for cooling,
// stale and lost.
const BandEntered = "freshness.band_entered"

// customerOrders is what recomputation needs of one customer's orders.
type customerOrders struct {
	times    []time.Time // ascending (ordered_at, id)
	latestID string
}

// RefreshFreshnessTx recomputes and stores the freshness of the shop's
// customers among customerIDs (any number; batch ingest passes up to 1000),
// in tx, at now: a few queries per 1000 customers (their orders, the
// consumption days of latest orders, the stored shop median gap, one
// multi-row UPDATE). Each customer whose band changes, including a first
// order (no band → fresh), gets one freshness.band_entered event through
// the service's recorder, in tx. Erased and unknown IDs are skipped.
//
// On PostgreSQL the customers' rows are locked (in ID order) before their
// stored band is read, so a concurrent sweep or refresh of the same
// customer cannot record the same entry twice; SQLite has one writer.
//
// It tells the sweep that the shop's orders changed, so that the shop's
// median gap is recomputed within shopGapDelay.
func (s *Service) RefreshFreshnessTx(ctx context.Context, tx db.DBTX, shopID string, customerIDs []string, now time.Time) error {
	if len(customerIDs) == 0 {
		return nil
	}
	at, err := markShopDirty(ctx, tx, shopID, now)
	if err != nil {
		return err
	}
	if !at.IsZero() {
		if err := s.sweepAt(ctx, tx, at); err != nil {
			return err
		}
	}
	return s.refresh(ctx, tx, shopID, customerIDs, now)
}

// refresh is RefreshFreshnessTx without telling the sweep.
func (s *Service) refresh(ctx context.Context, tx db.DBTX, shopID string, customerIDs []string, now time.Time) error {
	ids := slices.Clone(customerIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var evs []event.RecordParams
	var written []freshnessRow
	gap := s.shopGapFunc(tx, shopID, now)
	for start := 0; start < len(ids); start += maxInList {
		chunk := ids[start:min(start+maxInList, len(ids))]
		prev, err := lockBands(ctx, tx, shopID, chunk)
		if err != nil {
			return err
		}
		live := slices.DeleteFunc(slices.Clone(chunk), func(id string) bool { _, ok := prev[id]; return !ok })
		orders, err := ordersOf(ctx, tx, shopID, live)
		if err != nil {
			return err
		}
		rows, err := deriveRows(ctx, tx, shopID, live, orders, gap, now)
		if err != nil {
			return err
		}
		if err := writeFreshness(ctx, tx, rows, now); err != nil {
			return err
		}
		for _, r := range rows {
			if r.band != "" && r.band != prev[r.id] {
				evs = append(evs, bandEvent(r.shopID, r.id, r.band, prev[r.id], *r.since, now))
			}
		}
		written = append(written, rows...)
	}
	if len(evs) > 0 {
		if _, _, err := s.events.RecordMany(ctx, tx, evs); err != nil {
			return fmt.Errorf("record band changes: %w", err)
		}
	}
	return s.sweepSoon(ctx, tx, written, now)
}

// OnOrdersPlaced is the order.placed subscriber for batches: it refreshes
// the freshness of the customers of events (others are ignored), one
// RefreshFreshnessTx per shop, at the service clock's now.
func (s *Service) OnOrdersPlaced(ctx context.Context, tx db.DBTX, events []event.Event) error {
	byShop := map[string][]string{}
	var shops []string
	for _, e := range events {
		if e.Type != event.OrderPlaced || e.CustomerID == "" {
			continue
		}
		if _, ok := byShop[e.ShopID]; !ok {
			shops = append(shops, e.ShopID)
		}
		byShop[e.ShopID] = append(byShop[e.ShopID], e.CustomerID)
	}
	now := s.clock.Now()
	for _, shopID := range shops {
		if err := s.RefreshFreshnessTx(ctx, tx, shopID, byShop[shopID], now); err != nil {
			return err
		}
	}
	return nil
}

// bandEvent is the freshness.band_entered event of one entry. An entry in
// the future (an order dated ahead) is recorded as happening now.
func bandEvent(shopID, customerID, band, previous string, at, now time.Time) event.RecordParams {
	var prev any
	if previous != "" {
		prev = previous
	}
	if at.After(now) {
		at = now
	}
	return event.RecordParams{ShopID: shopID, CustomerID: customerID, Type: BandEntered, OccurredAt: at, Now: now,
		Data: map[string]any{"band": band, "previous": prev}}
}

// rowFrom is the stored freshness of a customer with freshness f (computed
// at now; zero without orders). The interval is kept to the microsecond, the
// precision of stored times, and the band is judged again with it, so that
// the stored band, next_band_at and the live band at read time agree.
func rowFrom(shopID, customerID string, f Freshness, now time.Time) freshnessRow {
	r := freshnessRow{shopID: shopID, id: customerID}
	if f.LatestOrderAt.IsZero() {
		return r
	}
	latest := f.LatestOrderAt.UTC()
	interval := max(f.Interval.Round(time.Microsecond), time.Microsecond)
	i := bandIndex(max(now.Sub(latest), 0), interval)
	since := bandStart(latest, interval, i)
	r.latest, r.interval, r.rule, r.band, r.since = &latest, interval, f.rule, Bands[i], &since
	if i+1 < len(Bands) {
		next := bandStart(latest, interval, i+1)
		r.next = &next
	}
	return r
}

// shopGapFunc returns a function giving the shop's median gap as stored,
// computing and storing it (in tx) when none is stored yet; it is read at
// most once. The sweep refreshes stored gaps hourly (refreshShopGaps): an
// order batch does not read every order of the shop.
func (s *Service) shopGapFunc(tx db.DBTX, shopID string, now time.Time) func(context.Context) (*time.Duration, error) {
	var gap *time.Duration
	done := false
	return func(ctx context.Context) (*time.Duration, error) {
		if done {
			return gap, nil
		}
		g, ok, err := storedShopGap(ctx, tx, shopID)
		if err != nil {
			return nil, err
		}
		if !ok {
			if g, err = computeShopGap(ctx, tx, shopID, now); err != nil {
				return nil, err
			}
		}
		gap, done = g, true
		return gap, nil
	}
}

// computeShopGap computes the shop's median gap from all its orders and
// stores it, rounded to the microsecond as stored.
func computeShopGap(ctx context.Context, tx db.DBTX, shopID string, now time.Time) (*time.Duration, error) {
	g, err := newFreshnessCalc(tx, shopID, now).shopMedianGap(ctx)
	if err != nil {
		return nil, err
	}
	if g != nil {
		r := g.Round(time.Microsecond)
		g = &r
	}
	return g, storeShopGap(ctx, tx, shopID, g, now)
}

// deriveRows computes the stored freshness of ids from their orders: the
// consumption days of the latest orders of customers with fewer than two
// gaps are read in one query per 1000, the shop gap only if some customer
// needs it.
func deriveRows(ctx context.Context, d db.DBTX, shopID string, ids []string, orders map[string]*customerOrders,
	gap func(context.Context) (*time.Duration, error), now time.Time) ([]freshnessRow, error) {
	var latestIDs []string
	for _, id := range ids {
		if o := orders[id]; o != nil && len(o.times) < 3 {
			latestIDs = append(latestIDs, o.latestID)
		}
	}
	minDays, err := minConsumption(ctx, d, shopID, latestIDs)
	if err != nil {
		return nil, err
	}
	rows := make([]freshnessRow, 0, len(ids))
	for _, id := range ids {
		o := orders[id]
		if o == nil {
			rows = append(rows, freshnessRow{shopID: shopID, id: id})
			continue
		}
		var days *int
		var g *time.Duration
		if v, ok := minDays[o.latestID]; ok {
			days = &v
		} else if len(o.times) < 3 {
			if g, err = gap(ctx); err != nil {
				return nil, err
			}
		}
		rows = append(rows, rowFrom(shopID, id, ComputeFreshness(o.times, days, g, now), now))
	}
	return rows, nil
}

// lockBands* read the stored bands of live customers; erased customers
// are left out. On PostgreSQL the customers' rows are locked first and
// the bands read by a second statement, which sees what a transaction that
// held the locks before committed (a join read under FOR UPDATE would
// recheck the locked customers row only, not customer_freshness).
const (
	lockCustomersPG = `SELECT id FROM customers WHERE shop_id = $1 AND erased_at IS NULL AND id IN (%s) ORDER BY id FOR UPDATE`
	storedBandsPG   = `SELECT customer_id, freshness_band FROM customer_freshness WHERE shop_id = $1 AND customer_id IN (%s)`
	lockBandsSQLite = `SELECT c.id, f.freshness_band FROM customers c
LEFT JOIN customer_freshness f ON f.shop_id = c.shop_id AND f.customer_id = c.id
WHERE c.shop_id = $1 AND c.erased_at IS NULL AND c.id IN (%s)`
)

// lockBands returns the stored band ("" for none) of each live customer
// among ids (at most maxInList).
func lockBands(ctx context.Context, tx db.DBTX, shopID string, ids []string) (map[string]string, error) {
	args := []any{shopID}
	in := inList(&args, ids)
	out := make(map[string]string, len(ids))
	if tx.Dialect() == db.Postgres {
		live, err := stringColumn(ctx, tx, fmt.Sprintf(lockCustomersPG, in), args...)
		if err != nil {
			return nil, fmt.Errorf("lock customers for freshness: %w", err)
		}
		for _, id := range live {
			out[id] = ""
		}
		if len(live) == 0 {
			return out, nil
		}
		args = []any{shopID}
		in = inList(&args, live)
		if err := scanBands(ctx, tx, fmt.Sprintf(storedBandsPG, in), args, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	if err := scanBands(ctx, tx, fmt.Sprintf(lockBandsSQLite, in), args, out); err != nil {
		return nil, err
	}
	return out, nil
}

// scanBands runs q, which yields (customer ID, band or NULL), into out.
func scanBands(ctx context.Context, tx db.DBTX, q string, args []any, out map[string]string) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("stored bands: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var band sql.NullString
		if err := rows.Scan(&id, &band); err != nil {
			return fmt.Errorf("scan band: %w", err)
		}
		out[id] = band.String
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("stored bands: %w", err)
	}
	return nil
}

const customersWithOrdersSQL = `SELECT DISTINCT customer_id FROM orders WHERE shop_id = $1 AND customer_id IN (%s)`

// customersWithOrders tells which of ids (at most maxInList) have orders.
func customersWithOrders(ctx context.Context, d db.DBTX, shopID string, ids []string) (map[string]bool, error) {
	args := []any{shopID}
	found, err := stringColumn(ctx, d, fmt.Sprintf(customersWithOrdersSQL, inList(&args, ids)), args...)
	if err != nil {
		return nil, fmt.Errorf("customers with orders: %w", err)
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

const ordersOfSQL = `SELECT customer_id, id, ordered_at FROM orders WHERE shop_id = $1 AND customer_id IN (%s)
ORDER BY customer_id, ordered_at, id`

// ordersOf reads the orders of ids (at most maxInList) by customer.
func ordersOf(ctx context.Context, d db.DBTX, shopID string, ids []string) (map[string]*customerOrders, error) {
	out := make(map[string]*customerOrders, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{shopID}
	rows, err := d.QueryContext(ctx, fmt.Sprintf(ordersOfSQL, inList(&args, ids)), args...)
	if err != nil {
		return nil, fmt.Errorf("orders for freshness: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, oid string
		var at time.Time
		if err := rows.Scan(&cid, &oid, &at); err != nil {
			return nil, fmt.Errorf("scan order for freshness: %w", err)
		}
		o := out[cid]
		if o == nil {
			o = &customerOrders{}
			out[cid] = o
		}
		o.times = append(o.times, at.UTC())
		o.latestID = oid
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("orders for freshness: %w", err)
	}
	return out, nil
}

const minConsumptionManySQL = `SELECT l.order_id, MIN(p.consumption_days) FROM order_lines l
JOIN products p ON p.shop_id = l.shop_id AND p.sku = l.sku
WHERE l.shop_id = $1 AND p.consumption_days > 0 AND l.order_id IN (%s)
GROUP BY l.order_id`

// minConsumption maps each of orderIDs that has a product with positive
// consumption days to the smallest, one query per maxInList orders.
func minConsumption(ctx context.Context, d db.DBTX, shopID string, orderIDs []string) (map[string]int, error) {
	out := map[string]int{}
	for start := 0; start < len(orderIDs); start += maxInList {
		args := []any{shopID}
		q := fmt.Sprintf(minConsumptionManySQL, inList(&args, orderIDs[start:min(start+maxInList, len(orderIDs))]))
		if err := func() error {
			rows, err := d.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var oid string
				var days int
				if err := rows.Scan(&oid, &days); err != nil {
					return err
				}
				out[oid] = days
			}
			return rows.Err()
		}(); err != nil {
			return nil, fmt.Errorf("consumption days: %w", err)
		}
	}
	return out, nil
}
