package admin_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/admin/stats"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/staff"
)

// BenchmarkDashboard measures the dashboard of a shop with 100,000
// customers (1,000,000 with KIZUKAI_BENCH_LARGE=1), on each engine:
//
//   - compute: stats.Compute, the snapshot a large shop's page reads (every
//     figure from the tables: 3 orders per customer, one message each in
//     the last twelve weeks, a survey answer for every tenth);
//
//   - page: GET /admin/ signed in, as a browser would, from the snapshot
//     plus the live ticket counts, rendered.
//
//     KIZUKAI_TEST_POSTGRES=... [KIZUKAI_BENCH_LARGE=1] go test -run '^$' -bench Dashboard -benchtime 10x ./internal/admin/
func BenchmarkDashboard(b *testing.B) {
	n := 100_000
	if os.Getenv("KIZUKAI_BENCH_LARGE") != "" {
		n = 1_000_000
	}
	urls := map[string]func() string{"sqlite": func() string { return "sqlite:" + filepath.Join(b.TempDir(), "kizukai.db") }}
	if os.Getenv("KIZUKAI_TEST_POSTGRES") != "" {
		urls["postgres"] = func() string { return dbtest.PostgresSchemaURL(b) }
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		u, ok := urls[engine]
		if !ok {
			continue
		}
		b.Run(engine, func(b *testing.B) {
			ae := apptest.New(b, u(), apptest.Options{})
			dashboardFixture(b, ae, n)
			ctx := context.Background()
			b.Run("compute", func(b *testing.B) {
				for b.Loop() {
					if _, err := stats.Compute(ctx, ae.App.DB, ae.App.Surveys, ae.Shop.ID, apptest.Start, ae.Shop.Location()); err != nil {
						b.Fatal(err)
					}
				}
			})
			e := newEnv(b, ae)
			e.user(b, staff.Viewer, "viewer@example.jp")
			c := e.login(b, "viewer@example.jp")
			if r := c.get("/admin/"); r.Status != http.StatusOK {
				b.Fatalf("first view: %d", r.Status) // computes and stores the snapshot
			}
			if r := c.get("/admin/"); !strings.Contains(r.Body, "集計した数字です") {
				b.Fatal("the second view is not the snapshot")
			}
			b.Run("page", func(b *testing.B) {
				for b.Loop() {
					if r := c.get("/admin/"); r.Status != http.StatusOK {
						b.Fatalf("page: %d", r.Status)
					}
				}
			})
		})
	}
}

// The fixture, written set-based: customer i has 1 + i%5 orders (3 on
// average, 20–59 days apart, the latest 0–399 days old), a stored band
// (i%4), one message created in the last twelve weeks (purpose i%4,
// status i%6, of the post-purchase journey, every 50th followed by an
// opt-out), and every tenth a survey answer.
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
	benchFreshnessSQLite = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1)
INSERT INTO customer_freshness (shop_id, customer_id, freshness_band, freshness_at)
SELECT $1, printf('cus_%09d', i), CASE i % 4 WHEN 0 THEN 'fresh' WHEN 1 THEN 'cooling' WHEN 2 THEN 'stale' ELSE 'lost' END, $3 FROM n`
	benchMessagesSQLite = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1)
INSERT INTO messages (shop_id, id, customer_id, purpose, status, journey_id, dedupe_key, opted_out, due_at, created_at, updated_at)
SELECT $1, printf('msg_%09d', i), printf('cus_%09d', i),
	CASE i % 4 WHEN 0 THEN 'care' WHEN 1 THEN 'info' WHEN 2 THEN 'sales' ELSE 'transactional' END,
	CASE i % 6 WHEN 0 THEN 'sent' WHEN 1 THEN 'delivered' WHEN 2 THEN 'opened' WHEN 3 THEN 'clicked' WHEN 4 THEN 'suppressed' ELSE 'scheduled' END,
	$5, printf('bench:%09d', i), i % 50 = 0, $3,
	strftime('%Y-%m-%d %H:%M:%S', $4 - (i * 7919) % (84 * 86400), 'unixepoch') || '+00:00', $3 FROM n`
	benchAnswersSQLite = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 10 FROM n WHERE i < $2 - 10)
INSERT INTO survey_responses (shop_id, id, survey_id, order_id, customer_id, csat, nps, answered_at, updated_at)
SELECT $1, printf('srv_%09d', i), 'post_purchase', printf('ord_%09d_0', i), printf('cus_%09d', i), 1 + (i / 10) % 5, (i / 10) % 11,
	strftime('%Y-%m-%d %H:%M:%S', $4 - (i * 7919) % (84 * 86400), 'unixepoch') || '+00:00', $3 FROM n`

	benchCustomersPG = `INSERT INTO customers (shop_id, id, external_id, created_at, updated_at)
