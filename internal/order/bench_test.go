package order_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/order"
)

// Run with: KIZUKAI_TEST_POSTGRES=... go test -run '^$' -bench . ./internal/order/
// Each benchmark reports orders/s; docs/performance.md records the figures.

func benchEach(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
}

const benchCustomers = 100

func benchSetup(b *testing.B, d *db.DB) *testBundle {
	tb := setup(b, d)
	for i := range benchCustomers {
		tb.customer(b, fmt.Sprintf("C%d", i))
	}
	return tb
}

// benchSub is a typical till order: two lines, a known customer.
func benchSub(n int) order.Submission {
	s := sub(fmt.Sprintf("B-%d", n))
	s.CustomerExternalID = fmt.Sprintf("C%d", n%benchCustomers)
	return s
}

func ordersPerSecond(b *testing.B, orders int) {
	b.ReportMetric(float64(orders)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkOrderSingle is one order per call through Service.Place.
func BenchmarkOrderSingle(b *testing.B) {
	benchEach(b, func(b *testing.B, d *db.DB) {
		tb := benchSetup(b, d)
		ctx := context.Background()
		n := 0
		for b.Loop() {
			if _, _, err := tb.orders.Place(ctx, tb.shopID, benchSub(n)); err != nil {
				b.Fatal(err)
			}
			n++
		}
		ordersPerSecond(b, n)
	})
}

// BenchmarkOrderBatch1000 is 1000 new orders per call through
// Service.PlaceBatch (validation, hashing, idempotency, customers,
// catalogue, events).
func BenchmarkOrderBatch1000(b *testing.B) {
	benchEach(b, func(b *testing.B, d *db.DB) {
		tb := benchSetup(b, d)
		ctx := context.Background()
		n := 0
		for b.Loop() {
			b.StopTimer()
			subs := make([]order.Submission, 1000)
			for i := range subs {
				subs[i] = benchSub(n)
				n++
			}
			b.StartTimer()
			rs, err := tb.orders.PlaceBatch(ctx, tb.shopID, subs)
			if err != nil {
				b.Fatal(err)
			}
			if rs[999].Err != nil || !rs[999].Created {
				b.Fatalf("last result %+v", rs[999])
			}
		}
		ordersPerSecond(b, n)
	})
}

// BenchmarkRawInsert is the floor the batch path is measured against: the
// same orders and lines written with plain multi-row INSERTs, one
// transaction per 1000 orders, no validation, idempotency or events.
func BenchmarkRawInsert(b *testing.B) {
	benchEach(b, func(b *testing.B, d *db.DB) {
		tb := benchSetup(b, d)
		ctx := context.Background()
		var custIDs []string
		rows, err := d.QueryContext(ctx, `SELECT id FROM customers WHERE shop_id = $1`, tb.shopID)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var s string
			_ = rows.Scan(&s)
			custIDs = append(custIDs, s)
		}
		rows.Close()
		at := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
		n := 0
		for b.Loop() {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				for part := 0; part < 2; part++ { // 2 × 500 orders, as the service chunks them
					var ob, lb strings.Builder
					ob.WriteString(`INSERT INTO orders (shop_id, id, external_id, customer_id, ordered_at, channel, store, discount, total, currency, content_hash, created_at) VALUES `)
					lb.WriteString(`INSERT INTO order_lines (shop_id, order_id, line_no, sku, quantity, unit_price, catalogued) VALUES `)
					var oa, la []any
					for k := range 500 {
						oid := id.New("ord")
						if k > 0 {
							ob.WriteString(", ")
							lb.WriteString(", ")
						}
						ob.WriteString(row(d.Dialect(), len(oa), 12))
						oa = append(oa, tb.shopID, oid, fmt.Sprintf("B-%d", n), custIDs[n%len(custIDs)], at, "store", "渋谷店",
							int64(0), int64(3500), "JPY", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", at)
						lb.WriteString(row(d.Dialect(), len(la), 7) + ", " + row(d.Dialect(), len(la)+7, 7))
						la = append(la, tb.shopID, oid, 1, "LOTION-1", int64(2), int64(1500), false,
							tb.shopID, oid, 2, "X-9", int64(1), int64(500), false)
						n++
					}
					if _, err := tx.ExecContext(ctx, ob.String(), oa...); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, lb.String(), la...); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		ordersPerSecond(b, n)
	})
}

// row returns one VALUES group of n placeholders after the first `after`
// ones: "?" on SQLite (its fastest form), "$N" on PostgreSQL.
func row(d db.Dialect, after, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "?"
		if d == db.Postgres {
			ph[i] = fmt.Sprintf("$%d", after+i+1)
		}
	}
	return "(" + strings.Join(ph, ", ") + ")"
}
