package survey

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

// t0 is Monday 2026-11-23 10:00 in Tokyo.
var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

func ptr(n int) *int { return &n }

func TestAnswerValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		a      Answer
		fields []string
	}{
		{"ok", Answer{CSAT: 5, NPS: ptr(10), Comment: " good \r\n"}, nil},
		{"no nps", Answer{CSAT: 1}, nil},
		{"csat 0", Answer{CSAT: 0}, []string{"csat"}},
		{"csat 6", Answer{CSAT: 6, NPS: ptr(-1)}, []string{"csat", "nps"}},
		{"nps 11", Answer{CSAT: 3, NPS: ptr(11)}, []string{"nps"}},
		{"long comment", Answer{CSAT: 3, Comment: strings.Repeat("あ", 2001)}, []string{"comment"}},
		{"control", Answer{CSAT: 3, Comment: "a\x1bb"}, []string{"comment"}},
		{"not utf-8", Answer{CSAT: 3, Comment: "\xff"}, []string{"comment"}},
		{"locale", Answer{CSAT: 3, Locale: "fr"}, []string{"locale"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.a.Validate()
			var got []string
			if e := (*errs.Error)(nil); errors.As(err, &e) {
				got = slices.Sorted(maps.Keys(e.Fields))
			}
			if !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestLowAndRecoveryKind(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		csat int
		nps  *int
		low  bool
	}{{1, nil, true}, {2, ptr(10), true}, {3, nil, false}, {3, ptr(6), true}, {5, ptr(7), false}, {4, ptr(0), true}} {
		if Low(tt.csat, tt.nps) != tt.low {
			t.Errorf("Low(%d, %v) != %v", tt.csat, tt.nps, tt.low)
		}
	}
	for comment, kind := range map[string]string{"": "other", "届くのが遅かった": "other", "これは苦情です": "complaint",
		"クレームを入れたい": "complaint", "I want to COMPLAIN": "complaint", "broken": "other"} {
		if got := RecoveryKind(comment); got != kind {
			t.Errorf("RecoveryKind(%q) = %s, want %s", comment, got, kind)
		}
	}
}

type bundle struct {
	ctx       context.Context
	d         *db.DB
	clk       *clock.Simulated
	svc       *Service
	customers *customer.Service
	tickets   *ticket.Service
	shopID    string
	orderID   string
	customer  string
}

func setup(t *testing.T, d *db.DB) *bundle {
	t.Helper()
	ctx := context.Background()
	s, err := shop.Create(ctx, d, shop.CreateParams{Slug: "s-" + id.New("x")[16:], Name: "店"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewSimulated(t0)
	events := &event.Recorder{}
	customers := customer.NewService(d, clk, events)
	tickets := ticket.NewService(d, clk, events, customers, policy.NewService(d, clk))
	signer, _ := token.NewSigner(bytes.Repeat([]byte{7}, 32))
	orders := order.NewService(d, clk, events, customers, signer, "http://kizukai.test")
	total := int64(1000)
	name := "花子"
	o, _, err := orders.Place(ctx, s.ID, order.Submission{ExternalID: "O1", Customer: &customer.Input{ExternalID: "C1", Name: &name},
		OrderedAt: t0.Add(-time.Hour).Format(time.RFC3339), Channel: "online",
		Lines: []order.LineInput{{SKU: "A", Quantity: 1, UnitPrice: 1000}}, Total: &total})
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{ctx: ctx, d: d, clk: clk, svc: NewService(d, clk, events, customers, tickets), customers: customers,
		tickets: tickets, shopID: s.ID, orderID: o.ID, customer: o.CustomerID}
}

func (b *bundle) count(t *testing.T, q string) int {
	t.Helper()
	var n int
	if err := b.d.QueryRowContext(b.ctx, q, b.shopID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSubmit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		if _, _, err := b.svc.Submit(b.ctx, b.shopID, "nope", b.orderID, Answer{CSAT: 5}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown survey: %v", err)
		}
		if _, _, err := b.svc.Submit(b.ctx, b.shopID, PostPurchase, "ord_nope", Answer{CSAT: 5}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown order: %v", err)
		}
		if _, _, err := b.svc.Submit(b.ctx, b.shopID, PostPurchase, b.orderID, Answer{CSAT: 9}); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("bad answer: %v", err)
		}
		other := setup(t, d)
		if _, _, err := other.svc.Submit(b.ctx, other.shopID, PostPurchase, b.orderID, Answer{CSAT: 5}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("another shop's order: %v", err)
		}
		if n := b.count(t, `SELECT COUNT(*) FROM survey_responses WHERE shop_id = $1`); n != 0 {
			t.Fatalf("%d responses after refusals", n)
		}

		// Concurrent first submits make one response and one survey.answered.
		var wg sync.WaitGroup
		errc := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := b.svc.Submit(b.ctx, b.shopID, PostPurchase, b.orderID, Answer{CSAT: 1 + i%2, Comment: "x"})
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := b.count(t, `SELECT COUNT(*) FROM survey_responses WHERE shop_id = $1`); n != 1 {
			t.Fatalf("%d responses", n)
		}
		if n := b.count(t, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type = 'survey.answered'`); n != 1 {
			t.Fatalf("%d survey.answered", n)
		}
		if n := b.count(t, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type = 'survey.updated'`); n != 7 {
			t.Fatalf("%d survey.updated", n)
		}
		if n := b.count(t, `SELECT COUNT(*) FROM tickets WHERE shop_id = $1`); n != 1 {
			t.Fatalf("%d recovery tickets", n)
		}
		r, err := b.svc.ByOrder(b.ctx, b.shopID, PostPurchase, b.orderID)
		if err != nil || r.Edits != 7 || !strings.HasPrefix(r.RecoveryTicketID, "tkt_") || r.CustomerID != b.customer {
			t.Fatalf("response %+v, %v", r, err)
		}

		// An erased customer answers nothing more, and the comment is gone.
		if err := b.customers.Erase(b.ctx, b.shopID, b.customer); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.svc.Submit(b.ctx, b.shopID, PostPurchase, b.orderID, Answer{CSAT: 5}); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("erased: %v", err)
		}
		if r, _ := b.svc.ByOrder(b.ctx, b.shopID, PostPurchase, b.orderID); r.Comment != "" || r.CSAT == 0 {
			t.Fatalf("after erase: %+v", r)
		}
	})
}

func TestResults(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		r, err := b.svc.Results(b.ctx, b.shopID, PostPurchase, ResultsParams{})
		if err != nil || r.Responses != 0 || r.CSAT.Average != nil || r.NPS.Score != nil || len(r.Weeks) != DefaultWeeks {
			t.Fatalf("empty results %+v, %v", r, err)
		}
		if _, _, err := b.svc.Submit(b.ctx, b.shopID, PostPurchase, b.orderID, Answer{CSAT: 4, NPS: ptr(9)}); err != nil {
			t.Fatal(err)
		}
		r, err = b.svc.Results(b.ctx, b.shopID, PostPurchase, ResultsParams{})
		if err != nil {
			t.Fatal(err)
		}
		last := r.Weeks[len(r.Weeks)-1]
		if r.Responses != 1 || *r.CSAT.Average != 4 || *r.CSAT.Satisfied != 100 || *r.NPS.Score != 100 || r.NPS.Promoters != 1 ||
			r.CSAT.Distribution["4"] != 1 || r.NPS.Distribution["9"] != 1 || last.WeekStart != "2026-11-23" || last.Responses != 1 {
			t.Fatalf("results %+v", r)
		}
		// Weeks are Tokyo weeks: Sunday 23:30 JST belongs to the week before.
		if got := weekStart(time.Date(2026, 11, 22, 14, 30, 0, 0, time.UTC), time.FixedZone("JST", 9*3600)).Format(time.DateOnly); got != "2026-11-16" {
			t.Fatalf("weekStart = %s", got)
		}
		for _, p := range []ResultsParams{{From: t0, To: t0}, {From: t0.AddDate(-2, 0, 0), To: t0}} {
			if _, err := b.svc.Results(b.ctx, b.shopID, PostPurchase, p); !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("%+v: %v", p, err)
			}
		}
	})
}
