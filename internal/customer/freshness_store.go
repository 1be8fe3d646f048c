package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// Stored freshness: the table customer_freshness of migration 00007 and
// the SQL that reads and writes it. The computation is in freshness_refresh.go, the sweep in
// freshness_sweep.go.

// freshnessRow is the stored freshness of one customer, as written by a
// recomputation or the sweep. latest is nil when the customer has no order:
// every other value is then empty too.
type freshnessRow struct {
	shopID   string
	id       string
	latest   *time.Time
	interval time.Duration // whole microseconds
	rule     int
	band     string
	since    *time.Time // first instant of band
	next     *time.Time // first instant of the next band; nil when lost
}

// seconds is d as the float stored in expected_interval_seconds.
func seconds(d time.Duration) float64 { return d.Seconds() }

// fromSeconds reads back a stored interval, to the microsecond.
func fromSeconds(s float64) time.Duration {
	return time.Duration(math.Round(s*1e6)) * time.Microsecond
}

// timeArg is t for a nullable TIMESTAMP parameter.
func timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

// writeFreshnessChunk is how many rows one SQLite INSERT writes: 9
// parameters each, 4500 in all, under its limit (32766).
const writeFreshnessChunk = 500

// Stored freshness lives in customer_freshness (migration 00007), one row
// per computed customer, not in customers: a write there touches its three
// indexes only, not every index of customers (docs/performance.md). The
// writes are upserts; band_since is kept when the band does not change (a
// new order while fresh leaves the customer fresh since the first time).
const (
	upsertFreshnessCols = `INSERT INTO customer_freshness (shop_id, customer_id, latest_order_at, expected_interval_seconds,
	freshness_rule, freshness_band, band_since, next_band_at, freshness_at)`
	upsertFreshnessConflict = `
ON CONFLICT (shop_id, customer_id) DO UPDATE SET latest_order_at = excluded.latest_order_at,
	expected_interval_seconds = excluded.expected_interval_seconds, freshness_rule = excluded.freshness_rule,
	freshness_band = excluded.freshness_band,
	band_since = CASE WHEN customer_freshness.freshness_band = excluded.freshness_band
		THEN customer_freshness.band_since ELSE excluded.band_since END,
	next_band_at = excluded.next_band_at, freshness_at = excluded.freshness_at`
	// upsertFreshnessSQLite is followed by the VALUES rows and the
	// conflict clause.
	upsertFreshnessSQLite = upsertFreshnessCols + ` VALUES %s`
	// upsertFreshnessPG takes one array parameter per column: a VALUES list
	// of 5000 rows costs more to parse and plan than to run.
	upsertFreshnessPG = upsertFreshnessCols + `
SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::int[], $6::text[], $7::timestamptz[],
	$8::timestamptz[], $9::timestamptz[])`
)

// writeFreshnessArrayChunk is how many rows one PostgreSQL upsert writes.
const writeFreshnessArrayChunk = 5000

// writeFreshness stores rows (unique customers), computed at now.
func writeFreshness(ctx context.Context, tx db.DBTX, rows []freshnessRow, now time.Time) error {
	if tx.Dialect() == db.Postgres {
		return writeFreshnessArrays(ctx, tx, rows, now, upsertFreshnessConflict)
	}
	now = now.UTC().Truncate(time.Microsecond)
	for start := 0; start < len(rows); start += writeFreshnessChunk {
		part := rows[start:min(start+writeFreshnessChunk, len(rows))]
		var b strings.Builder
		b.Grow(len(part) * 20)
		args := make([]any, 0, len(part)*9)
		for k, r := range part {
			if k > 0 {
				b.WriteByte(',')
			}
			// Plain "?": SQLite resolves "$n" by a linear search of the
			// names seen so far (see internal/event/store.go).
			b.WriteString("(?,?,?,?,?,?,?,?,?)")
			interval, rule, band := freshnessInputs(r)
			args = append(args, r.shopID, r.id, timeArg(r.latest), interval, rule, band, timeArg(r.since), timeArg(r.next), now)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(upsertFreshnessSQLite, b.String())+upsertFreshnessConflict, args...); err != nil {
			return fmt.Errorf("store freshness: %w", err)
		}
	}
	return nil
}

