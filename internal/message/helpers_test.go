package message

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

// t0 is Monday 2026-11-23 10:00 in Tokyo.
var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

type testBundle struct {
	ctx       context.Context
	d         *db.DB
	clk       *clock.Simulated
	svc       *Service
	runner    *jobs.Runner
	customers *customer.Service
	products  *product.Service
	orders    *order.Service
	policies  *policy.Service
	events    *event.Recorder
	shop      shop.Shop
}

func setup(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewSimulated(t0)
	runner := jobs.NewRunner(d, clk, jobs.RunnerOptions{Concurrency: 10, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	events := &event.Recorder{}
	signer, err := token.NewSigner(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	customers := customer.NewService(d, clk, events)
	products := product.NewService(d, clk)
	orders := order.NewService(d, clk, events, customers, signer, "http://kizukai.test")
	policies := policy.NewService(d, clk)
	tickets := ticket.NewService(d, clk, events, customers, policies)
	svc := NewService(Deps{DB: d, Clock: clk, Queue: runner.Queue(), Events: events, Customers: customers,
		Products: products, Orders: orders, Tickets: tickets, Policies: policies, Signer: signer, BaseURL: "http://kizukai.test/"})
	runner.Register(svc.Workers()...)
	s, err := shop.Create(ctx, d, shop.CreateParams{Slug: "s-" + id.New("x")[16:], Name: "ひだまり珈琲"}, t0)
	if err != nil {
		t.Fatalf("shop: %v", err)
	}
	s, err = shop.UpdateProfile(ctx, d, s.ID, shop.ProfileParams{Name: "ひだまり珈琲", SenderName: "ひだまり珈琲 店主 森",
		ContactEmail: "hello@hidamari.example.jp", ContactPhone: "03-1234-5678"})
	if err != nil {
		t.Fatalf("shop profile: %v", err)
	}
	return &testBundle{ctx: ctx, d: d, clk: clk, svc: svc, runner: runner, customers: customers, products: products,
		orders: orders, policies: policies, events: events, shop: s}
}

func ptr[T any](v T) *T { return &v }

// customer creates a customer reachable by email (and SMS), with consent on
// the given channels.
func (b *testBundle) customer(t *testing.T, ext, locale string, consent ...string) customer.Customer {
	t.Helper()
	cs := map[string]customer.ConsentInput{}
	for _, ch := range consent {
		cs[ch] = customer.ConsentInput{Granted: ptr(true), Source: "test"}
	}
	c, _, err := b.customers.Upsert(b.ctx, b.shop.ID, customer.Input{ExternalID: ext, Name: ptr("山田 花子"),
		Email: ptr(ext + "@example.jp"), Phone: ptr("090-1234-5678"), Locale: ptr(locale), Consents: cs})
	if err != nil {
		t.Fatalf("customer: %v", err)
	}
	return c
}

// create plans a message in its own transaction.
func (b *testBundle) create(t *testing.T, p CreateParams) Message {
	t.Helper()
	p.ShopID = b.shop.ID
	if p.DedupeKey == "" {
		p.DedupeKey = "test:" + id.New("k")
	}
	if p.TemplateKey == "" {
		p.TemplateKey = "care_thanks"
	}
	var m Message
	err := b.d.InTx(b.ctx, func(tx *db.Tx) error {
		var err error
		m, _, err = b.svc.CreateTx(b.ctx, tx, p)
		return err
	})
	if err != nil {
		t.Fatalf("create message: %v", err)
	}
	return m
}

// advance moves the clock by dur and runs every job due by then.
func (b *testBundle) advance(t *testing.T, dur time.Duration) {
	t.Helper()
	if err := b.runner.AdvanceTo(b.ctx, b.clk, b.clk.Now().Add(dur)); err != nil {
		t.Fatalf("advance: %v", err)
	}
}

// runDue works every job due now.
func (b *testBundle) runDue(t *testing.T) {
	t.Helper()
	if _, err := b.runner.RunDue(b.ctx); err != nil {
		t.Fatalf("run due: %v", err)
	}
}

func (b *testBundle) get(t *testing.T, id string) Message {
	t.Helper()
	m, err := b.svc.ByID(b.ctx, b.shop.ID, id)
	if err != nil {
		t.Fatalf("message %s: %v", id, err)
	}
	return m
}

// fieldErr returns the problem reported for field by a validation error.
func fieldErr(err error, field string) (string, bool) {
	var e *errs.Error
	if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) {
		return "", false
	}
	p, ok := e.Fields[field]
	return p, ok
}
