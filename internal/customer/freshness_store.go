package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// Stored freshness: the columns of migration 00007 and the SQL that reads
// and writes them. The computation is in freshness_refresh.go, the sweep in
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

// sqlPlaceholders writes the parameters of long statements: "$n" on
// PostgreSQL (typed with a cast, as VALUES lists infer no types), plain "?"
// on SQLite, which resolves "$n" by a linear search of the names seen so
// far (see internal/event/store.go: half the CPU of a 1000-row INSERT).
type sqlPlaceholders struct {
	d db.Dialect
	n int
}

// next writes one placeholder; cast is its PostgreSQL type ("" for none).
func (p *sqlPlaceholders) next(b *strings.Builder, cast string) {
	p.n++
	if p.d != db.Postgres {
		b.WriteByte('?')
		return
	}
	b.WriteByte('$')
	b.WriteString(strconv.Itoa(p.n))
	if cast != "" {
		b.WriteString("::")
		b.WriteString(cast)
	}
}

// writeFreshnessChunk is how many rows one UPDATE writes: 7 parameters
// each, 3500 in all, under both engines' limits.
const writeFreshnessChunk = 500

// updateFreshness* build the bulk UPDATE of writeFreshness. band_since is
// kept when the band does not change (a new order while fresh leaves the
// customer fresh since the first time).
const (
	updateFreshnessPG = `UPDATE customers AS c SET latest_order_at = v.latest, expected_interval_seconds = v.interval_s,
	freshness_rule = v.rule, freshness_band = v.band,
	band_since = CASE WHEN c.freshness_band = v.band THEN c.band_since ELSE v.since END,
	next_band_at = v.next_at, freshness_at = $1
FROM (VALUES %s) AS v(shop_id, id, latest, interval_s, rule, band, since, next_at)
WHERE c.shop_id = v.shop_id AND c.id = v.id`
	updateFreshnessSQLite = `WITH v(shop_id, id, latest, interval_s, rule, band, since, next_at) AS (VALUES %s)
UPDATE customers SET latest_order_at = v.latest, expected_interval_seconds = v.interval_s,
	freshness_rule = v.rule, freshness_band = v.band,
	band_since = CASE WHEN customers.freshness_band = v.band THEN customers.band_since ELSE v.since END,
	next_band_at = v.next_at, freshness_at = ?
FROM v WHERE customers.shop_id = v.shop_id AND customers.id = v.id`
)

// freshnessCols are the PostgreSQL types of the VALUES columns above.
var freshnessCols = []string{"text", "text", "timestamptz", "float8", "int", "text", "timestamptz", "timestamptz"}

// updateFreshnessArraysPG is the PostgreSQL form: one array parameter per
// column. With VALUES lists the planner hash-joins a sequential scan of
// all customers for every 500 rows (8.6 s for 100,000 customers); unnest
// is estimated small, so each row is found through the primary key.
const updateFreshnessArraysPG = `UPDATE customers AS c SET latest_order_at = v.latest, expected_interval_seconds = v.interval_s,
	freshness_rule = v.rule, freshness_band = v.band,
	band_since = CASE WHEN c.freshness_band = v.band THEN c.band_since ELSE v.since END,
	next_band_at = v.next_at, freshness_at = $1
FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::float8[], $6::int[], $7::text[], $8::timestamptz[], $9::timestamptz[])
	AS v(shop_id, id, latest, interval_s, rule, band, since, next_at)
WHERE c.shop_id = v.shop_id AND c.id = v.id`

// writeFreshnessArrayChunk is how many rows one PostgreSQL UPDATE writes.
const writeFreshnessArrayChunk = 5000

// writeFreshness stores rows with multi-row UPDATEs, computed at now.
func writeFreshness(ctx context.Context, tx db.DBTX, rows []freshnessRow, now time.Time) error {
	d := tx.Dialect()
	if d == db.Postgres {
		return writeFreshnessArrays(ctx, tx, rows, now)
	}
	for start := 0; start < len(rows); start += writeFreshnessChunk {
		part := rows[start:min(start+writeFreshnessChunk, len(rows))]
		var b strings.Builder
		ph := sqlPlaceholders{d: d}
		args := make([]any, 0, 1+len(part)*len(freshnessCols))
		if d == db.Postgres {
			ph.n = 1 // $1 is now
			args = append(args, now)
		}
		for k, r := range part {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for i, cast := range freshnessCols {
				if i > 0 {
					b.WriteString(", ")
				}
				ph.next(&b, cast)
			}
			b.WriteByte(')')
			var interval, rule, band any
			if r.latest != nil {
				interval, rule, band = seconds(r.interval), r.rule, r.band
			}
			args = append(args, r.shopID, r.id, timeArg(r.latest), interval, rule, band, timeArg(r.since), timeArg(r.next))
		}
		if d != db.Postgres {
			args = append(args, now)
		}
		q := fmt.Sprintf(d.Pick(updateFreshnessPG, updateFreshnessSQLite), b.String())
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store freshness: %w", err)
		}
	}
	return nil
}

// writeFreshnessArrays is writeFreshness on PostgreSQL. Times are passed
// in arrays, which db does not normalise: they are UTC to the microsecond
// already (orders' times and whole-microsecond intervals).
func writeFreshnessArrays(ctx context.Context, tx db.DBTX, rows []freshnessRow, now time.Time) error {
	for start := 0; start < len(rows); start += writeFreshnessArrayChunk {
		part := rows[start:min(start+writeFreshnessArrayChunk, len(rows))]
		n := len(part)
		shops, ids, bands := make([]string, n), make([]string, n), make([]*string, n)
		latest, since, next := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
		intervals, rules := make([]*float64, n), make([]*int32, n)
		for i, r := range part {
			shops[i], ids[i], latest[i], since[i], next[i] = r.shopID, r.id, r.latest, r.since, r.next
			if r.latest != nil {
				secs, rule, band := seconds(r.interval), int32(r.rule), r.band //nolint:gosec // rules are 1 to 4
				intervals[i], rules[i], bands[i] = &secs, &rule, &band
			}
		}
		if _, err := tx.ExecContext(ctx, updateFreshnessArraysPG, now, shops, ids, latest, intervals, rules, bands, since, next); err != nil {
			return fmt.Errorf("store freshness: %w", err)
		}
	}
	return nil
}

// storedFreshness is what the stored columns give for showing a customer.
type storedFreshness struct {
	computed bool // freshness_at is set
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

const storedFreshnessSQL = `SELECT id, latest_order_at, expected_interval_seconds, freshness_at IS NOT NULL
FROM customers WHERE shop_id = $1 AND id IN (%s)`

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
		var sf storedFreshness
		var secs sql.NullFloat64
		if err := rows.Scan(&id, &sf.latest, &secs, &sf.computed); err != nil {
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
