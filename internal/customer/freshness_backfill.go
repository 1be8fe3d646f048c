package customer

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// recomputeTxRows is how many customers one backfill transaction writes:
// large enough that commits (an fsync each on SQLite) do not dominate,
// small enough that SQLite's one writer is not held for long.
const recomputeTxRows = 10000

// The backfill's reads. The orders are read grouped by customer, in
// customer order, through the covering index orders_customer: one row per
// customer with their order times (and, when the shop has products with
// consumption days, their order IDs) concatenated in the same sequence,
// which is otherwise arbitrary (ComputeFreshness sorts). Three million
// orders stay in the engine; a million short rows cross into Go.
const (
	shopOrderTimesSQLite    = `SELECT customer_id, group_concat(ordered_at, ','), '' FROM orders WHERE shop_id = $1 GROUP BY customer_id ORDER BY customer_id`
	shopOrderTimesIDsSQLite = `SELECT customer_id, group_concat(ordered_at, ','), group_concat(id, ',') FROM orders WHERE shop_id = $1 GROUP BY customer_id ORDER BY customer_id`
	shopOrderTimesPG        = `SELECT customer_id, string_agg(ordered_at::text, ','), '' FROM orders WHERE shop_id = $1 GROUP BY customer_id ORDER BY customer_id`
	shopOrderTimesIDsPG     = `SELECT customer_id, string_agg(ordered_at::text, ','), string_agg(id, ',') FROM orders WHERE shop_id = $1 GROUP BY customer_id ORDER BY customer_id`
	erasedCustomerIDsSQL    = `SELECT id FROM customers WHERE shop_id = $1 AND erased_at IS NOT NULL`
	hasConsumptionSQL       = `SELECT EXISTS (SELECT 1 FROM products WHERE shop_id = $1 AND consumption_days > 0)`
	shopsToBackfillSQL      = `SELECT DISTINCT c.shop_id FROM customers c WHERE c.erased_at IS NULL
AND NOT EXISTS (SELECT 1 FROM customer_freshness f WHERE f.shop_id = c.shop_id AND f.customer_id = c.id)
AND EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = c.shop_id AND o.customer_id = c.id)`
)

// backfillCustomer is what the backfill keeps of one live customer with
// orders until the shop's median gap is known.
type backfillCustomer struct {
	id       string
	latest   time.Time
	latestID string        // only when the shop has consumption days and fewer than two gaps
	own      time.Duration // median of their gaps, when ownGaps
	ownGaps  bool          // they have two gaps or more (rule 1)
}

// RecomputeAllFreshness computes and stores the freshness of every live
// customer of the shop with orders, at the clock's now, and returns how
// many it stored. It reads the shop's orders once, grouped by customer
// (one row per customer), computes with ComputeFreshness's rules, stores
// the shop's median gap, and writes customer_freshness in customer order:
// one bulk load when the table is empty (bulkLoad, freshness_bulk.go),
// else multi-row upserts, recomputeTxRows per transaction. It records no
// freshness.band_entered: it initialises or repairs stored state, and the
// bands it finds were entered in the past.
//
// It is for start-up (BackfillFreshness) and maintenance, before the
// shop's orders flow: an order recorded while it runs may be overwritten by
// the older computation until the customer's next order.
func (s *Service) RecomputeAllFreshness(ctx context.Context, shopID string) (int, error) {
	now := s.clock.Now()
	erasedIDs, err := stringColumn(ctx, s.db, erasedCustomerIDsSQL, shopID)
	if err != nil {
		return 0, fmt.Errorf("erased customers: %w", err)
	}
	erased := make(map[string]bool, len(erasedIDs))
	for _, id := range erasedIDs {
		erased[id] = true
	}
	var consumption bool
	if err := s.db.QueryRowContext(ctx, hasConsumptionSQL, shopID).Scan(&consumption); err != nil {
		return 0, fmt.Errorf("consumption days: %w", err)
	}

	// One pass: customers with two gaps or more have their interval at
	// once; the others wait for the consumption days of their latest
	// order and the shop's median gap, which needs every gap (erased
	// customers' included, as in shopMedianGap).
	var cs []backfillCustomer
	var gaps []time.Duration
	err = s.readShopOrders(ctx, shopID, consumption, func(cid string, times []time.Time, latestID string) {
		sortTimes(times)
		first := len(gaps)
		for i := 1; i < len(times); i++ {
			gaps = append(gaps, times[i].Sub(times[i-1]))
		}
		if erased[cid] {
			return
		}
		c := backfillCustomer{id: cid, latest: times[len(times)-1]}
		if own := gaps[first:]; len(own) >= 2 {
			c.own, c.ownGaps = median(append([]time.Duration(nil), own...)), true
		} else if consumption {
			c.latestID = latestID
		}
		cs = append(cs, c)
	})
	if err != nil {
		return 0, fmt.Errorf("orders for freshness: %w", err)
	}

	var gap *time.Duration
	if len(gaps) > 0 {
		g := median(gaps).Round(time.Microsecond)
		gap = &g
	}
	gaps = nil
	if err := s.db.InTx(ctx, func(tx *db.Tx) error { return storeShopGap(ctx, tx, shopID, gap, now) }); err != nil {
		return 0, err
	}
	var minDays map[string]int
	if consumption {
		var latestIDs []string
		for _, c := range cs {
			if c.latestID != "" {
				latestIDs = append(latestIDs, c.latestID)
			}
		}
		if minDays, err = minConsumption(ctx, s.db, shopID, latestIDs); err != nil {
			return 0, err
		}
	}

	rowOf := func(c backfillCustomer) freshnessRow {
		return rowFrom(shopID, c.id, c.freshness(minDays, gap, now), now)
	}
	switch err := s.bulkLoad(ctx, shopID, cs, rowOf, now); {
	case err == nil:
		return len(cs), nil
	case !errors.Is(err, errNotEmpty):
		return 0, err
	}
	rows := make([]freshnessRow, 0, min(len(cs), recomputeTxRows))
	for start := 0; start < len(cs); start += recomputeTxRows {
		rows = rows[:0]
		for _, c := range cs[start:min(start+recomputeTxRows, len(cs))] {
			rows = append(rows, rowOf(c))
		}
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			if err := writeFreshness(ctx, tx, rows, now); err != nil {
				return err
			}
			return s.sweepSoon(ctx, tx, rows, now)
		})
		if err != nil {
			return 0, err
		}
	}
	return len(cs), nil
}

