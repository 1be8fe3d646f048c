package policy

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/shop"
)

var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

type testBundle struct {
	d      *db.DB
	svc    *Service
	shopID string
	ctx    context.Context
}

func setup(t *testing.T, d *db.DB) *testBundle {
	t.Helper()
	ctx := context.Background()
	s, err := shop.Create(ctx, d, shop.CreateParams{Slug: "s-" + id.New("x")[16:], Name: "店"}, t0)
	if err != nil {
		t.Fatalf("shop: %v", err)
	}
	return &testBundle{d: d, svc: NewService(d, clock.NewSimulated(t0)), shopID: s.ID, ctx: ctx}
}

// customer inserts a bare customer row and returns its ID.
func (b *testBundle) customer(t *testing.T) string {
	t.Helper()
	cid := id.New("cus")
	if _, err := b.d.ExecContext(b.ctx, `INSERT INTO customers (shop_id, id, external_id, created_at, updated_at)
		VALUES ($1, $2, $2, $3, $3)`, b.shopID, cid, t0); err != nil {
		t.Fatal(err)
	}
	return cid
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

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Policy)
		fields []string // nil: valid
	}{
		{"defaults", func(*Policy) {}, nil},
		{"edges low", func(p *Policy) {
			p.MinCareBeforeSales, p.MaxSalesShare, p.MaxPerWeek, p.MaxDeferDays = 0, 0.0001, 1, 0
			p.BrakeOptOutRate, p.BrakeWindow, p.BrakeMinSends, p.SMSMaxChars = 0, 10, 1, 70
			p.TicketSLAHours, p.UrgentTicketSLAHours, p.ChannelOrder = 1, 1, []string{"postal"}
		}, nil},
		{"edges high", func(p *Policy) {
			p.MinCareBeforeSales, p.MaxSalesShare, p.MaxPerWeek, p.MaxDeferDays = 50, 1, 100, 30
			p.BrakeOptOutRate, p.BrakeWindow, p.BrakeMinSends, p.SMSMaxChars = 1, 100000, 100000, 1600
			p.TicketSLAHours, p.UrgentTicketSLAHours = 720, 720
			p.QuietStart, p.QuietEnd = "00:00", "23:59"
		}, nil},
		{"min care negative", func(p *Policy) { p.MinCareBeforeSales = -1 }, []string{"min_care_before_sales"}},
		{"sales share zero", func(p *Policy) { p.MaxSalesShare = 0 }, []string{"max_sales_share"}},
		{"sales share over one", func(p *Policy) { p.MaxSalesShare = 1.01 }, []string{"max_sales_share"}},
		{"max per week zero", func(p *Policy) { p.MaxPerWeek = 0 }, []string{"max_per_week"}},
		{"max defer days negative", func(p *Policy) { p.MaxDeferDays = -1 }, []string{"max_defer_days"}},
		{"max defer days 31", func(p *Policy) { p.MaxDeferDays = 31 }, []string{"max_defer_days"}},
		{"quiet start 24:00", func(p *Policy) { p.QuietStart = "24:00" }, []string{"quiet_start"}},
		{"quiet end without zero", func(p *Policy) { p.QuietEnd = "9:00" }, []string{"quiet_end"}},
		{"quiet times empty", func(p *Policy) { p.QuietStart, p.QuietEnd = "", "09:60" }, []string{"quiet_end", "quiet_start"}},
		{"channel order empty", func(p *Policy) { p.ChannelOrder = nil }, []string{"channel_order"}},
		{"channel order duplicate", func(p *Policy) { p.ChannelOrder = []string{"email", "sms", "email"} }, []string{"channel_order"}},
		{"channel order phone", func(p *Policy) { p.ChannelOrder = []string{"phone"} }, []string{"channel_order"}},
		{"channel order five", func(p *Policy) { p.ChannelOrder = []string{"line", "sms", "email", "postal", "line"} }, []string{"channel_order"}},
		{"brake rate over one", func(p *Policy) { p.BrakeOptOutRate = 1.5 }, []string{"brake_opt_out_rate"}},
		{"brake window small", func(p *Policy) { p.BrakeWindow, p.BrakeMinSends = 9, 5 }, []string{"brake_window"}},
		{"brake min sends over window", func(p *Policy) { p.BrakeWindow, p.BrakeMinSends = 100, 101 }, []string{"brake_min_sends"}},
		{"sms max chars", func(p *Policy) { p.SMSMaxChars = 69 }, []string{"sms_max_chars"}},
		{"ticket sla zero", func(p *Policy) { p.TicketSLAHours = 0 }, []string{"ticket_sla_hours", "urgent_ticket_sla_hours"}},
		{"urgent over normal", func(p *Policy) { p.TicketSLAHours, p.UrgentTicketSLAHours = 8, 9 }, []string{"urgent_ticket_sla_hours"}},
		{"everything at once", func(p *Policy) {
			*p = Policy{MinCareBeforeSales: -1, QuietStart: "x", QuietEnd: "y", BrakeOptOutRate: -1}
		}, []string{"brake_min_sends", "brake_opt_out_rate", "brake_window", "channel_order", "max_per_week", "max_sales_share",
			"min_care_before_sales", "quiet_end", "quiet_start", "sms_max_chars", "ticket_sla_hours", "urgent_ticket_sla_hours"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Defaults()
			tt.change(&p)
			err := p.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("valid policy refused: %v", err)
				}
				return
			}
			if got := fieldsOf(err); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v (err %v)", got, tt.fields, err)
			}
		})
	}
}

