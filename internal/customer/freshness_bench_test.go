package customer

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
)

// Run with:
//
//	KIZUKAI_TEST_POSTGRES=... [KIZUKAI_BENCH_LARGE=1] go test -run '^$' -bench Freshness -benchtime 1x ./internal/customer/
//
// 100,000 customers by default, 1,000,000 with KIZUKAI_BENCH_LARGE=1;
// docs/performance.md ("Freshness") records the figures.

func benchCustomers() int {
	if os.Getenv("KIZUKAI_BENCH_LARGE") == "1" {
		return 1_000_000
	}
	return 100_000
}

func benchFreshnessEach(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
}

// Fixture: customer i has 1 + i%5 orders (3 on average), the latest
// 0–399 days before t0, 20–59 days apart; no order lines, so customers with
// fewer than two gaps take the shop's median gap. Written set-based (a
// recursive CTE on SQLite, generate_series on PostgreSQL) in a few seconds.
const (
	benchCustomersSQLite = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1)
INSERT INTO customers (shop_id, id, external_id, created_at, updated_at)
SELECT $1, printf('cus_%09d', i), printf('e%09d', i), $3, $3 FROM n`
	benchOrdersSQLite = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1),
k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 4)
INSERT INTO orders (shop_id, id, external_id, customer_id, ordered_at, channel, total, content_hash, created_at)
SELECT $1, printf('ord_%09d_%d', i, j), printf('o%09d_%d', i, j), printf('cus_%09d', i),
	strftime('%Y-%m-%d %H:%M:%S', $4 - ((i * 7919) % 400 + j * (20 + i % 40)) * 86400 - i % 86400, 'unixepoch') || '+00:00',
	'store', 100, 'h', $3
FROM n JOIN k ON j <= i % 5`
	benchCustomersPG = `INSERT INTO customers (shop_id, id, external_id, created_at, updated_at)
SELECT $1, 'cus_' || lpad(i::text, 9, '0'), 'e' || lpad(i::text, 9, '0'), $3, $3 FROM generate_series(0, $2::int - 1) AS i`
	benchOrdersPG = `INSERT INTO orders (shop_id, id, external_id, customer_id, ordered_at, channel, total, content_hash, created_at)
SELECT $1, 'ord_' || lpad(i::text, 9, '0') || '_' || j, 'o' || lpad(i::text, 9, '0') || '_' || j, 'cus_' || lpad(i::text, 9, '0'),
	to_timestamp($4::bigint - ((i::bigint * 7919) % 400 + j * (20 + i % 40)) * 86400 - i % 86400),
	'store', 100, 'h', $3
FROM generate_series(0, $2::int - 1) AS i JOIN generate_series(0, 4) AS j ON j <= i % 5`
)

func benchFixture(b testing.TB, d *db.DB, n int) *testBundle {
	b.Helper()
	tb := setup(b, d)
	start := time.Now()
	err := d.InTx(tb.ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(tb.ctx, d.Pick(benchCustomersPG, benchCustomersSQLite), tb.shopID, n, t0); err != nil {
			return err
		}
		_, err := tx.ExecContext(tb.ctx, d.Pick(benchOrdersPG, benchOrdersSQLite), tb.shopID, n, t0, t0.Unix())
		return err
	})
	if err != nil {
		b.Fatalf("fixture: %v", err)
	}
	if d.Dialect() == db.Postgres {
		// VACUUM as autovacuum would have: without it the index-only
		// scan of orders fetches every heap page to check visibility.
		for _, q := range []string{`VACUUM ANALYZE customers`, `VACUUM ANALYZE orders`} {
			if _, err := d.ExecContext(tb.ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("fixture: %d customers, about %d orders in %s", n, 3*n, time.Since(start).Round(time.Millisecond))
	return tb
}

// BenchmarkFreshnessRecomputeAll is the backfill of a shop: every
// customer's freshness computed from their orders and stored.
func BenchmarkFreshnessRecomputeAll(b *testing.B) {
	benchFreshnessEach(b, func(b *testing.B, d *db.DB) {
		n := benchCustomers()
		tb := benchFixture(b, d, n)
		total := 0
		for b.Loop() {
			got, err := tb.svc.RecomputeAllFreshness(context.Background(), tb.shopID)
			if err != nil || got != n {
				b.Fatalf("RecomputeAllFreshness = %d, %v; want %d", got, err, n)
			}
			total += got
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "customers/s")
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/shop")
	})
}

// BenchmarkFreshnessSweep is the sweep after time alone moved customers:
// the backfill at t0, then the sweep 30 days later, when about half of the
// customers have changed band (some twice: one event per band passed).
func BenchmarkFreshnessSweep(b *testing.B) {
	benchFreshnessEach(b, func(b *testing.B, d *db.DB) {
		n := benchCustomers()
		tb := benchFixture(b, d, n)
		ctx := context.Background()
		moved := 0
		for b.Loop() {
			b.StopTimer()
			tb.clk.Set(t0) //nolint:errcheck // t0 is the bundle's start
			if _, err := tb.svc.RecomputeAllFreshness(ctx, tb.shopID); err != nil {
				b.Fatal(err)
			}
			now := t0.Add(30 * Day)
			b.StartTimer()
			for {
				var k int
				err := d.InTx(ctx, func(tx *db.Tx) error {
					var err error
					k, err = tb.svc.sweepBatch(ctx, tx, now)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				moved += k
				if k < sweepBatch {
					break
				}
			}
		}
		b.ReportMetric(float64(moved)/b.Elapsed().Seconds(), "changes/s")
		b.ReportMetric(float64(moved)/float64(b.N), "changes")
	})
}