// freshness is ComputeFreshness for c, from what the backfill kept: the
// same rules in the same order.
func (c backfillCustomer) freshness(minDays map[string]int, shopGap *time.Duration, now time.Time) Freshness {
	var interval time.Duration
	var rule int
	days, hasDays := minDays[c.latestID] // latestID is "" unless the rule may apply
	switch {
	case c.ownGaps:
		interval, rule = c.own, ruleOwnGaps
	case hasDays && days > 0:
		interval, rule = time.Duration(days)*Day, ruleConsumption
	case shopGap != nil && *shopGap > 0:
		interval, rule = *shopGap, ruleShopGap
	default:
		interval, rule = defaultInterval, ruleDefault
	}
	f := freshnessFrom(c.latest, max(interval, Day), now)
	f.rule = rule
	return f
}

// readShopOrders calls fn for each customer of the shop with orders, in
// customer order, with their order times (in no particular order; fn may
// reorder them) and, when withIDs, the ID of their latest order by
// (ordered_at, id).
func (s *Service) readShopOrders(ctx context.Context, shopID string, withIDs bool,
	fn func(customerID string, times []time.Time, latestID string)) error {
	q := s.db.Pick(shopOrderTimesPG, shopOrderTimesSQLite)
	if withIDs {
		q = s.db.Pick(shopOrderTimesIDsPG, shopOrderTimesIDsSQLite)
	}
	rows, err := s.db.QueryContext(ctx, q, shopID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var times []time.Time
	var cid, ids string
	var ts sql.RawBytes // valid until Next: parsed at once, not copied
	for rows.Next() {
		if err := rows.Scan(&cid, &ts, &ids); err != nil {
			return err
		}
		times = times[:0]
		for part := range bytes.SplitSeq(ts, []byte{','}) {
			t, err := parseStoredTime(part)
			if err != nil {
				return fmt.Errorf("order time of customer %s: %w", cid, err)
			}
			times = append(times, t)
		}
		latestID := ""
		if withIDs {
			latestID = latestOf(times, strings.Split(ids, ","))
		}
		fn(cid, times, latestID)
	}
	return rows.Err()
}

// latestOf is the ID of the latest order by (ordered_at, id), times[i]
// being the time of ids[i].
func latestOf(times []time.Time, ids []string) string {
	best := -1
	for i := range min(len(times), len(ids)) {
		if best < 0 || times[i].After(times[best]) || times[i].Equal(times[best]) && ids[i] > ids[best] {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return ids[best]
}

// errStoredTime is a stored time in an unexpected form.
var errStoredTime = errors.New("unexpected stored time")

// parseStoredTime parses a UTC time as the engines give it as text:
// "2006-01-02 15:04:05[.ffffff]" followed by "+00:00" (SQLite, as db
// writes it) or "+00" (PostgreSQL with the session in UTC). It is the
// backfill's inner loop (three million times for a million customers),
// where time.Parse costs a quarter of the pass.
func parseStoredTime[T string | []byte](s T) (time.Time, error) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, fmt.Errorf("%w: %q", errStoredTime, s)
	}
	var ok = true
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				ok = false
				return 0
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	rest, nsec := s[19:], 0
	if len(rest) > 0 && rest[0] == '.' {
		k := 1
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		digits := rest[1:k]
		if len(digits) == 0 || len(digits) > 9 {
			ok = false
		}
		for i := range 9 {
			nsec *= 10
			if i < len(digits) {
				nsec += int(digits[i] - '0')
			}
		}
		rest = rest[k:]
	}
	if z := string(rest); !ok || z != "+00:00" && z != "+00" && z != "Z" { // no allocation: compared only
		return time.Time{}, fmt.Errorf("%w: %q", errStoredTime, s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Year() != year || int(t.Month()) != month || t.Day() != day || t.Hour() != hour || t.Minute() != minute || t.Second() != sec {
		return time.Time{}, fmt.Errorf("%w: %q", errStoredTime, s)
	}
	return t, nil
}

// sortTimes sorts a customer's few order times in place (insertion sort:
// they usually come sorted already).
func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
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
