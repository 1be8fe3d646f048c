package order_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/product"
)

func TestPlace(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d)
		c := b.customer(t, "C1")
		if _, _, err := product.NewService(d, b.clk).Put(ctx, b.shopID, "LOTION-1", product.Details{Name: "化粧水"}); err != nil {
			t.Fatal(err)
		}
		o, created, err := b.orders.Place(ctx, b.shopID, sub("R-1"))
		if err != nil || !created {
			t.Fatalf("place: created=%v err=%v", created, err)
		}
		if o.CustomerID != c.ID || o.Total != 3500 || o.Currency != "JPY" || len(o.Lines) != 2 ||
			!o.Lines[0].Catalogued || o.Lines[1].Catalogued {
			t.Fatalf("order = %+v", o)
		}
		if !strings.HasPrefix(o.ReceiptURL, "http://kizukai.test/r/") {
			t.Fatalf("receipt url %q", o.ReceiptURL)
		}
		got, err := b.orders.ByID(ctx, b.shopID, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ReceiptURL != o.ReceiptURL || len(got.Lines) != 2 || !got.OrderedAt.Equal(o.OrderedAt) {
			t.Fatalf("by id = %+v, want %+v", got, o)
		}
		// The placed event, with first_order.
		evs, err := event.List(ctx, d, event.ListParams{ShopID: b.shopID, CustomerID: c.ID, Types: []string{event.OrderPlaced}})
		if err != nil || len(evs) != 1 {
			t.Fatalf("events = %v, %v", evs, err)
		}
		var data order.PlacedData
		if err := json.Unmarshal(evs[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.OrderID != o.ID || !data.FirstOrder || data.Total != 3500 || len(data.SKUs) != 2 || !evs[0].OccurredAt.Equal(o.OrderedAt) {
			t.Fatalf("event data = %+v", data)
		}
		// Same content again, named by an inline customer this time: 200, nothing new.
		again := sub("R-1")
		again.CustomerExternalID = ""
		again.Customer = &customer.Input{ExternalID: "C1", Phone: ptr("090-1234-5678")}
		o2, created, err := b.orders.Place(ctx, b.shopID, again)
		if err != nil || created || o2.ID != o.ID {
			t.Fatalf("re-post: %v %v %v", o2.ID, created, err)
		}
		// Different content: 409.
		changed := sub("R-1")
		changed.Lines[0].Quantity = 3
		changed.Total = ptr(int64(5000))
		if _, _, err := b.orders.Place(ctx, b.shopID, changed); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("changed re-post: %v", err)
		}
		// A second order is not the first.
		if _, _, err := b.orders.Place(ctx, b.shopID, sub("R-2")); err != nil {
			t.Fatal(err)
		}
		evs, _ = event.List(ctx, d, event.ListParams{ShopID: b.shopID, CustomerID: c.ID, Types: []string{event.OrderPlaced}})
		if len(evs) != 2 || strings.Contains(string(evs[0].Data), `"first_order":true`) {
			t.Fatalf("events after second order = %d: %s", len(evs), evs[0].Data)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM orders WHERE shop_id = $1`, b.shopID); n != 2 {
			t.Fatalf("orders = %d", n)
		}
		// Another shop does not see it.
		other := setup(t, d)
		if _, err := other.orders.ByID(ctx, other.shopID, o.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("other shop: %v", err)
		}
	})
}

func TestPlaceUnknownCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		_, _, err := b.orders.Place(context.Background(), b.shopID, sub("R-1"))
		var e *errs.Error
		if !errors.As(err, &e) || e.Fields["customer_external_id"] == "" {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestConcurrentIdentical posts one order 50 times at once: one row, every
// answer the same order, one event.
func TestConcurrentIdentical(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.customer(t, "C1")
		const n = 50
		var wg sync.WaitGroup
		ids := make([]string, n)
		errsOut := make([]error, n)
		var createdN int
		var mu sync.Mutex
		for i := range n {
			wg.Go(func() {
				s := sub("R-1")
				if i%2 == 0 { // half name the customer inline
					s.CustomerExternalID = ""
					s.Customer = &customer.Input{ExternalID: "C1"}
				}
				o, created, err := b.orders.Place(context.Background(), b.shopID, s)
				ids[i], errsOut[i] = o.ID, err
				if created {
					mu.Lock()
					createdN++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for i := range n {
			if errsOut[i] != nil || ids[i] != ids[0] {
				t.Fatalf("answer %d: id %s (want %s), err %v", i, ids[i], ids[0], errsOut[i])
			}
		}
		if createdN != 1 {
			t.Fatalf("created %d times", createdN)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM orders WHERE shop_id = $1`, b.shopID); c != 1 {
			t.Fatalf("rows = %d", c)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type = 'order.placed'`, b.shopID); c != 1 {
			t.Fatalf("events = %d", c)
		}
	})
}

// TestConcurrentDifferent posts 50 different orders under one external_id
// at once: exactly one wins, 49 conflict.
func TestConcurrentDifferent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.customer(t, "C1")
		const n = 50
		var wg sync.WaitGroup
		results := make([]error, n)
		for i := range n {
			wg.Go(func() {
				s := sub("R-1")
				s.Lines[1].UnitPrice = int64(i)
				s.Total = ptr(int64(3000 + i))
				_, _, results[i] = b.orders.Place(context.Background(), b.shopID, s)
			})
		}
		wg.Wait()
		ok, conflicts := 0, 0
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errs.ErrConflict):
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Fatalf("ok %d, conflicts %d", ok, conflicts)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM orders WHERE shop_id = $1`, b.shopID); c != 1 {
			t.Fatalf("rows = %d", c)
		}
	})
}

