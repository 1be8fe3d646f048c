package event_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/shop"
)

var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

type testBundle struct {
	ctx     context.Context
	d       *db.DB
	clk     *clock.Simulated
	rec     *event.Recorder
	seen    *[]string // IDs of the events the subscriber was called with
	batches *[]int    // sizes of the batches the batch subscriber was called with
	shopID  string
}

// setup makes a shop and a recorder with a subscriber that notes each
// event it is called with.
func setup(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	b := &testBundle{ctx: ctx, d: d, clk: clock.NewSimulated(t0), rec: &event.Recorder{}, seen: &[]string{}, batches: &[]int{}}
	b.shopID = b.newShop(t)
	b.rec.Subscribe(func(_ context.Context, _ db.DBTX, e event.Event) error {
		*b.seen = append(*b.seen, e.ID)
		return nil
	})
	b.rec.SubscribeBatch(func(_ context.Context, _ db.DBTX, es []event.Event) error {
		if len(es) == 0 {
			return errors.New("batch subscriber called without events")
		}
		*b.batches = append(*b.batches, len(es))
		return nil
	})
	return b
}

func (b *testBundle) newShop(t *testing.T) string {
	t.Helper()
	s, err := shop.Create(b.ctx, b.d, shop.CreateParams{Slug: "s-" + id.New("x")[16:], Name: "店"}, t0)
	if err != nil {
		t.Fatalf("shop: %v", err)
	}
	return s.ID
}

// recordMany runs RecordMany in a transaction of its own.
func (b *testBundle) recordMany(t *testing.T, ps []event.RecordParams) ([]event.Event, []bool) {
	t.Helper()
	var es []event.Event
	var cs []bool
	err := b.d.InTx(b.ctx, func(tx *db.Tx) error {
		var err error
		es, cs, err = b.rec.RecordMany(b.ctx, tx, ps)
		return err
	})
	if err != nil {
		t.Fatalf("record many: %v", err)
	}
	return es, cs
}

