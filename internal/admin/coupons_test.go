package admin_test

import (
	"net/http"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// TestCouponsInTheAdmin: a journey's coupon step names its campaign and
// discount, and a customer's timeline shows the code issued and redeemed.
func TestCouponsInTheAdmin(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		seed(t, ae)
		c := e.login(t, "viewer@example.jp")
		r := ae.Do("POST", "/api/v1/coupon-campaigns", map[string]any{"name": "お礼クーポン", "discount_type": "amount", "discount_value": 500, "valid_days": 30})
		if r.Status != http.StatusCreated {
			t.Fatalf("campaign: %d %s", r.Status, r.Body)
		}
		cpn := r.Map(t)["id"].(string)
		r = ae.Do("POST", "/api/v1/journeys", map[string]any{"name": "お礼の品", "trigger": map[string]any{"type": "order_placed"},
			"steps": []any{map[string]any{"id": "gift", "type": "coupon", "campaign_id": cpn, "title": "2回目のご来店に"}}})
		if r.Status != http.StatusCreated {
			t.Fatalf("journey: %d %s", r.Status, r.Body)
		}
		want(t, "journey", c.get("/admin/journeys/"+r.Map(t)["id"].(string)), http.StatusOK,
			"クーポンを発行: 「お礼クーポン」（500円引き） — 2回目のご来店に")

		cust := ae.Do("GET", "/api/v1/customers?external_id=CA", nil).Map(t)["items"].([]any)[0].(map[string]any)["id"].(string)
		r = ae.Do("POST", "/api/v1/coupon-campaigns/"+cpn+"/issue", map[string]any{"customer_id": cust})
		if r.Status != http.StatusCreated {
			t.Fatalf("issue: %d %s", r.Status, r.Body)
		}
		code := r.Map(t)["code"].(string)
		if r := ae.Do("POST", "/api/v1/coupons/"+code+"/redeem", map[string]any{"reference": "R-0042"}); r.Status != http.StatusOK {
			t.Fatalf("redeem: %d %s", r.Status, r.Body)
		}
		want(t, "timeline", c.get("/admin/customers/"+cust), http.StatusOK, "クーポンを発行", "クーポンを利用", "コード "+code, "R-0042")
	})
}
