package journey_test

import (
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// seedParams describe the runs seedRuns writes.
type seedParams struct {
	journeyID string
	n         int
	step      int           // the step index every run waits at
	first     time.Time     // run 0's planned time (whole seconds)
	spread    time.Duration // run k is planned at first + k×spread/n (whole seconds)
}

// The seed, set-based: customer k, run k and run k's journey.step job, as
// the subscriber and the engine leave them, written by INSERT … SELECT over
// a generated series (1M of each in minutes, where the API would take
// hours). Times are whole seconds; on SQLite they are written in the text
// form the driver writes (time_format=sqlite), so comparisons with times
// the application writes hold.
const (
	seedCustomersPG = `INSERT INTO customers (shop_id, id, external_id, email, created_at, updated_at)
SELECT $1, 'cus_b' || lpad(k::text, 8, '0'), 'b' || k, 'cus_b' || lpad(k::text, 8, '0') || '@example.jp', $2, $2
FROM generate_series($3::bigint, $4::bigint) AS k`
	seedRunsPG = `INSERT INTO runs (shop_id, id, journey_id, version, customer_id, trigger_key, status, step_index, step_at, context, started_at, created_at, updated_at)
SELECT $1, 'run_b' || lpad(k::text, 8, '0'), $5, 1, 'cus_b' || lpad(k::text, 8, '0'), 'evt_b' || k, 'active', $6::integer,
  $7::timestamptz + make_interval(secs => (k * $8::bigint / $9::bigint)::double precision), '{}', $2, $2, $2
FROM generate_series($3::bigint, $4::bigint) AS k`
	seedJobsPG = `INSERT INTO jobs (kind, shop_id, args, state, attempt, max_attempts, run_at, unique_key, created_at)
SELECT 'journey.step', $1,
  '{"run_id":"run_b' || lpad(k::text, 8, '0') || '","step":' || $5::integer || ',"customer_id":"cus_b' || lpad(k::text, 8, '0') || '"}',
  'available', 0, 25, $6::timestamptz + make_interval(secs => (k * $7::bigint / $8::bigint)::double precision),
  'journey.step:run_b' || lpad(k::text, 8, '0') || ':' || $5::integer, $2
FROM generate_series($3::bigint, $4::bigint) AS k`

	seedSeriesSQLite    = `WITH RECURSIVE s(k) AS (SELECT $3 UNION ALL SELECT k + 1 FROM s WHERE k < $4) `
	seedCustomersSQLite = seedSeriesSQLite + `INSERT INTO customers (shop_id, id, external_id, email, created_at, updated_at)
SELECT $1, 'cus_b' || substr('0000000' || k, -8), 'b' || k, 'cus_b' || substr('0000000' || k, -8) || '@example.jp', $2, $2 FROM s`
	seedRunsSQLite = seedSeriesSQLite + `INSERT INTO runs (shop_id, id, journey_id, version, customer_id, trigger_key, status, step_index, step_at, context, started_at, created_at, updated_at)
SELECT $1, 'run_b' || substr('0000000' || k, -8), $5, 1, 'cus_b' || substr('0000000' || k, -8), 'evt_b' || k, 'active', $6,
  strftime('%Y-%m-%d %H:%M:%S', $7 + k * $8 / $9, 'unixepoch') || '+00:00', '{}', $2, $2, $2 FROM s`
	seedJobsSQLite = seedSeriesSQLite + `INSERT INTO jobs (kind, shop_id, args, state, attempt, max_attempts, run_at, unique_key, created_at)
SELECT 'journey.step', $1,
  '{"run_id":"run_b' || substr('0000000' || k, -8) || '","step":' || $5 || ',"customer_id":"cus_b' || substr('0000000' || k, -8) || '"}',
  'available', 0, 25, strftime('%Y-%m-%d %H:%M:%S', $6 + k * $7 / $8, 'unixepoch') || '+00:00',
  'journey.step:run_b' || substr('0000000' || k, -8) || ':' || $5, $2 FROM s`
)

// seedChunk is how many runs one seeding transaction writes.
const seedChunk = 100000

// seedRuns writes p.n customers, active runs of p.journeyID waiting at
// p.step and their journey.step jobs.
func seedRuns(b *testing.B, tb *testBundle, p seedParams) {
	b.Helper()
	now := tb.sim.Now()
	spread := int64(p.spread / time.Second)
	for from := 0; from < p.n; from += seedChunk {
		to := min(from+seedChunk, p.n) - 1
		err := tb.d.InTx(tb.ctx, func(tx *db.Tx) error {
			// The time of run k: first + k×spread/n seconds, in integers
			// on both engines.
			first := any(p.first)
			cq, rq, jq := seedCustomersPG, seedRunsPG, seedJobsPG
			if tx.Dialect() == db.SQLite {
				first = p.first.Unix()
				cq, rq, jq = seedCustomersSQLite, seedRunsSQLite, seedJobsSQLite
			}
			if _, err := tx.ExecContext(tb.ctx, cq, tb.shopID, now, from, to); err != nil {
				return err
			}
			if _, err := tx.ExecContext(tb.ctx, rq, tb.shopID, now, from, to, p.journeyID, p.step, first, spread, p.n); err != nil {
				return err
			}
			_, err := tx.ExecContext(tb.ctx, jq, tb.shopID, now, from, to, p.step, first, spread, p.n)
			return err
		})
		if err != nil {
			b.Fatalf("seed runs %d-%d: %v", from, to, err)
		}
	}
}