func TestTicketSLA(t *testing.T) {
	t.Parallel()
	p := Defaults()
	for kind, want := range map[string]time.Duration{"complaint": 4 * time.Hour, "defect": 4 * time.Hour,
		"question": 24 * time.Hour, "return": 24 * time.Hour, "exchange": 24 * time.Hour, "other": 24 * time.Hour} {
		if got := p.TicketSLA(kind); got != want {
			t.Errorf("%s: %v, want %v", kind, got, want)
		}
	}
}

func TestGetPut(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		other := setup(t, d)
		got, err := b.svc.Get(b.ctx, d, b.shopID)
		if err != nil || !equal(got, Defaults()) {
			t.Fatalf("unset policy: %+v %v", got, err)
		}
		p := Defaults()
		p.MaxPerWeek, p.QuietStart, p.ChannelOrder = 5, "22:30", []string{"email", "line"}
		if _, err := b.svc.Put(b.ctx, b.shopID, p); err != nil {
			t.Fatal(err)
		}
		bad := p
		bad.MaxPerWeek, bad.QuietEnd = 0, "25:00"
		if _, err := b.svc.Put(b.ctx, b.shopID, bad); !slices.Equal(fieldsOf(err), []string{"max_per_week", "quiet_end"}) {
			t.Fatalf("bad put: %v", err)
		}
		err = d.InTx(b.ctx, func(tx *db.Tx) error {
			got, err = b.svc.Get(b.ctx, tx, b.shopID)
			return err
		})
		if err != nil || !equal(got, p) {
			t.Fatalf("stored policy (read in a tx) %+v %v, want %+v", got, err, p)
		}
		if got, err := b.svc.Get(b.ctx, d, other.shopID); err != nil || !equal(got, Defaults()) {
			t.Fatalf("other shop sees %+v %v", got, err)
		}
		// A field added after the policy was stored takes its default.
		if _, err := d.ExecContext(b.ctx, `UPDATE policies SET body = $2 WHERE shop_id = $1`, b.shopID, `{"max_per_week": 7}`); err != nil {
			t.Fatal(err)
		}
		got, err = b.svc.Get(b.ctx, d, b.shopID)
		want := Defaults()
		want.MaxPerWeek = 7
		if err != nil || !equal(got, want) {
			t.Fatalf("old stored policy: %+v %v", got, err)
		}
	})
}