func TestPlaceBatch(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d)
		b.customer(t, "C1")
		if _, _, err := b.orders.Place(ctx, b.shopID, sub("OLD")); err != nil {
			t.Fatal(err)
		}
		var subs []order.Submission
		for i := range 600 {
			subs = append(subs, sub(fmt.Sprintf("B-%d", i)))
		}
		bad := sub("BAD")
		bad.Lines[0].Quantity = 0
		subs[10] = bad
		subs[20] = sub("OLD")  // re-post: 200
		conflict := sub("OLD") // changed re-post: 409
		conflict.Store = "新宿店"
		subs[30] = conflict
		subs[40] = sub("B-5") // duplicate inside the batch: like a re-post
		unknown := sub("U-1")
		unknown.CustomerExternalID = "NOPE"
		subs[50] = unknown
		inline := sub("I-1")
		inline.CustomerExternalID = ""
		inline.Customer = &customer.Input{ExternalID: "C2", Email: ptr("c2@example.com")}
		subs[60] = inline
		rs, err := b.orders.PlaceBatch(ctx, b.shopID, subs)
		if err != nil {
			t.Fatal(err)
		}
		created := 0
		for i, r := range rs {
			switch i {
			case 10, 50:
				if !errors.Is(r.Err, errs.ErrInvalid) {
					t.Errorf("item %d: %v", i, r.Err)
				}
			case 20:
				if r.Err != nil || r.Created {
					t.Errorf("item 20: %+v", r)
				}
			case 30:
				if !errors.Is(r.Err, errs.ErrConflict) {
					t.Errorf("item 30: %v", r.Err)
				}
			case 40:
				if r.Err != nil || r.Created || r.Order.ID != rs[5].Order.ID {
					t.Errorf("item 40: %+v (want order %s)", r, rs[5].Order.ID)
				}
			default:
				if r.Err != nil || !r.Created {
					t.Errorf("item %d: %+v", i, r)
				}
				created++
			}
		}
		if c := count(t, d, `SELECT COUNT(*) FROM orders WHERE shop_id = $1`, b.shopID); c != created+1 {
			t.Fatalf("rows = %d, want %d", c, created+1)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM order_lines WHERE shop_id = $1`, b.shopID); c != 2*(created+1) {
			t.Fatalf("lines = %d", c)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type = 'order.placed'`, b.shopID); c != created+1 {
			t.Fatalf("events = %d", c)
		}
		if _, err := b.orders.PlaceBatch(ctx, b.shopID, make([]order.Submission, order.MaxBatch+1)); !errors.Is(err, errs.ErrTooLarge) {
			t.Fatalf("too large: %v", err)
		}
	})
}

func TestList(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d)
		c1 := b.customer(t, "C1")
		b.customer(t, "C2")
		for i := range 5 {
			s := sub(fmt.Sprintf("R-%d", i))
			s.OrderedAt = fmt.Sprintf("2026-11-0%dT10:00:00Z", i+1)
			if i == 4 {
				s.CustomerExternalID = "C2"
			}
			if _, _, err := b.orders.Place(ctx, b.shopID, s); err != nil {
				t.Fatal(err)
			}
		}
		var seen []string
		p := order.ListParams{ShopID: b.shopID, CustomerID: c1.ID, Limit: 3}
		for {
			page, more, err := b.orders.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page {
				seen = append(seen, o.ExternalID)
			}
			if !more {
				break
			}
			p.Before, p.BeforeID = page[len(page)-1].OrderedAt, page[len(page)-1].ID
		}
		if strings.Join(seen, ",") != "R-3,R-2,R-1,R-0" {
			t.Fatalf("pages = %v", seen)
		}
	})
}
