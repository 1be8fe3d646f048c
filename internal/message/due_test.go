package message

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
)

func TestCreateTxDedupe(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "c1", "ja", "email")
		p := CreateParams{CustomerID: c.ID, JourneyID: "jrn_1", JourneyVersion: 2, RunID: "run_1", StepID: "thanks",
			Purpose: "care", DueAt: t0.Add(time.Hour), DedupeKey: "run:run_1:thanks", TemplateKey: "care_thanks"}
		m1 := b.create(t, p)
		if m1.Status != StatusScheduled || m1.ChannelRequested != "best" || !m1.DueAt.Equal(t0.Add(time.Hour)) || m1.JourneyVersion != 2 {
			t.Fatalf("created: %+v", m1)
		}
		var again Message
		var created bool
		err := d.InTx(b.ctx, func(tx *db.Tx) error {
			var err error
			again, created, err = b.svc.CreateTx(b.ctx, tx, CreateParams{ShopID: b.shop.ID, CustomerID: c.ID, Purpose: "sales",
				DedupeKey: "run:run_1:thanks", TemplateKey: "sales_related_offer"})
			return err
		})
		if err != nil || created || again.ID != m1.ID || again.Purpose != "care" {
			t.Fatalf("second create: %+v created=%v %v", again, created, err)
		}
		var jobs int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'message.due'`).Scan(&jobs); err != nil || jobs != 1 {
			t.Fatalf("%d message.due jobs (%v), want 1", jobs, err)
		}

		// Bad params are refused and write nothing.
		err = d.InTx(b.ctx, func(tx *db.Tx) error {
			_, _, err := b.svc.CreateTx(b.ctx, tx, CreateParams{ShopID: b.shop.ID, CustomerID: c.ID, Purpose: "spam",
				Channel: "fax", DedupeKey: "x", TemplateKey: "Bad Key"})
			return err
		})
		for _, f := range []string{"purpose", "channel", "template_key"} {
			if _, ok := fieldErr(err, f); !ok {
				t.Errorf("no error for %s: %v", f, err)
			}
		}
		ms, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shop.ID})
		if err != nil || len(ms) != 1 {
			t.Fatalf("list after bad create: %d %v", len(ms), err)
		}
	})
}

func TestDueSendsThroughOutbox(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "c1", "ja", "email")
		if _, _, err := b.products.Put(b.ctx, b.shop.ID, "BLEND", product.Details{Name: "深煎りブレンド", Goal: "毎朝のおいしい一杯"}); err != nil {
			t.Fatal(err)
		}
		o, _, err := b.orders.Place(b.ctx, b.shop.ID, order.Submission{ExternalID: "o1", CustomerExternalID: "c1",
			OrderedAt: t0.Format(time.RFC3339), Channel: "store", Lines: []order.LineInput{{SKU: "BLEND", Quantity: 1, UnitPrice: 1800}},
			Total: ptr(int64(1800))})
		if err != nil {
			t.Fatal(err)
		}
		m := b.create(t, CreateParams{CustomerID: c.ID, JourneyID: "jrn_1", Purpose: "care", OrderID: o.ID, DueAt: t0.Add(time.Hour)})
		b.runDue(t)
		if got := b.get(t, m.ID); got.Status != StatusScheduled {
			t.Fatalf("before due: %s", got.Status)
		}
		b.advance(t, time.Hour)
		got := b.get(t, m.ID)
		if got.Status != StatusSent || got.Channel != "email" || got.Locale != "ja" || got.SentAt == nil || !got.SentAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("after due: %+v", got)
		}
		for _, want := range []string{"山田 花子様", "深煎りブレンドを", "「毎朝のおいしい一杯」のお手伝い", b.orders.ReceiptURL(o), "ひだまり珈琲 店主 森", "http://kizukai.test/u/"} {
			if !strings.Contains(got.Body, want) {
				t.Errorf("body lacks %q:\n%s", want, got.Body)
			}
		}
		if got.Subject != "ご購入ありがとうございます（ひだまり珈琲）" {
			t.Errorf("subject %q", got.Subject)
		}
		evs, err := event.List(b.ctx, d, event.ListParams{ShopID: b.shop.ID, CustomerID: c.ID, Types: []string{EventSent}, Limit: 10})
		if err != nil || len(evs) != 1 {
			t.Fatalf("message.sent events: %d %v", len(evs), err)
		}
		var data EventData
		if err := json.Unmarshal(evs[0].Data, &data); err != nil || data.MessageID != m.ID || data.Purpose != "care" || data.JourneyID != "jrn_1" {
			t.Fatalf("event data %s %v", evs[0].Data, err)
		}
		if strings.Contains(string(evs[0].Data), "山田") {
			t.Fatal("the event carries personal text")
		}
		var jobs int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM jobs`).Scan(&jobs); err != nil || jobs != 0 {
			t.Fatalf("%d jobs left (%v)", jobs, err)
		}
	})
}

