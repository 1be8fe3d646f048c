package journey_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

// jst is the shop's time zone.
var jst = time.FixedZone("JST", 9*3600)

// start is Monday 2026-11-23 10:00 in Tokyo.
var start = time.Date(2026, 11, 23, 10, 0, 0, 0, jst)

// testBundle is a whole after-follow engine on one database, wired by hand
// the way internal/app wires it, with a simulated clock driven through
// Runner.AdvanceTo.
type testBundle struct {
	ctx       context.Context
	d         *db.DB
	sim       *clock.Simulated
	runner    *jobs.Runner
	rec       *event.Recorder
	customers *customer.Service
	products  *product.Service
	orders    *order.Service
	policies  *policy.Service
	tickets   *ticket.Service
	messages  *message.Service
	coupons   *coupon.Service
	svc       *journey.Service
	shopID    string
}

func setup(t testing.TB, d *db.DB) *testBundle {
	t.Helper()
	return setupWith(t, d, true)
}

// setupWith is setup; without messageWorkers planned messages stay
// scheduled (benchmarks of the journey engine alone).
func setupWith(t testing.TB, d *db.DB, messageWorkers bool) *testBundle {
	t.Helper()
	ctx := context.Background()
	sim := clock.NewSimulated(start.UTC())
	q := jobs.NewQueue(sim)
	rec := &event.Recorder{}
	b := &testBundle{ctx: ctx, d: d, sim: sim, rec: rec}
	b.runner = jobs.NewRunner(d, sim, jobs.RunnerOptions{Queue: q, Concurrency: 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.customers = customer.NewService(d, sim, rec)
	b.products = product.NewService(d, sim)
	signer, err := token.NewSigner(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	b.orders = order.NewService(d, sim, rec, b.customers, signer, "http://kizukai.test")
	b.policies = policy.NewService(d, sim)
	b.tickets = ticket.NewService(d, sim, rec, b.customers, b.policies)
	b.messages = message.NewService(message.Deps{DB: d, Clock: sim, Queue: q, Events: rec, Customers: b.customers,
		Products: b.products, Orders: b.orders, Tickets: b.tickets, Policies: b.policies, Signer: signer, BaseURL: "http://kizukai.test"})
	b.coupons = coupon.NewService(d, sim, rec)
	b.svc = journey.NewService(journey.Deps{DB: d, Clock: sim, Queue: q, Events: rec, Messages: b.messages,
		Customers: b.customers, Products: b.products, Orders: b.orders, Policies: b.policies, Coupons: b.coupons})
	b.messages.SetJourneyPausedFunc(b.svc.IsPaused)
	b.svc.Subscribe(rec)
	b.runner.Register(b.svc.Workers()...)
	if messageWorkers {
		b.runner.Register(b.messages.Workers()...)
	}

	s, err := shop.Create(ctx, d, shop.CreateParams{Slug: "journey-shop", Name: "ジャーニー商店"}, sim.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.shopID = s.ID
	if err := d.InTx(ctx, func(tx *db.Tx) error { return b.svc.EnsureBuiltins(ctx, tx, s.ID) }); err != nil {
		t.Fatalf("builtins: %v", err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// customer creates a reachable customer who consented to email.
func (b *testBundle) customer(t testing.TB, ext string) customer.Customer {
	t.Helper()
	c, _, err := b.customers.Upsert(b.ctx, b.shopID, customer.Input{ExternalID: ext, Name: ptr("山田 " + ext),
		Email:    ptr(ext + "@example.jp"),
		Consents: map[string]customer.ConsentInput{"email": {Granted: ptr(true), Source: "test"}}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (b *testBundle) product(t testing.TB, sku string, days *int) {
	t.Helper()
	if _, _, err := b.products.Put(b.ctx, b.shopID, sku, product.Details{Name: "商品 " + sku, Goal: "毎朝すっきり目覚める",
		Guide: "朝一杯どうぞ", Price: ptr(int64(3000)), ConsumptionDays: days}); err != nil {
		t.Fatal(err)
	}
}

// order places an order of one unit of each SKU at the clock's now.
func (b *testBundle) order(t testing.TB, ext, customerExt string, skus ...string) order.Order {
	t.Helper()
	var lines []order.LineInput
	for _, s := range skus {
		lines = append(lines, order.LineInput{SKU: s, Quantity: 1, UnitPrice: 3000})
	}
	o, _, err := b.orders.Place(b.ctx, b.shopID, order.Submission{ExternalID: ext, CustomerExternalID: customerExt,
		OrderedAt: b.sim.Now().Format(time.RFC3339), Channel: order.ChannelOnline, Lines: lines,
		Total: ptr(int64(3000 * len(skus)))})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// advance moves the clock to at and runs every job due by then.
func (b *testBundle) advance(t testing.TB, at time.Time) {
	t.Helper()
	if err := b.runner.AdvanceTo(b.ctx, b.sim, at.UTC()); err != nil {
		t.Fatal(err)
	}
}

// messagesOf returns the customer's messages, oldest first.
func (b *testBundle) messagesOf(t testing.TB, customerID string) []message.Message {
	t.Helper()
	ms, _, err := b.messages.List(b.ctx, message.ListParams{ShopID: b.shopID, CustomerID: customerID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(ms)
	return ms
}

// summary is one message as the bar test compares it.
type summary struct {
	Step    string
	Purpose string
	Status  string
	Reason  string
	SentAt  string // RFC 3339 in JST, "" when not sent
}

func summarize(ms []message.Message) []summary {
	out := make([]summary, len(ms))
	for i, m := range ms {
		out[i] = summary{Step: m.StepID, Purpose: string(m.Purpose), Status: m.Status}
		if m.Status == message.StatusSuppressed {
			out[i].Reason = m.Reason
		}
		if m.SentAt != nil {
			out[i].SentAt = m.SentAt.In(jst).Format(time.RFC3339)
		}
	}
	return out
}

func jstAt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, jst)
	if err != nil {
		panic(fmt.Sprintf("bad test time %q", s))
	}
	return t
}
