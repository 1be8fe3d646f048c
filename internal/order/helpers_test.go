package order_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/token"
)

var testNow = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

type testBundle struct {
	d         *db.DB
	clk       *clock.Simulated
	events    *event.Recorder
	customers *customer.Service
	orders    *order.Service
	shopID    string
}

func setup(t testing.TB, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewSimulated(testNow)
	ev := &event.Recorder{}
	signer, err := token.NewSigner(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cs := customer.NewService(d, clk, ev)
	s, err := shop.Create(ctx, d, shop.CreateParams{Slug: "s" + fmt.Sprint(time.Now().UnixNano()%1e9), Name: "テスト商店"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{d: d, clk: clk, events: ev, customers: cs,
		orders: order.NewService(d, clk, ev, cs, signer, "http://kizukai.test/"), shopID: s.ID}
}

func ptr[T any](v T) *T { return &v }

// customer creates a customer with the given external ID.
func (b *testBundle) customer(t testing.TB, ext string) customer.Customer {
	t.Helper()
	c, _, err := b.customers.Upsert(context.Background(), b.shopID, customer.Input{ExternalID: ext, Name: ptr("山田 花子")})
	if err != nil {
		t.Fatalf("customer: %v", err)
	}
	return c
}

// sub returns a valid order of customer C1 (by reference).
func sub(ext string) order.Submission {
	return order.Submission{ExternalID: ext, CustomerExternalID: "C1", OrderedAt: "2026-11-22T10:00:00+09:00", Channel: "store",
		Store: "渋谷店", Lines: []order.LineInput{{SKU: "LOTION-1", Quantity: 2, UnitPrice: 1500}, {SKU: "X-9", Quantity: 1, UnitPrice: 500}},
		Total: ptr(int64(3500))}
}

func count(t testing.TB, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
