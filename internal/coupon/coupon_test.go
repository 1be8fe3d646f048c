package coupon_test

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
	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/token"
)

var t0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

func ptr(n int) *int { return &n }

func TestCampaignInputValidate(t *testing.T) {
	t.Parallel()
	future := t0.Add(24 * time.Hour)
	tests := []struct {
		name   string
		in     coupon.CampaignInput
		fields []string
	}{
		{"amount", coupon.CampaignInput{Name: " 500円引き ", DiscountType: "amount", DiscountValue: 500, ValidDays: ptr(30)}, nil},
		{"percent with end", coupon.CampaignInput{Name: "10%", DiscountType: "percent", DiscountValue: 10, EndsAt: &future,
			PerCustomerLimit: ptr(2), TotalLimit: ptr(100)}, nil},
		{"empty", coupon.CampaignInput{}, []string{"discount_type", "name", "valid_days"}},
		{"percent 101", coupon.CampaignInput{Name: "x", DiscountType: "percent", DiscountValue: 101, ValidDays: ptr(1)}, []string{"discount_value"}},
		{"amount 0", coupon.CampaignInput{Name: "x", DiscountType: "amount", DiscountValue: 0, ValidDays: ptr(1)}, []string{"discount_value"}},
		{"days 0", coupon.CampaignInput{Name: "x", DiscountType: "amount", DiscountValue: 1, ValidDays: ptr(0)}, []string{"valid_days"}},
		{"ended", coupon.CampaignInput{Name: "x", DiscountType: "amount", DiscountValue: 1, EndsAt: &t0}, []string{"ends_at"}},
		{"limits", coupon.CampaignInput{Name: "x", DiscountType: "amount", DiscountValue: 1, ValidDays: ptr(1),
			PerCustomerLimit: ptr(0), TotalLimit: ptr(-1)}, []string{"per_customer_limit", "total_limit"}},
		{"control", coupon.CampaignInput{Name: "a\x1bb", DiscountType: "amount", DiscountValue: 1, ValidDays: ptr(1)}, []string{"name"}},
		{"long", coupon.CampaignInput{Name: strings.Repeat("あ", 101), DiscountType: "amount", DiscountValue: 1, ValidDays: ptr(1)}, []string{"name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.in.Validate(t0)
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

func TestCodes(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		c := coupon.NewCode()
		if n, ok := coupon.NormalizeCode(c); !ok || n != c || len(c) != coupon.CodeLength || strings.ContainsAny(c, "01OI") {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice", c)
		}
		seen[c] = true
	}
	for in, want := range map[string]string{"abcd-efgh-jkmn": "ABCDEFGHJKMN", " ABCD EFGH JKMN ": "ABCDEFGHJKMN",
		"ＡＢＣＤ－ＥＦＧＨ－ＪＫＭＮ": "ABCDEFGHJKMN", "ABCD-EFGH-JKM0": "", "ABCD": "", "": "", "ABCDEFGHJKMNP": ""} {
		got, ok := coupon.NormalizeCode(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if got := coupon.Display("ABCDEFGHJKMN"); got != "ABCD-EFGH-JKMN" {
		t.Errorf("Display = %s", got)
	}
}

type bundle struct {
	ctx       context.Context
	d         *db.DB
	clk       *clock.Simulated
	svc       *coupon.Service
	customers *customer.Service
	orders    *order.Service
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
	signer, _ := token.NewSigner(bytes.Repeat([]byte{7}, 32))
	orders := order.NewService(d, clk, events, customers, signer, "http://kizukai.test")
	b := &bundle{ctx: ctx, d: d, clk: clk, svc: coupon.NewService(d, clk, events), customers: customers, orders: orders, shopID: s.ID}
	b.orderID, b.customer = b.order(t, "O1", "C1")
	return b
}

func (b *bundle) order(t *testing.T, ext, customerExt string) (string, string) {
	t.Helper()
	total := int64(1000)
	o, _, err := b.orders.Place(b.ctx, b.shopID, order.Submission{ExternalID: ext, Customer: &customer.Input{ExternalID: customerExt},
		OrderedAt: t0.Add(-time.Hour).Format(time.RFC3339), Channel: "online",
		Lines: []order.LineInput{{SKU: "A", Quantity: 1, UnitPrice: 1000}}, Total: &total})
	if err != nil {
		t.Fatal(err)
	}
	return o.ID, o.CustomerID
}

func (b *bundle) campaign(t *testing.T, in coupon.CampaignInput) coupon.Campaign {
	t.Helper()
	if in.Name == "" {
		in.Name, in.DiscountType, in.DiscountValue = "500円引き", coupon.DiscountAmount, 500
	}
	c, err := b.svc.CreateCampaign(b.ctx, b.shopID, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (b *bundle) count(t *testing.T, q string) int {
	t.Helper()
	var n int
	if err := b.d.QueryRowContext(b.ctx, q, b.shopID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, kind error, code string) {
	t.Helper()
	var e *errs.Error
	if !errors.Is(err, kind) || !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

func TestIssueAndRedeem(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		end := t0.Add(10 * 24 * time.Hour)
		c := b.campaign(t, coupon.CampaignInput{ValidDays: ptr(30), EndsAt: &end, PerCustomerLimit: ptr(2)})
		k, err := b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: b.customer, OrderID: b.orderID})
		if err != nil {
			t.Fatal(err)
		}
		// The campaign's end comes before 30 days: the code expires then.
		if !k.ExpiresAt.Equal(end) || k.OrderID != b.orderID || k.RedeemedAt != nil || k.DiscountValue != 500 {
			t.Fatalf("coupon %+v", k)
		}
		got, err := b.svc.ByCode(b.ctx, b.shopID, strings.ToLower(coupon.Display(k.Code)))
		if err != nil || got.Code != k.Code || got.CustomerID != b.customer || got.CampaignName != "500円引き" {
			t.Fatalf("by code %+v, %v", got, err)
		}
		list, err := b.svc.ByOrder(b.ctx, b.shopID, b.orderID)
		if err != nil || len(list) != 1 || list[0].Code != k.Code {
			t.Fatalf("by order %+v, %v", list, err)
		}

		// Refusals name the problem and write nothing.
		_, err = b.svc.Issue(b.ctx, b.shopID, "cpn_nope", coupon.IssueInput{CustomerID: b.customer})
		wantCode(t, err, errs.ErrNotFound, "coupon_campaign_not_found")
		_, err = b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: "cus_nope"})
		wantCode(t, err, errs.ErrInvalid, "validation_failed")
		otherOrder, other := b.order(t, "O2", "C2")
		_, err = b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: b.customer, OrderID: otherOrder})
		wantCode(t, err, errs.ErrInvalid, "validation_failed")
		if _, err := b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: b.customer}); err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: b.customer})
		wantCode(t, err, errs.ErrConflict, "customer_limit_reached")
		if c, _ := b.svc.Campaign(b.ctx, b.shopID, c.ID); c.Issued != 2 || c.Redeemed != 0 {
			t.Fatalf("campaign %+v", c)
		}

		// Redeem: once; then already_redeemed; unknown: not found.
		r, err := b.svc.Redeem(b.ctx, b.shopID, k.Code, coupon.RedeemInput{Reference: " POS-1 "})
		if err != nil || r.RedeemedAt == nil || !r.RedeemedAt.Equal(t0) || r.Reference != "POS-1" {
			t.Fatalf("redeem %+v, %v", r, err)
		}
		_, err = b.svc.Redeem(b.ctx, b.shopID, k.Code, coupon.RedeemInput{})
		wantCode(t, err, errs.ErrConflict, "already_redeemed")
		_, err = b.svc.Redeem(b.ctx, b.shopID, "ABCD-EFGH-JKMN", coupon.RedeemInput{})
		wantCode(t, err, errs.ErrNotFound, "coupon_not_found")
		_, err = b.svc.Redeem(b.ctx, b.shopID, "not a code", coupon.RedeemInput{})
		wantCode(t, err, errs.ErrNotFound, "coupon_not_found")
		if c, _ := b.svc.Campaign(b.ctx, b.shopID, c.ID); c.Redeemed != 1 {
			t.Fatalf("campaign %+v", c)
		}

		// Expired: 410; after the campaign's end, no more codes.
		k2, err := b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: other})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.clk.Set(end); err != nil {
			t.Fatal(err)
		}
		_, err = b.svc.Redeem(b.ctx, b.shopID, k2.Code, coupon.RedeemInput{})
		wantCode(t, err, errs.ErrGone, "expired")
		_, err = b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: other})
		wantCode(t, err, errs.ErrConflict, "campaign_ended")

		// Another shop sees nothing of these.
		o := setup(t, d)
		_, err = o.svc.ByCode(b.ctx, o.shopID, k2.Code)
		wantCode(t, err, errs.ErrNotFound, "coupon_not_found")
		_, err = o.svc.Redeem(b.ctx, o.shopID, k2.Code, coupon.RedeemInput{})
		wantCode(t, err, errs.ErrNotFound, "coupon_not_found")
		_, err = o.svc.Issue(b.ctx, o.shopID, c.ID, coupon.IssueInput{CustomerID: o.customer})
		wantCode(t, err, errs.ErrNotFound, "coupon_campaign_not_found")

		if n := b.count(t, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type = 'coupon.issued'`); n != 3 {
			t.Fatalf("%d coupon.issued", n)
		}
		if n := b.count(t, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type = 'coupon.redeemed'`); n != 1 {
			t.Fatalf("%d coupon.redeemed", n)
		}
	})
}