// TestDueJudgedAtDueTime: the policy decides when a message is due, not
// when it was planned.
func TestDueJudgedAtDueTime(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "c1", "en", "email")
		withdrawn := b.create(t, CreateParams{CustomerID: c.ID, Purpose: "care", DueAt: t0.Add(2 * time.Hour)})
		if _, err := b.customers.SetConsent(b.ctx, b.shop.ID, c.ID, "email", customer.ConsentInput{Granted: ptr(false), Source: "test"}); err != nil {
			t.Fatal(err)
		}
		b.advance(t, 2*time.Hour)
		if got := b.get(t, withdrawn.ID); got.Status != StatusSuppressed || got.Reason != "no_consent" || got.Body != "" {
			t.Fatalf("after consent withdrawn: %s %s", got.Status, got.Reason)
		}

		// Due at 22:00 JST: deferred to 09:00 JST, then sent (in English).
		c2 := b.customer(t, "c2", "en", "email")
		night := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
		m := b.create(t, CreateParams{CustomerID: c2.ID, Purpose: "care", DueAt: night})
		b.advance(t, night.Sub(b.clk.Now()))
		morning := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
		got := b.get(t, m.ID)
		if got.Status != StatusDeferred || got.Reason != "quiet_hours" || !got.DueAt.Equal(morning) {
			t.Fatalf("at 22:00 JST: %s %s %s", got.Status, got.Reason, got.DueAt)
		}
		b.advance(t, morning.Sub(b.clk.Now())-time.Minute)
		if got := b.get(t, m.ID); got.Status != StatusDeferred {
			t.Fatalf("at 08:59 JST: %s", got.Status)
		}
		b.advance(t, time.Minute)
		got = b.get(t, m.ID)
		if got.Status != StatusSent || !got.SentAt.Equal(morning) || got.Locale != "en" || !strings.HasPrefix(got.Body, "Dear 山田 花子,") {
			t.Fatalf("at 09:00 JST: %+v", got)
		}
		evs, err := event.List(b.ctx, d, event.ListParams{ShopID: b.shop.ID, CustomerID: c2.ID, Limit: 10,
			Types: []string{EventDeferred, EventSent}})
		if err != nil || len(evs) != 2 {
			t.Fatalf("events: %d %v", len(evs), err)
		}
	})
}

// TestDueConcurrentCaps: ten care messages for one customer come due at
// the same instant and the real runner works them ten at a time: exactly
// max_per_week (3) go out; the others are suppressed, the next free slot
// being 7 days away (beyond max_defer_days).
func TestDueConcurrentCaps(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "c1", "ja", "email")
		var ids []string
		for range 10 {
			ids = append(ids, b.create(t, CreateParams{CustomerID: c.ID, Purpose: "care", DueAt: t0.Add(time.Hour)}).ID)
		}
		b.clk.Advance(time.Hour)
		b.runDue(t) // one claim of ten, worked at once
		counts := b.statuses(t, ids)
		if counts["sent"] != 3 || counts["suppressed:frequency_cap"] != 7 {
			t.Fatalf("outcomes %v, want 3 sent and 7 suppressed by frequency_cap", counts)
		}
	})
}

// TestDueConcurrentSalesShare: after two care messages, five sales
// messages due at once: one fits the 1/3 sales share (1 of 3), the rest are
// suppressed, never more.
func TestDueConcurrentSalesShare(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "c1", "ja", "email")
		for range 2 {
			b.create(t, CreateParams{CustomerID: c.ID, Purpose: "care", DueAt: t0})
		}
		b.runDue(t)
		b.clk.Advance(8 * 24 * time.Hour) // out of the weekly window, still in the 90 days
		var ids []string
		for range 5 {
			ids = append(ids, b.create(t, CreateParams{CustomerID: c.ID, Purpose: "sales", TemplateKey: "sales_related_offer",
				DueAt: b.clk.Now()}).ID)
		}
		b.runDue(t)
		counts := b.statuses(t, ids)
		if counts["sent"] != 1 || counts["suppressed:sales_share"] != 4 {
			t.Fatalf("outcomes %v, want 1 sent and 4 suppressed by sales_share", counts)
		}
	})
}

// statuses counts the messages by status (and reason when suppressed).
func (b *testBundle) statuses(t *testing.T, ids []string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, id := range ids {
		m := b.get(t, id)
		k := m.Status
		if m.Reason != "" {
			k += ":" + m.Reason
		}
		counts[k]++
	}
	return counts
}

