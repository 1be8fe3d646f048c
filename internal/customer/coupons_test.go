package customer

import (
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
)

// TestExportAndEraseCoupons: the export lists the customer's codes; erasure
// expires the unredeemed ones and leaves the redeemed ones as they were.
func TestExportAndEraseCoupons(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.upsert(t, Input{ExternalID: "C1"})
		oid := b.order(t, c.ID, t0.Add(-time.Hour), 1000, map[string]*int{"tea": nil})
		later := t0.Add(30 * 24 * time.Hour)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO coupon_campaigns (shop_id, id, name, discount_type, discount_value, valid_days, per_customer_limit, issued, created_at)
			 VALUES ($1, 'cpn_1', '500円引き', 'amount', 500, 30, 2, 2, $2)`, []any{b.shopID, t0}},
			{`INSERT INTO coupons (shop_id, code, campaign_id, customer_id, order_id, expires_at, created_at)
			 VALUES ($1, 'AAAABBBBCCCC', 'cpn_1', $2, $3, $4, $5)`, []any{b.shopID, c.ID, oid, later, t0}},
			{`INSERT INTO coupons (shop_id, code, campaign_id, customer_id, expires_at, redeemed_at, reference, created_at)
			 VALUES ($1, 'DDDDEEEEFFFF', 'cpn_1', $2, $3, $4, 'POS-1', $4)`, []any{b.shopID, c.ID, later, t0}},
		} {
			if _, err := d.ExecContext(b.ctx, q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		x, err := b.svc.Export(b.ctx, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Coupons) != 2 || x.Coupons[0].Code != "AAAABBBBCCCC" || x.Coupons[0].OrderID != oid ||
			x.Coupons[1].RedeemedAt == nil || x.Coupons[1].Reference != "POS-1" || !x.Coupons[0].ExpiresAt.Equal(later) {
			t.Fatalf("coupons %+v", x.Coupons)
		}
		b.clk.Advance(time.Hour)
		if err := b.svc.Erase(b.ctx, b.shopID, c.ID); err != nil {
			t.Fatal(err)
		}
		for code, want := range map[string]time.Time{"AAAABBBBCCCC": t0.Add(time.Hour), "DDDDEEEEFFFF": later} {
			var got time.Time
			if err := d.QueryRowContext(b.ctx, `SELECT expires_at FROM coupons WHERE shop_id = $1 AND code = $2`, b.shopID, code).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Errorf("%s expires %v after erasure, want %v", code, got, want)
			}
		}
	})
}