SELECT $1, 'cus_' || lpad(i::text, 9, '0'), 'e' || lpad(i::text, 9, '0'), $3, $3 FROM generate_series(0, $2::int - 1) AS i`
	benchOrdersPG = `INSERT INTO orders (shop_id, id, external_id, customer_id, ordered_at, channel, total, content_hash, created_at)
SELECT $1, 'ord_' || lpad(i::text, 9, '0') || '_' || j, 'o' || lpad(i::text, 9, '0') || '_' || j, 'cus_' || lpad(i::text, 9, '0'),
	to_timestamp($4::bigint - ((i::bigint * 7919) % 400 + j * (20 + i % 40)) * 86400 - i % 86400),
	'store', 100, 'h', $3
FROM generate_series(0, $2::int - 1) AS i JOIN generate_series(0, 4) AS j ON j <= i % 5`
	benchFreshnessPG = `INSERT INTO customer_freshness (shop_id, customer_id, freshness_band, freshness_at)
SELECT $1, 'cus_' || lpad(i::text, 9, '0'), CASE i % 4 WHEN 0 THEN 'fresh' WHEN 1 THEN 'cooling' WHEN 2 THEN 'stale' ELSE 'lost' END, $3
FROM generate_series(0, $2::int - 1) AS i`
	benchMessagesPG = `INSERT INTO messages (shop_id, id, customer_id, purpose, status, journey_id, dedupe_key, opted_out, due_at, created_at, updated_at)
SELECT $1, 'msg_' || lpad(i::text, 9, '0'), 'cus_' || lpad(i::text, 9, '0'),
	CASE i % 4 WHEN 0 THEN 'care' WHEN 1 THEN 'info' WHEN 2 THEN 'sales' ELSE 'transactional' END,
	CASE i % 6 WHEN 0 THEN 'sent' WHEN 1 THEN 'delivered' WHEN 2 THEN 'opened' WHEN 3 THEN 'clicked' WHEN 4 THEN 'suppressed' ELSE 'scheduled' END,
	$5, 'bench:' || lpad(i::text, 9, '0'), i % 50 = 0, $3,
	to_timestamp($4::bigint - (i::bigint * 7919) % (84 * 86400)), $3
FROM generate_series(0, $2::int - 1) AS i`
	benchAnswersPG = `INSERT INTO survey_responses (shop_id, id, survey_id, order_id, customer_id, csat, nps, answered_at, updated_at)
SELECT $1, 'srv_' || lpad(i::text, 9, '0'), 'post_purchase', 'ord_' || lpad(i::text, 9, '0') || '_0', 'cus_' || lpad(i::text, 9, '0'),
	1 + (i / 10) % 5, (i / 10) % 11, to_timestamp($4::bigint - (i::bigint * 7919) % (84 * 86400)), $3
FROM generate_series(0, $2::int - 1, 10) AS i`
)

func dashboardFixture(b *testing.B, ae *apptest.Env, n int) {
	b.Helper()
	ctx := context.Background()
	d := ae.App.DB
	t0 := apptest.Start
	var journeyID string
	if err := d.QueryRowContext(ctx, `SELECT id FROM journeys WHERE shop_id = $1 AND builtin_key = 'post_purchase_care'`, ae.Shop.ID).Scan(&journeyID); err != nil {
		b.Fatalf("post-purchase journey: %v", err)
	}
	start := time.Now()
	err := d.InTx(ctx, func(tx *db.Tx) error {
		for _, q := range []struct{ pg, lite string }{
			{benchCustomersPG, benchCustomersSQLite}, {benchOrdersPG, benchOrdersSQLite}, {benchFreshnessPG, benchFreshnessSQLite},
			{benchMessagesPG, benchMessagesSQLite}, {benchAnswersPG, benchAnswersSQLite},
		} {
			args := []any{ae.Shop.ID, n, t0, t0.Unix(), journeyID}
			used := 0
			for i := range args {
				if strings.Contains(q.pg, "$"+strconv.Itoa(i+1)) {
					used = i + 1
				}
			}
			if _, err := tx.ExecContext(ctx, d.Pick(q.pg, q.lite), args[:used]...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("fixture: %v", err)
	}
	if d.Dialect() == db.Postgres {
		for _, t := range []string{"customers", "orders", "customer_freshness", "messages", "survey_responses"} {
			if _, err := d.ExecContext(ctx, "VACUUM ANALYZE "+t); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("fixture: %d customers in %s", n, time.Since(start).Round(time.Second))
}