// freshnessInputs are the interval, rule and band parameters of r: NULL
// without orders.
func freshnessInputs(r freshnessRow) (interval, rule, band any) {
	if r.latest == nil {
		return nil, nil, nil
	}
	return seconds(r.interval), r.rule, r.band
}

// writeFreshnessArrays is writeFreshness on PostgreSQL. Times are passed
// in arrays, which db does not normalise: they are UTC to the microsecond
// already (orders' times and whole-microsecond intervals).
func writeFreshnessArrays(ctx context.Context, tx db.DBTX, rows []freshnessRow, now time.Time, conflict string) error {
	now = now.UTC().Truncate(time.Microsecond)
	for start := 0; start < len(rows); start += writeFreshnessArrayChunk {
		part := rows[start:min(start+writeFreshnessArrayChunk, len(rows))]
		n := len(part)
		shops, ids, bands := make([]string, n), make([]string, n), make([]*string, n)
		latest, since, next, at := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n), make([]time.Time, n)
		intervals, rules := make([]*float64, n), make([]*int32, n)
		for i, r := range part {
			shops[i], ids[i], latest[i], since[i], next[i], at[i] = r.shopID, r.id, r.latest, r.since, r.next, now
			if r.latest != nil {
				secs, rule, band := seconds(r.interval), int32(r.rule), r.band //nolint:gosec // rules are 1 to 4
				intervals[i], rules[i], bands[i] = &secs, &rule, &band
			}
		}
		if _, err := tx.ExecContext(ctx, upsertFreshnessPG+conflict, shops, ids, latest, intervals, rules, bands, since, next, at); err != nil {
			return fmt.Errorf("store freshness: %w", err)
		}
	}
	return nil
}

// The secondary indexes of customer_freshness, as migration 00007 creates
// them: a bulk load into the empty table drops them and builds them once
// the rows are in (a sort each), instead of inserting a million entries of
// next_band_at in random order.
const (
	dropFreshnessBandIndex   = `DROP INDEX customer_freshness_band`
	dropFreshnessNextIndex   = `DROP INDEX customer_freshness_next`
	createFreshnessBandIndex = `CREATE INDEX customer_freshness_band ON customer_freshness (shop_id, freshness_band, customer_id)`
	createFreshnessNextIndex = `CREATE INDEX customer_freshness_next ON customer_freshness (next_band_at) WHERE next_band_at IS NOT NULL`
	freshnessEmptySQL        = `SELECT NOT EXISTS (SELECT 1 FROM customer_freshness)`
	bulkIndexMemoryPG        = `SET LOCAL maintenance_work_mem = '256MB'`
)

// deleteFreshnessSQL forgets a customer's stored freshness (erasure).
const deleteFreshnessSQL = `DELETE FROM customer_freshness WHERE shop_id = $1 AND customer_id = $2`

// storedFreshness is what the stored columns give for showing a customer.
type storedFreshness struct {
	computed bool // a row is stored
	latest   sql.NullTime
	interval time.Duration
}

// freshness is the live freshness at now; nil without orders.
func (s storedFreshness) freshness(now time.Time) *Freshness {
	if !s.latest.Valid || s.interval <= 0 {
		return nil
	}
	f := freshnessFrom(s.latest.Time.UTC(), s.interval, now)
	return &f
}

const storedFreshnessSQL = `SELECT customer_id, latest_order_at, expected_interval_seconds
FROM customer_freshness WHERE shop_id = $1 AND customer_id IN (%s)`