func (b *testBundle) count(t *testing.T, shopID string) int {
	t.Helper()
	var n int
	if err := b.d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM events WHERE shop_id = $1`, shopID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func params(shopID, ext string, n int) event.RecordParams {
	return event.RecordParams{ShopID: shopID, CustomerID: "cus_1", Type: "app.visit", ExternalID: ext,
		OccurredAt: t0.Add(time.Duration(n) * time.Second), Data: map[string]int{"n": n}, Now: t0}
}

func TestRecordMany(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		other := b.newShop(t)

		// An existing event with an external ID, in this shop and (same
		// external ID) in another shop.
		old, created := b.recordMany(t, []event.RecordParams{params(b.shopID, "E-1", 0), params(other, "E-2", 0)})
		if !created[0] || !created[1] {
			t.Fatalf("first record: created = %v", created)
		}
		*b.seen, *b.batches = nil, nil

		// 2500 events: more than one INSERT statement; E-1 exists, E-2
		// exists only in the other shop, E-5 repeats within the call,
		// the rest have no external ID.
		var ps []event.RecordParams
		ps = append(ps, params(b.shopID, "E-1", 1), params(b.shopID, "E-2", 2), params(b.shopID, "E-5", 3), params(b.shopID, "E-5", 4))
		for i := range 2496 {
			ps = append(ps, params(b.shopID, "", 10+i))
		}
		es, cs := b.recordMany(t, ps)
		if len(es) != len(ps) || len(cs) != len(ps) {
			t.Fatalf("got %d events, %d flags for %d params", len(es), len(cs), len(ps))
		}
		if es[0].ID != old[0].ID || cs[0] || string(es[0].Data) != `{"n":0}` {
			t.Errorf("existing E-1: created=%v %+v, want the stored %+v", cs[0], es[0], old[0])
		}
		if es[1].ID == old[1].ID || !cs[1] {
			t.Errorf("E-2 of this shop: created=%v id=%s, want a new event (the other shop's is %s)", cs[1], es[1].ID, old[1].ID)
		}
		if !cs[2] || cs[3] || es[3].ID != es[2].ID || string(es[3].Data) != `{"n":3}` {
			t.Errorf("E-5 twice: created %v %v, ids %s %s, data of the second %s", cs[2], cs[3], es[2].ID, es[3].ID, es[3].Data)
		}
		var want []string // subscriber calls: every created event, in order
		for i, e := range es {
			if cs[i] {
				want = append(want, e.ID)
			}
		}
		if len(want) != 2+2496 {
			t.Errorf("%d created, want %d", len(want), 2+2496)
		}
		if !slices.Equal(want, *b.seen) {
			t.Errorf("subscriber called with %d events, want the %d created, in order", len(*b.seen), len(want))
		}
		if !slices.Equal(*b.batches, []int{len(want)}) {
			t.Errorf("batch subscriber calls %v, want one of %d", *b.batches, len(want))
		}
		if n := b.count(t, b.shopID); n != 1+len(want) {
			t.Errorf("%d events stored, want %d", n, 1+len(want))
		}
		// What RecordMany answers is what is stored.
		got, err := event.ByExternalID(b.ctx, d, b.shopID, "E-5")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(es[2], got) {
			t.Errorf("stored E-5 differs from the answer:\n%+v\n%+v", es[2], got)
		}
		if n := b.count(t, other); n != 1 {
			t.Errorf("other shop has %d events, want 1", n)
		}
	})
}

func TestRecordSubscriberErrorRollsBack(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		boom := errors.New("boom")
		b.rec.Subscribe(func(_ context.Context, _ db.DBTX, e event.Event) error {
			if e.ExternalID == "bad" {
				return boom
			}
			return nil
		})
		err := d.InTx(b.ctx, func(tx *db.Tx) error {
			_, _, err := b.rec.RecordMany(b.ctx, tx, []event.RecordParams{params(b.shopID, "good", 1), params(b.shopID, "bad", 2)})
			return err
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the subscriber's", err)
		}
		if n := b.count(t, b.shopID); n != 0 {
			t.Errorf("%d events stored after a failed subscriber, want 0", n)
		}
	})
}

func TestRecord(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		record := func(p event.RecordParams) (event.Event, bool) {
			t.Helper()
			var e event.Event
			var created bool
			err := d.InTx(b.ctx, func(tx *db.Tx) error {
				var err error
				e, created, err = b.rec.Record(b.ctx, tx, p)
				return err
			})
			if err != nil {
				t.Fatalf("record: %v", err)
			}
			return e, created
		}
		e1, c1 := record(params(b.shopID, "X", 1))
		e2, c2 := record(params(b.shopID, "X", 2))
		e3, c3 := record(params(b.shopID, "", 3))
		if !c1 || c2 || e2.ID != e1.ID || !c3 || e3.ID == e1.ID {
			t.Fatalf("created %v %v %v, ids %s %s %s", c1, c2, c3, e1.ID, e2.ID, e3.ID)
		}
		if want := []string{e1.ID, e3.ID}; !slices.Equal(want, *b.seen) {
			t.Errorf("subscriber calls %v, want %v", *b.seen, want)
		}
		if !slices.Equal(*b.batches, []int{1, 1}) {
			t.Errorf("batch subscriber calls %v, want two of one (the re-post calls nobody)", *b.batches)
		}
		evs, err := event.List(b.ctx, d, event.ListParams{ShopID: b.shopID, CustomerID: "cus_1", Types: []string{"app.visit"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].ID != e3.ID {
			t.Errorf("list: %+v", evs)
		}
		if _, err := event.ByExternalID(b.ctx, d, b.shopID, "nope"); err == nil {
			t.Error("unknown external id found")
		}
	})
}

func TestPost(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		cs := customer.NewService(d, b.clk, b.rec)
		c, _, err := cs.Upsert(b.ctx, b.shopID, customer.Input{ExternalID: "C1"})
		if err != nil {
			t.Fatal(err)
		}
		svc := event.NewService(d, b.clk, b.rec, lookup{cs})
		post := func(in event.PostInput) (event.Event, bool, error) { return svc.Post(b.ctx, b.shopID, in) }

		e, created, err := post(event.PostInput{Type: " app.coupon_viewed ", CustomerExternalID: "C1", ExternalID: "ev-1",
			OccurredAt: "2026-11-23T09:00:00+09:00", Data: json.RawMessage(`{"coupon":"WELCOME"}`)})
		if err != nil || !created || e.CustomerID != c.ID || e.Type != "app.coupon_viewed" || !e.OccurredAt.Equal(t0.Add(-time.Hour)) {
			t.Fatalf("post: %v created=%v %+v", err, created, e)
		}
		again, created, err := post(event.PostInput{Type: "app.coupon_viewed", CustomerID: c.ID, ExternalID: "ev-1"})
		if err != nil || created || again.ID != e.ID {
			t.Fatalf("re-post: %v created=%v %+v", err, created, again)
		}
		e, created, err = post(event.PostInput{Type: "app.sale_started"})
		if err != nil || !created || e.CustomerID != "" || !e.OccurredAt.Equal(t0) || string(e.Data) != "{}" {
			t.Fatalf("shop-wide: %v created=%v %+v", err, created, e)
		}
		before := b.count(t, b.shopID)
		for _, tt := range []struct {
			name  string
			in    event.PostInput
			field string
		}{
			{"unknown customer", event.PostInput{Type: "app.x", CustomerID: "cus_nope"}, "customer_id"},
			{"unknown external id", event.PostInput{Type: "app.x", CustomerExternalID: "NOPE"}, "customer_external_id"},
			{"reserved", event.PostInput{Type: "order.placed"}, "type"},
		} {
			if _, _, err := post(tt.in); !hasField(err, tt.field) {
				t.Errorf("%s: err = %v, want a problem with %s", tt.name, err, tt.field)
			}
		}
		// Another shop's customer is unknown here.
		other := b.newShop(t)
		if _, _, err := svc.Post(b.ctx, other, event.PostInput{Type: "app.x", CustomerID: c.ID}); !hasField(err, "customer_id") {
			t.Errorf("other shop's customer: err = %v", err)
		}
		if n := b.count(t, b.shopID); n != before {
			t.Errorf("rejected posts stored events: %d, want %d", n, before)
		}
	})
}

// lookup is what the API wires: customer.Service with ByID as CustomerExists.
type lookup struct{ *customer.Service }

func (l lookup) CustomerExists(ctx context.Context, shopID, customerID string) error {
	_, err := l.ByID(ctx, shopID, customerID)
	return err
}

// hasField reports whether err is a validation error naming field.
func hasField(err error, field string) bool {
	var e *errs.Error
	return errors.As(err, &e) && errors.Is(err, errs.ErrInvalid) && e.Fields[field] != ""
}