func TestDueJourneyPausedAndTemplateErrors(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.svc.SetJourneyPausedFunc(func(_ context.Context, _ db.DBTX, shopID, journeyID string) (bool, error) {
			return shopID == b.shop.ID && journeyID == "jrn_paused", nil
		})
		c := b.customer(t, "c1", "ja", "email")
		paused := b.create(t, CreateParams{CustomerID: c.ID, Purpose: "care", JourneyID: "jrn_paused", DueAt: t0})
		missing := b.create(t, CreateParams{CustomerID: c.ID, Purpose: "care", TemplateKey: "no_such_template", DueAt: t0})
		b.runDue(t)
		if got := b.get(t, paused.ID); got.Status != StatusSuppressed || got.Reason != "journey_paused" {
			t.Fatalf("paused journey: %s %s", got.Status, got.Reason)
		}
		if got := b.get(t, missing.ID); got.Status != StatusFailed || got.Reason != "template_error" {
			t.Fatalf("missing template: %s %s", got.Status, got.Reason)
		}
	})
}

func TestEraseAndExportMessages(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "c1", "ja", "email")
		m := b.create(t, CreateParams{CustomerID: c.ID, Purpose: "care", DueAt: t0})
		later := b.create(t, CreateParams{CustomerID: c.ID, Purpose: "care", DueAt: t0.Add(time.Hour)})
		b.runDue(t)
		x, err := b.customers.Export(b.ctx, b.shop.ID, c.ID)
		if err != nil || len(x.Messages) != 2 || !strings.Contains(x.Messages[0].Body+x.Messages[1].Body, "山田 花子様") {
			t.Fatalf("export: %+v %v", x.Messages, err)
		}
		if err := b.customers.Erase(b.ctx, b.shop.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		got := b.get(t, m.ID)
		if got.Subject != "" || got.Body != "" || got.Status != StatusSent {
			t.Fatalf("after erase: %+v", got)
		}
		b.advance(t, time.Hour)
		if got := b.get(t, later.ID); got.Status != StatusSuppressed || got.Reason != "unreachable" {
			t.Fatalf("due after erase: %s %s", got.Status, got.Reason)
		}
	})
}

func TestListAndByID(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c1 := b.customer(t, "c1", "ja", "email")
		c2 := b.customer(t, "c2", "ja")
		var all []string
		for i := range 3 {
			all = append(all, b.create(t, CreateParams{CustomerID: c1.ID, Purpose: "care", JourneyID: "jrn_a", DueAt: t0.Add(time.Duration(i) * time.Minute)}).ID)
		}
		all = append(all, b.create(t, CreateParams{CustomerID: c2.ID, Purpose: "info", DueAt: t0}).ID)
		b.advance(t, time.Hour)

		page, more, err := b.svc.List(b.ctx, ListParams{ShopID: b.shop.ID, Limit: 3})
		if err != nil || !more || len(page) != 3 || page[0].ID != all[3] {
			t.Fatalf("first page: %d more=%v %v", len(page), more, err)
		}
		rest, more, err := b.svc.List(b.ctx, ListParams{ShopID: b.shop.ID, Limit: 3, BeforeID: page[2].ID})
		if err != nil || more || len(rest) != 1 || rest[0].ID != all[0] {
			t.Fatalf("second page: %d more=%v %v", len(rest), more, err)
		}
		for _, tt := range []struct {
			name string
			p    ListParams
			want int
		}{
			{"customer", ListParams{CustomerID: c2.ID}, 1},
			{"status", ListParams{Status: "sent"}, 3},
			{"purpose", ListParams{Purpose: "info"}, 1},
			{"journey", ListParams{JourneyID: "jrn_a"}, 3},
			{"reason", ListParams{Reason: "no_consent"}, 1},
			{"nothing", ListParams{Status: "clicked"}, 0},
		} {
			tt.p.ShopID = b.shop.ID
			ms, _, err := b.svc.List(b.ctx, tt.p)
			if err != nil || len(ms) != tt.want {
				t.Errorf("%s: %d messages (%v), want %d", tt.name, len(ms), err, tt.want)
			}
		}
		if _, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shop.ID, Status: "bogus"}); !errors.Is(err, errs.ErrMalformed) {
			t.Errorf("bad status filter: %v", err)
		}
		if _, err := b.svc.ByID(b.ctx, "shop_other", all[0]); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("another shop's message: %v", err)
		}
		var _ policy.Purpose = b.get(t, all[0]).Purpose
	})
}