func equal(a, b Policy) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestNotify(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		other := setup(t, d)
		long := strings.Repeat("長", 6000)
		err := d.InTx(b.ctx, func(tx *db.Tx) error {
			for i := range 3 {
				if err := Notify(b.ctx, tx, b.shopID, NotifyJourneyPaused, "ジャーナルを一時停止しました", long[:3*(i+1)], t0.Add(time.Duration(i)*time.Minute)); err != nil {
					return err
				}
			}
			return Notify(b.ctx, tx, other.shopID, "x.y", "other", "", t0)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := Notify(b.ctx, d, b.shopID, "", "no kind", "", t0); err == nil {
			t.Fatal("notification without kind stored")
		}
		if err := Notify(b.ctx, d, b.shopID, "long.body", "long", long, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		page, more, err := Notifications(b.ctx, d, NotificationParams{ShopID: b.shopID, Limit: 2})
		if err != nil || !more || len(page) != 2 {
			t.Fatalf("page 1: %d %v %v", len(page), more, err)
		}
		if page[0].Kind != "long.body" || len([]rune(page[0].Body)) != maxNotifyBody || page[0].ReadAt != nil || !page[0].CreatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("newest: %+v", page[0].Kind)
		}
		rest, more, err := Notifications(b.ctx, d, NotificationParams{ShopID: b.shopID, BeforeID: page[1].ID, Limit: 10})
		if err != nil || more || len(rest) != 2 || rest[1].Body != "長" {
			t.Fatalf("page 2: %+v %v %v", rest, more, err)
		}
	})
}

// TestLockCustomer proves that LockCustomer makes the policy's counts hold
// when many messages of one customer come due at once: ten transactions,
// each locking the customer, counting what was sent in the last 7 days,
// deciding and recording a send, let exactly max_per_week (3) through.
//
// Without the lock (the count and insert alone), PostgreSQL's READ
// COMMITTED lets transactions count concurrently: this test without the
// LockCustomer call, run 8 times on PostgreSQL 15, sent 4 to 7 messages in
// 7 of the runs. SQLite serialises anyway (BEGIN IMMEDIATE, one writer).
func TestLockCustomer(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		cid := b.customer(t)
		if _, err := d.ExecContext(b.ctx, `CREATE TABLE lock_test_sent (shop_id TEXT NOT NULL, customer_id TEXT NOT NULL, at TIMESTAMP NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		p := Defaults()
		c := Customer{Contacts: map[string]bool{"email": true}, Consents: map[string]bool{"email": true}}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errc := make(chan error, 10)
		for range 10 {
			wg.Go(func() {
				<-start
				errc <- d.InTx(b.ctx, func(tx *db.Tx) error {
					if err := LockCustomer(b.ctx, tx, b.shopID, cid); err != nil {
						return err
					}
					rows, err := tx.QueryContext(b.ctx, `SELECT at FROM lock_test_sent WHERE shop_id = $1 AND customer_id = $2 AND at > $3`,
						b.shopID, cid, t0.Add(-FrequencyCapWindow))
					if err != nil {
						return err
					}
					var h History
					for rows.Next() {
						var at time.Time
						if err := rows.Scan(&at); err != nil {
							_ = rows.Close()
							return err
						}
						h.Sent = append(h.Sent, Sent{At: at, Purpose: Care})
					}
					if err := errors.Join(rows.Err(), rows.Close()); err != nil {
						return err
					}
					if Decide(p, tokyo, Message{Purpose: Care}, c, h, t0).Outcome != Send {
						return nil
					}
					_, err = tx.ExecContext(b.ctx, `INSERT INTO lock_test_sent (shop_id, customer_id, at) VALUES ($1, $2, $3)`, b.shopID, cid, t0)
					return err
				})
			})
		}
		close(start)
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM lock_test_sent`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != p.MaxPerWeek {
			t.Fatalf("%d sent, want exactly %d", n, p.MaxPerWeek)
		}

		err := d.InTx(b.ctx, func(tx *db.Tx) error { return LockCustomer(b.ctx, tx, b.shopID, "cus_missing") })
		if !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("unknown customer: %v", err)
		}
		other := setup(t, d)
		err = d.InTx(b.ctx, func(tx *db.Tx) error { return LockCustomer(b.ctx, tx, other.shopID, cid) })
		if !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("other shop's customer: %v", err)
		}
	})
}