// loadStoredFreshness reads the stored freshness of the shop's customers
// among ids (at most maxInList), by ID.
func loadStoredFreshness(ctx context.Context, d db.DBTX, shopID string, ids []string) (map[string]storedFreshness, error) {
	out := make(map[string]storedFreshness, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{shopID}
	rows, err := d.QueryContext(ctx, fmt.Sprintf(storedFreshnessSQL, inList(&args, ids)), args...)
	if err != nil {
		return nil, fmt.Errorf("stored freshness: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		sf := storedFreshness{computed: true}
		var secs sql.NullFloat64
		if err := rows.Scan(&id, &sf.latest, &secs); err != nil {
			return nil, fmt.Errorf("scan stored freshness: %w", err)
		}
		if secs.Valid {
			sf.interval = fromSeconds(secs.Float64)
		}
		out[id] = sf
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stored freshness: %w", err)
	}
	return out, nil
}

// Shop-wide median gap (rule 3), kept in freshness_shops. dirty_at is set
// by the first order recorded after the gap was computed; the sweep
// recomputes dirty gaps shopGapDelay after their computation.
const (
	shopGapSQL       = `SELECT median_gap_seconds FROM freshness_shops WHERE shop_id = $1`
	upsertShopGapSQL = `INSERT INTO freshness_shops (shop_id, median_gap_seconds, computed_at) VALUES ($1, $2, $3)
ON CONFLICT (shop_id) DO UPDATE SET median_gap_seconds = excluded.median_gap_seconds, computed_at = excluded.computed_at,
	dirty_at = NULL`
	staleShopGapsSQL   = `SELECT shop_id FROM freshness_shops WHERE dirty_at IS NOT NULL AND computed_at <= $1 ORDER BY computed_at LIMIT $2`
	earliestDirtySQL   = `SELECT computed_at FROM freshness_shops WHERE dirty_at IS NOT NULL ORDER BY computed_at LIMIT 1`
	markShopDirtySQL   = `UPDATE freshness_shops SET dirty_at = $2 WHERE shop_id = $1 AND dirty_at IS NULL`
	shopGapComputedSQL = `SELECT computed_at FROM freshness_shops WHERE shop_id = $1`
)

// markShopDirty records that the shop has new orders since its median gap
// was computed. The first time, it returns when that gap should be
// recomputed (shopGapDelay after its computation, not before now); else
// the zero time.
func markShopDirty(ctx context.Context, tx db.DBTX, shopID string, now time.Time) (time.Time, error) {
	res, err := tx.ExecContext(ctx, markShopDirtySQL, shopID, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("mark shop gap: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return time.Time{}, err
	}
	var computed time.Time
	if err := tx.QueryRowContext(ctx, shopGapComputedSQL, shopID).Scan(&computed); err != nil {
		return time.Time{}, fmt.Errorf("shop gap computed at: %w", err)
	}
	return maxTime(computed.Add(shopGapDelay), now), nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// storedShopGap returns the shop's stored median gap (nil when no customer
// had two orders) and whether one is stored.
func storedShopGap(ctx context.Context, d db.DBTX, shopID string) (*time.Duration, bool, error) {
	var secs sql.NullFloat64
	err := d.QueryRowContext(ctx, shopGapSQL, shopID).Scan(&secs)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("shop median gap: %w", err)
	case !secs.Valid:
		return nil, true, nil
	}
	g := fromSeconds(secs.Float64)
	return &g, true, nil
}

// storeShopGap stores the shop's median gap computed at now.
func storeShopGap(ctx context.Context, tx db.DBTX, shopID string, gap *time.Duration, now time.Time) error {
	var secs any
	if gap != nil {
		secs = seconds(gap.Round(time.Microsecond))
	}
	if _, err := tx.ExecContext(ctx, upsertShopGapSQL, shopID, secs, now); err != nil {
		return fmt.Errorf("store shop median gap: %w", err)
	}
	return nil
}
