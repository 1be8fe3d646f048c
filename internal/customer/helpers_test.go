package customer

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/shop"
)

var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

type testBundle struct {
	d      *db.DB
	svc    *Service
	clk    *clock.Simulated
	shopID string
	ctx    context.Context
}

func setup(t testing.TB, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewSimulated(t0)
	s, err := shop.Create(ctx, d, shop.CreateParams{Slug: "s-" + id.New("x")[16:], Name: "店"}, t0)
	if err != nil {
		t.Fatalf("shop: %v", err)
	}
	return &testBundle{d: d, svc: NewService(d, clk, &event.Recorder{}), clk: clk, shopID: s.ID, ctx: ctx}
}

// storeFreshness subscribes the order.placed handler, as the app wires it,
// so that freshness is stored when an order is (and band changes recorded).
func (b *testBundle) storeFreshness() {
	b.svc.events.Subscribe(func(ctx context.Context, tx db.DBTX, e event.Event) error {
		return b.svc.OnOrdersPlaced(ctx, tx, []event.Event{e})
	})
}

func ptr[T any](v T) *T { return &v }

// upsert upserts and fails the test on error.
func (b *testBundle) upsert(t *testing.T, in Input) Customer {
	t.Helper()
	c, _, err := b.svc.Upsert(b.ctx, b.shopID, in)
	if err != nil {
		t.Fatalf("upsert %s: %v", in.ExternalID, err)
	}
	return c
}

// order inserts an order of the customer at the given time with lines of
// the given SKUs (products are created with consumption days from days,
// nil for durables), as the orders service would.
func (b *testBundle) order(t *testing.T, customerID string, at time.Time, total int64, skus map[string]*int) string {
	t.Helper()
	oid := id.New("ord")
	err := b.d.InTx(b.ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(b.ctx, `INSERT INTO orders (shop_id, id, external_id, customer_id, ordered_at, channel, total, content_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, 'store', $6, 'h', $5)`, b.shopID, oid, "ext-"+oid, customerID, at, total); err != nil {
			return err
		}
		n := 0
		for sku, days := range skus {
			n++
			if _, err := tx.ExecContext(b.ctx, `INSERT INTO products (shop_id, sku, name, consumption_days, created_at, updated_at)
				VALUES ($1, $2, $2, $3, $4, $4) ON CONFLICT DO NOTHING`, b.shopID, sku, days, at); err != nil {
				return err
			}
			if _, err := tx.ExecContext(b.ctx, `INSERT INTO order_lines (shop_id, order_id, line_no, sku, quantity, unit_price)
				VALUES ($1, $2, $3, $4, 1, 100)`, b.shopID, oid, n, sku); err != nil {
				return err
			}
		}
		_, _, err := b.svc.events.Record(b.ctx, tx, event.RecordParams{ShopID: b.shopID, CustomerID: customerID,
			Type: event.OrderPlaced, OccurredAt: at, Now: at, Data: map[string]any{"order_id": oid, "total": total}})
		return err
	})
	if err != nil {
		t.Fatalf("order: %v", err)
	}
	return oid
}

func days(n int) *int { return &n }

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// hasField reports whether err is a validation error naming field.
func hasField(err error, field string) bool {
	var e *errs.Error
	if !errors.As(err, &e) {
		return false
	}
	_, ok := e.Fields[field]
	return ok
}

func itoa(n int) string { return strconv.Itoa(n) }

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