// TestConcurrency: many redemptions of one code, exactly one wins; many
// issues against a total limit never exceed it.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.campaign(t, coupon.CampaignInput{ValidDays: ptr(30), PerCustomerLimit: ptr(1000), TotalLimit: ptr(5)})
		k, err := b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: b.customer})
		if err != nil {
			t.Fatal(err)
		}
		const n = 16
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := b.svc.Redeem(b.ctx, b.shopID, k.Code, coupon.RedeemInput{})
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		ok, dup := 0, 0
		for err := range errc {
			var e *errs.Error
			switch {
			case err == nil:
				ok++
			case errors.As(err, &e) && e.Code == "already_redeemed":
				dup++
			default:
				t.Fatal(err)
			}
		}
		if ok != 1 || dup != n-1 {
			t.Fatalf("%d redemptions succeeded, %d already_redeemed", ok, dup)
		}
		if m := b.count(t, `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type = 'coupon.redeemed'`); m != 1 {
			t.Fatalf("%d coupon.redeemed", m)
		}

		// 4 codes are left under the total limit of 5; 12 try at once,
		// for two customers (so customer locks do not serialise them all).
		_, second := b.order(t, "O2", "C2")
		errc = make(chan error, 12)
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				who := b.customer
				if i%2 == 1 {
					who = second
				}
				_, err := b.svc.Issue(b.ctx, b.shopID, c.ID, coupon.IssueInput{CustomerID: who})
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		ok = 0
		for err := range errc {
			var e *errs.Error
			switch {
			case err == nil:
				ok++
			case errors.As(err, &e) && e.Code == "campaign_limit_reached":
			default:
				t.Fatal(err)
			}
		}
		if ok != 4 {
			t.Fatalf("%d issued, want 4", ok)
		}
		if m := b.count(t, `SELECT COUNT(*) FROM coupons WHERE shop_id = $1`); m != 5 {
			t.Fatalf("%d coupons", m)
		}
		if c, _ := b.svc.Campaign(b.ctx, b.shopID, c.ID); c.Issued != 5 {
			t.Fatalf("issued %d", c.Issued)
		}
	})
}

// TestIssueKey: a second issue with the same key answers the first code.
func TestIssueKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.campaign(t, coupon.CampaignInput{ValidDays: ptr(7)})
		var first coupon.Coupon
		for i := range 2 {
			err := d.InTx(b.ctx, func(tx *db.Tx) error {
				k, created, err := b.svc.IssueTx(b.ctx, tx, b.shopID, c.ID, coupon.IssueInput{CustomerID: b.customer, IssueKey: "run:r1:s1"})
				if err != nil {
					return err
				}
				if created != (i == 0) || i == 1 && k.Code != first.Code {
					t.Errorf("issue %d: %+v created=%v", i, k, created)
				}
				first = k
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if !first.ExpiresAt.Equal(t0.Add(7 * 24 * time.Hour)) {
			t.Fatalf("expires %v", first.ExpiresAt)
		}
	})
}
