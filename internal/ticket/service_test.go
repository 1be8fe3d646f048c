package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/shop"
)

var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

type testBundle struct {
	d         *db.DB
	svc       *Service
	customers *customer.Service
	policies  *policy.Service
	events    *event.Recorder
	clk       *clock.Simulated
	shopID    string
	ctx       context.Context
}

func setup(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	s, err := shop.Create(ctx, d, shop.CreateParams{Slug: "s-" + id.New("x")[16:], Name: "店"}, t0)
	if err != nil {
		t.Fatalf("shop: %v", err)
	}
	clk := clock.NewSimulated(t0)
	events := &event.Recorder{}
	customers := customer.NewService(d, clk, events)
	policies := policy.NewService(d, clk)
	return &testBundle{d: d, svc: NewService(d, clk, events, customers, policies), customers: customers, policies: policies,
		events: events, clk: clk, shopID: s.ID, ctx: ctx}
}

func (b *testBundle) customer(t *testing.T, externalID string) customer.Customer {
	t.Helper()
	c, _, err := b.customers.Upsert(b.ctx, b.shopID, customer.Input{ExternalID: externalID})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (b *testBundle) create(t *testing.T, in CreateInput) Ticket {
	t.Helper()
	tk, err := b.svc.Create(b.ctx, b.shopID, in)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return tk
}

// state dumps the shop's tickets and ticket events, to show that a refused
// request changed nothing.
func (b *testBundle) state(t *testing.T) string {
	t.Helper()
	ts, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shopID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type LIKE 'ticket.%'`, b.shopID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(map[string]any{"tickets": ts, "events": n})
	return string(j)
}

func fieldsOf(err error) []string {
	var e *errs.Error
	if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) {
		return nil
	}
	var out []string
	for f := range e.Fields {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func ticketEvents(t *testing.T, b *testBundle, customerID string) []event.Event {
	t.Helper()
	evs, err := event.List(b.ctx, b.d, event.ListParams{ShopID: b.shopID, CustomerID: customerID, Types: []string{EventOpened, EventResolved}})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(evs)
	return evs
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C1")
		b.create(t, CreateInput{CustomerID: c.ID, Kind: "question", Subject: "使い方"})
		other := setup(t, d)
		oc := other.customer(t, "C-other")
		erased := b.customer(t, "C-erased")
		if err := b.customers.Erase(b.ctx, b.shopID, erased.ID); err != nil {
			t.Fatal(err)
		}
		ok := CreateInput{CustomerID: c.ID, Kind: "complaint", Subject: "届いた商品が割れていました", Body: "写真を添付します。\n交換をお願いします。"}
		tests := []struct {
			name   string
			change func(*CreateInput)
			fields []string
		}{
			{"no customer", func(in *CreateInput) { in.CustomerID = "" }, []string{"customer_id"}},
			{"both customer refs", func(in *CreateInput) { in.CustomerExternalID = "C1" }, []string{"customer_id"}},
			{"unknown customer id", func(in *CreateInput) { in.CustomerID = "cus_nope" }, []string{"customer_id"}},
			{"other shop's customer", func(in *CreateInput) { in.CustomerID = oc.ID }, []string{"customer_id"}},
			{"erased customer", func(in *CreateInput) { in.CustomerID = erased.ID }, []string{"customer_id"}},
			{"unknown external id", func(in *CreateInput) { in.CustomerID, in.CustomerExternalID = "", "C-nope" }, []string{"customer_external_id"}},
			{"other shop's external id", func(in *CreateInput) { in.CustomerID, in.CustomerExternalID = "", "C-other" }, []string{"customer_external_id"}},
			{"long customer id", func(in *CreateInput) { in.CustomerID = strings.Repeat("x", 101) }, []string{"customer_id"}},
			{"no kind", func(in *CreateInput) { in.Kind = "" }, []string{"kind"}},
			{"unknown kind", func(in *CreateInput) { in.Kind = "refund" }, []string{"kind"}},
			{"no subject", func(in *CreateInput) { in.Subject = "  " }, []string{"subject"}},
			{"subject too long", func(in *CreateInput) { in.Subject = strings.Repeat("件", 201) }, []string{"subject"}},
			{"subject with newline", func(in *CreateInput) { in.Subject = "a\nb" }, []string{"subject"}},
			{"body too long", func(in *CreateInput) { in.Body = strings.Repeat("本", 20001) }, []string{"body"}},
			{"body with control character", func(in *CreateInput) { in.Body = "a\x00b" }, []string{"body"}},
			{"body not UTF-8", func(in *CreateInput) { in.Body = "\xff" }, []string{"body"}},
			{"assignee too long", func(in *CreateInput) { in.Assignee = strings.Repeat("a", 201) }, []string{"assignee"}},
			{"several at once", func(in *CreateInput) { in.Kind, in.Subject, in.Body = "x", "", "\x01" }, []string{"body", "kind", "subject"}},
		}
		before := b.state(t)
		for _, tt := range tests {
			in := ok
			tt.change(&in)
			_, err := b.svc.Create(b.ctx, b.shopID, in)
			if got := fieldsOf(err); !slices.Equal(got, tt.fields) {
				t.Errorf("%s: fields %v, want %v (%v)", tt.name, got, tt.fields, err)
			}
		}
		if after := b.state(t); after != before {
			t.Errorf("refused creates changed the data:\n%s\n%s", before, after)
		}
		// The edges are accepted.
		edge := ok
		edge.Subject, edge.Body, edge.Assignee = strings.Repeat("件", 200), strings.Repeat("本", 20000), strings.Repeat("a", 200)
		b.create(t, edge)
	})
}

func TestCreate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C1")
		var seen []string
		b.events.Subscribe(func(ctx context.Context, tx db.DBTX, e event.Event) error {
			if e.Type == EventOpened {
				// The ticket is visible in the transaction that records the event.
				var kind string
				if err := tx.QueryRowContext(ctx, `SELECT kind FROM tickets WHERE shop_id = $1 AND customer_id = $2 ORDER BY id DESC LIMIT 1`,
					e.ShopID, e.CustomerID).Scan(&kind); err != nil {
					return err
				}
				seen = append(seen, kind)
			}
			return nil
		})
		q := b.create(t, CreateInput{CustomerID: c.ID, Kind: "question", Subject: " 使い方を教えてください ", Body: "詳しく"})
		if q.Status != StatusOpen || q.Subject != "使い方を教えてください" || q.CustomerID != c.ID || !q.CreatedAt.Equal(t0) ||
			!q.FirstResponseDueAt.Equal(t0.Add(24*time.Hour)) || q.ResolvedAt != nil || !strings.HasPrefix(q.ID, "tkt_") {
			t.Fatalf("question: %+v", q)
		}
		got, err := b.svc.ByID(b.ctx, b.shopID, q.ID)
		if err != nil || !same(got, q) {
			t.Fatalf("ByID %+v %v, want %+v", got, err, q)
		}
		cp := b.create(t, CreateInput{CustomerExternalID: "C1", Kind: "complaint", Subject: "破損", Assignee: "support@example.jp"})
		if cp.CustomerID != c.ID || !cp.FirstResponseDueAt.Equal(t0.Add(4*time.Hour)) || cp.Assignee != "support@example.jp" {
			t.Fatalf("complaint: %+v", cp)
		}
		p := policy.Defaults()
		p.TicketSLAHours, p.UrgentTicketSLAHours = 48, 2
		if _, err := b.policies.Put(b.ctx, b.shopID, p); err != nil {
			t.Fatal(err)
		}
		df := b.create(t, CreateInput{CustomerID: c.ID, Kind: "defect", Subject: "動かない"})
		rt := b.create(t, CreateInput{CustomerID: c.ID, Kind: "return", Subject: "返品したい"})
		if !df.FirstResponseDueAt.Equal(t0.Add(2*time.Hour)) || !rt.FirstResponseDueAt.Equal(t0.Add(48*time.Hour)) {
			t.Fatalf("shop SLA: defect %v, return %v", df.FirstResponseDueAt, rt.FirstResponseDueAt)
		}
		evs := ticketEvents(t, b, c.ID)
		if len(evs) != 4 || evs[0].Type != EventOpened || string(evs[0].Data) != `{"ticket_id":"`+q.ID+`","kind":"question"}` {
			t.Fatalf("events: %+v", evs)
		}
		if !slices.Equal(seen, []string{"question", "complaint", "defect", "return"}) {
			t.Fatalf("subscriber saw %v", seen)
		}
		other := setup(t, d)
		if _, err := other.svc.ByID(b.ctx, other.shopID, q.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("other shop: %v", err)
		}
	})
}

func TestCreateRollsBackWithSubscriber(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C1")
		b.events.Subscribe(func(context.Context, db.DBTX, event.Event) error { return errors.New("journey failed") })
		before := b.state(t)
		if _, err := b.svc.Create(b.ctx, b.shopID, CreateInput{CustomerID: c.ID, Kind: "other", Subject: "x"}); err == nil {
			t.Fatal("create succeeded although its event's subscriber failed")
		}
		if after := b.state(t); after != before {
			t.Fatalf("half a ticket stored: %s", after)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// same compares tickets by their JSON (ResolvedAt is a pointer).
func same(a, b Ticket) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C1")
		tk := b.create(t, CreateInput{CustomerID: c.ID, Kind: "exchange", Subject: "サイズ交換"})
		step := func(in UpdateInput) Ticket {
			t.Helper()
			b.clk.Advance(time.Hour)
			got, err := b.svc.Update(b.ctx, b.shopID, tk.ID, in)
			if err != nil {
				t.Fatalf("update %+v: %v", in, err)
			}
			stored, err := b.svc.ByID(b.ctx, b.shopID, tk.ID)
			if err != nil || !same(stored, got) {
				t.Fatalf("stored %+v %v, returned %+v", stored, err, got)
			}
			return got
		}
		got := step(UpdateInput{Status: ptr(StatusPending), Assignee: ptr(" 佐藤 ")})
		if got.Status != StatusPending || got.Assignee != "佐藤" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) || got.ResolvedAt != nil {
			t.Fatalf("pending: %+v", got)
		}
		got = step(UpdateInput{Status: ptr(StatusResolved)})
		resolvedAt := t0.Add(2 * time.Hour)
		if got.Status != StatusResolved || got.ResolvedAt == nil || !got.ResolvedAt.Equal(resolvedAt) || got.Assignee != "佐藤" {
			t.Fatalf("resolved: %+v", got)
		}
		again := step(UpdateInput{Status: ptr(StatusResolved)}) // no change: no event, no write
		if !same(again, got) {
			t.Fatalf("resolving twice changed the ticket: %+v", again)
		}
		got = step(UpdateInput{Status: ptr(StatusClosed)})
		if got.ResolvedAt == nil || !got.ResolvedAt.Equal(resolvedAt) {
			t.Fatalf("closed: %+v", got)
		}
		got = step(UpdateInput{Status: ptr(StatusOpen), Assignee: ptr("")})
		if got.ResolvedAt != nil || got.Assignee != "" {
			t.Fatalf("reopened: %+v", got)
		}
		got = step(UpdateInput{Status: ptr(StatusResolved)})
		if !got.ResolvedAt.Equal(t0.Add(6 * time.Hour)) {
			t.Fatalf("resolved again: %+v", got)
		}
		evs := ticketEvents(t, b, c.ID)
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		if !slices.Equal(types, []string{EventOpened, EventResolved, EventResolved}) ||
			string(evs[1].Data) != `{"ticket_id":"`+tk.ID+`","kind":"exchange"}` || !evs[1].OccurredAt.Equal(resolvedAt) {
			t.Fatalf("events: %+v", evs)
		}

		before := b.state(t)
		for _, bad := range []struct {
			in    UpdateInput
			field string
		}{
			{UpdateInput{Status: ptr("done")}, "status"},
			{UpdateInput{Status: ptr("")}, "status"},
			{UpdateInput{Assignee: ptr(strings.Repeat("a", 201))}, "assignee"},
			{UpdateInput{Status: ptr(StatusOpen), Assignee: ptr("a\tb")}, "assignee"},
		} {
			_, err := b.svc.Update(b.ctx, b.shopID, tk.ID, bad.in)
			if f := fieldsOf(err); !slices.Contains(f, bad.field) {
				t.Errorf("%+v: %v, want field %s", bad.in, err, bad.field)
			}
		}
		other := setup(t, d)
		if _, err := other.svc.Update(b.ctx, other.shopID, tk.ID, UpdateInput{Status: ptr(StatusOpen)}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("other shop: %v", err)
		}
		if _, err := b.svc.Update(b.ctx, b.shopID, "tkt_nope", UpdateInput{Status: ptr(StatusOpen)}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}
		if after := b.state(t); after != before {
			t.Errorf("refused updates changed the data:\n%s\n%s", before, after)
		}
	})
}

func TestHasOpenComplaint(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		other := setup(t, d)
		for _, kind := range Kinds {
			for _, status := range Statuses {
				c := b.customer(t, kind+"-"+status)
				tk := b.create(t, CreateInput{CustomerID: c.ID, Kind: kind, Subject: "s"})
				if status != StatusOpen {
					if _, err := b.svc.Update(b.ctx, b.shopID, tk.ID, UpdateInput{Status: ptr(status)}); err != nil {
						t.Fatal(err)
					}
				}
				want := slices.Contains(ComplaintKinds, kind) && (status == StatusOpen || status == StatusPending)
				got, err := HasOpenComplaint(b.ctx, d, b.shopID, c.ID)
				if err != nil || got != want {
					t.Errorf("%s %s: %v %v, want %v", kind, status, got, err, want)
				}
				if got, err := HasOpenComplaint(b.ctx, d, other.shopID, c.ID); err != nil || got {
					t.Errorf("%s %s seen from another shop: %v %v", kind, status, got, err)
				}
			}
		}
		c := b.customer(t, "none")
		if got, err := HasOpenComplaint(b.ctx, d, b.shopID, c.ID); err != nil || got {
			t.Errorf("no tickets: %v %v", got, err)
		}
		// Inside a transaction, as the policy reads it.
		err := d.InTx(b.ctx, func(tx *db.Tx) error {
			if err := policy.LockCustomer(b.ctx, tx, b.shopID, c.ID); err != nil {
				return err
			}
			got, err := HasOpenComplaint(b.ctx, tx, b.shopID, c.ID)
			if err == nil && got {
				err = errors.New("open complaint out of nowhere")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestList(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c1, c2 := b.customer(t, "C1"), b.customer(t, "C2")
		var all []Ticket
		for i, kind := range []string{"question", "complaint", "question", "defect", "other"} {
			c := c1
			if i%2 == 1 {
				c = c2
			}
			all = append(all, b.create(t, CreateInput{CustomerID: c.ID, Kind: kind, Subject: "s"}))
		}
		if _, err := b.svc.Update(b.ctx, b.shopID, all[0].ID, UpdateInput{Status: ptr(StatusClosed)}); err != nil {
			t.Fatal(err)
		}
		other := setup(t, d)
		other.create(t, CreateInput{CustomerID: other.customer(t, "C1").ID, Kind: "question", Subject: "s"})

		ids := func(p ListParams) []string {
			t.Helper()
			p.ShopID = b.shopID
			var out []string
			for range 10 {
				page, more, err := b.svc.List(b.ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, tk := range page {
					out = append(out, tk.ID)
				}
				if !more {
					return out
				}
				p.BeforeID = page[len(page)-1].ID
			}
			t.Fatal("too many pages")
			return nil
		}
		want := func(idx ...int) []string {
			var out []string
			for _, i := range idx {
				out = append(out, all[i].ID)
			}
			return out
		}
		for name, tc := range map[string]struct {
			p    ListParams
			want []string
		}{
			"all, paged by 2": {ListParams{Limit: 2}, want(4, 3, 2, 1, 0)},
			"customer":        {ListParams{CustomerID: c2.ID}, want(3, 1)},
			"status":          {ListParams{Status: StatusOpen, Limit: 1}, want(4, 3, 2, 1)},
			"kind":            {ListParams{Kind: "question"}, want(2, 0)},
			"all filters":     {ListParams{CustomerID: c1.ID, Status: StatusClosed, Kind: "question"}, want(0)},
			"no match":        {ListParams{CustomerID: "cus_nope"}, nil},
		} {
			if got := ids(tc.p); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", name, got, tc.want)
			}
		}
		for _, bad := range []struct {
			p     ListParams
			field string
		}{
			{ListParams{Status: "done"}, "status"},
			{ListParams{Kind: "refund"}, "kind"},
			{ListParams{CustomerID: "a\x00"}, "customer_id"},
		} {
			bad.p.ShopID = b.shopID
			if _, _, err := b.svc.List(b.ctx, bad.p); !slices.Contains(fieldsOf(err), bad.field) {
				t.Errorf("%+v: %v", bad.p, err)
			}
		}
	})
}

// TestCustomerErasureAndExport: a customer's tickets are in their APPI
// export, and erasing the customer blanks what they wrote.
func TestCustomerErasureAndExport(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C1")
		keep := b.customer(t, "C2")
		tk := b.create(t, CreateInput{CustomerID: c.ID, Kind: "complaint", Subject: "PIIsubject 山田", Body: "PIIbody 090-1234-5678"})
		kept := b.create(t, CreateInput{CustomerID: keep.ID, Kind: "question", Subject: "残る件名", Body: "残る本文"})
		x, err := b.customers.Export(b.ctx, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Tickets) != 1 || x.Tickets[0].ID != tk.ID || x.Tickets[0].Subject != tk.Subject || x.Tickets[0].Body != tk.Body ||
			x.Tickets[0].Kind != "complaint" || x.Tickets[0].Status != StatusOpen || !x.Tickets[0].CreatedAt.Equal(t0) {
			t.Fatalf("export tickets: %+v", x.Tickets)
		}
		if err := b.customers.Erase(b.ctx, b.shopID, c.ID); err != nil {
			t.Fatal(err)
		}
		got, err := b.svc.ByID(b.ctx, b.shopID, tk.ID)
		if err != nil || got.Subject != "" || got.Body != "" || got.Kind != "complaint" || got.Status != StatusOpen {
			t.Fatalf("erased customer's ticket: %+v %v", got, err)
		}
		if got, err := b.svc.ByID(b.ctx, b.shopID, kept.ID); err != nil || !same(got, kept) {
			t.Fatalf("other customer's ticket: %+v %v", got, err)
		}
		var n int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM tickets WHERE subject LIKE '%PII%' OR body LIKE '%PII%'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("personal text left: %d %v", n, err)
		}
	})
}
