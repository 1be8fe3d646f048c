package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

type couponBody struct {
	Code          string     `json:"code"`
	CampaignID    string     `json:"campaign_id"`
	CustomerID    string     `json:"customer_id"`
	OrderID       string     `json:"order_id"`
	ExpiresAt     time.Time  `json:"expires_at"`
	RedeemedAt    *time.Time `json:"redeemed_at"`
	Reference     string     `json:"reference"`
	DiscountType  string     `json:"discount_type"`
	DiscountValue int64      `json:"discount_value"`
}

type campaignBody struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	DiscountType     string `json:"discount_type"`
	DiscountValue    int64  `json:"discount_value"`
	ValidDays        *int   `json:"valid_days"`
	PerCustomerLimit int    `json:"per_customer_limit"`
	TotalLimit       *int   `json:"total_limit"`
	Issued           int    `json:"issued"`
	Redeemed         int    `json:"redeemed"`
}

func wantCode(t *testing.T, what string, res apptest.Response, status int, code string) {
	t.Helper()
	if res.Status != status || res.ErrorCode() != code {
		t.Errorf("%s: %d %s, want %d %s", what, res.Status, res.Body, status, code)
	}
}

func TestCouponAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := createCustomer(t, e, map[string]any{"external_id": "C1", "name": "山田"})
		other := createCustomer(t, e, map[string]any{"external_id": "C2"})
		res := e.Do("POST", "/api/v1/orders", map[string]any{"external_id": "O1", "customer_external_id": "C1",
			"ordered_at": apptest.Start.Add(-time.Hour).Format(time.RFC3339), "channel": "store",
			"lines": []map[string]any{{"sku": "A", "quantity": 1, "unit_price": 1000}}, "total": 1000})
		if res.Status != http.StatusCreated {
			t.Fatalf("order: %d %s", res.Status, res.Body)
		}
		orderID := res.Map(t)["id"].(string)

		// Validation: 422 naming the fields; nothing stored.
		res = e.Do("POST", "/api/v1/coupon-campaigns", map[string]any{"name": "", "discount_type": "yen", "discount_value": 5})
		wantError(t, "bad campaign", res, http.StatusUnprocessableEntity, "discount_type")
		wantError(t, "bad campaign", res, http.StatusUnprocessableEntity, "valid_days")
		res = e.Do("POST", "/api/v1/coupon-campaigns", `{"name": "x", "discount_value": "5"}`)
		if res.Status != http.StatusBadRequest {
			t.Errorf("malformed campaign: %d %s", res.Status, res.Body)
		}

		var camp campaignBody
		res = e.Do("POST", "/api/v1/coupon-campaigns", map[string]any{"name": "10%オフ", "discount_type": "percent",
			"discount_value": 10, "valid_days": 30, "total_limit": 2})
		res.JSON(t, &camp)
		if res.Status != http.StatusCreated || camp.PerCustomerLimit != 1 || *camp.TotalLimit != 2 || camp.Issued != 0 {
			t.Fatalf("create campaign: %d %s", res.Status, res.Body)
		}

		var k couponBody
		res = e.Do("POST", "/api/v1/coupon-campaigns/"+camp.ID+"/issue", map[string]any{"customer_id": c.ID, "order_id": orderID})
		res.JSON(t, &k)
		if res.Status != http.StatusCreated || len(k.Code) != 12 || k.CustomerID != c.ID || k.OrderID != orderID ||
			!k.ExpiresAt.Equal(apptest.Start.Add(30*24*time.Hour)) || k.RedeemedAt != nil || k.DiscountType != "percent" {
			t.Fatalf("issue: %d %s", res.Status, res.Body)
		}
		wantCode(t, "second code for the customer", e.Do("POST", "/api/v1/coupon-campaigns/"+camp.ID+"/issue",
			map[string]any{"customer_id": c.ID}), http.StatusConflict, "customer_limit_reached")
		wantError(t, "unknown customer", e.Do("POST", "/api/v1/coupon-campaigns/"+camp.ID+"/issue",
			map[string]any{"customer_id": "cus_nope"}), http.StatusUnprocessableEntity, "customer_id")
		wantError(t, "another customer's order", e.Do("POST", "/api/v1/coupon-campaigns/"+camp.ID+"/issue",
			map[string]any{"customer_id": other.ID, "order_id": orderID}), http.StatusUnprocessableEntity, "order_id")
		wantCode(t, "unknown campaign", e.Do("POST", "/api/v1/coupon-campaigns/cpn_nope/issue",
			map[string]any{"customer_id": c.ID}), http.StatusNotFound, "coupon_campaign_not_found")
		var k2 couponBody
		e.Do("POST", "/api/v1/coupon-campaigns/"+camp.ID+"/issue", map[string]any{"customer_id": other.ID}).JSON(t, &k2)
		third := createCustomer(t, e, map[string]any{"external_id": "C3"})
		wantCode(t, "total limit", e.Do("POST", "/api/v1/coupon-campaigns/"+camp.ID+"/issue",
			map[string]any{"customer_id": third.ID}), http.StatusConflict, "campaign_limit_reached")

		var got couponBody
		res = e.Do("GET", "/api/v1/coupons/"+strings.ToLower(k.Code[:4]+"-"+k.Code[4:8]+"-"+k.Code[8:]), nil)
		res.JSON(t, &got)
		if res.Status != http.StatusOK || got.Code != k.Code {
			t.Fatalf("show coupon: %d %s", res.Status, res.Body)
		}
		wantCode(t, "unknown code", e.Do("GET", "/api/v1/coupons/ABCDEFGHJKMN", nil), http.StatusNotFound, "coupon_not_found")

		// Redeem: concurrent POS terminals, one wins: 200 once, then 409.
		const n = 8
		statuses := make(chan int, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses <- e.Do("POST", "/api/v1/coupons/"+k.Code+"/redeem", map[string]any{"reference": "POS-42"}).Status
			}()
		}
		wg.Wait()
		close(statuses)
		count := map[int]int{}
		for s := range statuses {
			count[s]++
		}
		if count[http.StatusOK] != 1 || count[http.StatusConflict] != n-1 {
			t.Fatalf("concurrent redemptions: %v", count)
		}
		wantCode(t, "redeem again", e.Do("POST", "/api/v1/coupons/"+k.Code+"/redeem", nil), http.StatusConflict, "already_redeemed")
		e.Do("GET", "/api/v1/coupons/"+k.Code, nil).JSON(t, &got)
		if got.RedeemedAt == nil || !got.RedeemedAt.Equal(apptest.Start) || got.Reference != "POS-42" {
			t.Fatalf("redeemed coupon: %+v", got)
		}
		wantCode(t, "redeem unknown", e.Do("POST", "/api/v1/coupons/ABCDEFGHJKMN/redeem", nil), http.StatusNotFound, "coupon_not_found")
		wantError(t, "bad reference", e.Do("POST", "/api/v1/coupons/"+k2.Code+"/redeem",
			map[string]any{"reference": strings.Repeat("x", 101)}), http.StatusUnprocessableEntity, "reference")

		// Expired: 410.
		if res := e.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "721h"}); res.Status != http.StatusOK {
			t.Fatalf("advance: %d %s", res.Status, res.Body)
		}
		wantCode(t, "redeem expired", e.Do("POST", "/api/v1/coupons/"+k2.Code+"/redeem", nil), http.StatusGone, "expired")

		res = e.Do("GET", "/api/v1/coupon-campaigns/"+camp.ID, nil)
		res.JSON(t, &camp)
		if res.Status != http.StatusOK || camp.Issued != 2 || camp.Redeemed != 1 {
			t.Fatalf("campaign: %d %s", res.Status, res.Body)
		}
		wantCode(t, "unknown campaign", e.Do("GET", "/api/v1/coupon-campaigns/cpn_nope", nil), http.StatusNotFound, "coupon_campaign_not_found")

		// The timeline shows the issue and the redemption.
		var timeline struct {
			Items []struct {
				Type string `json:"type"`
			} `json:"items"`
		}
		e.Do("GET", "/api/v1/customers/"+c.ID+"/timeline", nil).JSON(t, &timeline)
		var types []string
		for _, it := range timeline.Items {
			if strings.HasPrefix(it.Type, "coupon.") {
				types = append(types, it.Type)
			}
		}
		if strings.Join(types, ",") != "coupon.redeemed,coupon.issued" {
			t.Fatalf("timeline: %v", types)
		}
	})
}

// TestCouponIsolationAPI: shop A can neither see, issue from, nor redeem
// shop B's campaigns and codes (404), and B's code stays unredeemed.
func TestCouponIsolationAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		a := createCustomer(t, e, map[string]any{"external_id": "A1"})
		_, bKey := e.OtherShop("shop-b")
		res := e.DoKey(bKey, "POST", "/api/v1/customers", map[string]any{"external_id": "B1"})
		if res.Status != http.StatusCreated {
			t.Fatalf("B customer: %d %s", res.Status, res.Body)
		}
		bCustomer := res.Map(t)["id"].(string)
		var camp campaignBody
		e.DoKey(bKey, "POST", "/api/v1/coupon-campaigns", map[string]any{"name": "B", "discount_type": "amount",
			"discount_value": 300, "valid_days": 7}).JSON(t, &camp)
		var k couponBody
		res = e.DoKey(bKey, "POST", "/api/v1/coupon-campaigns/"+camp.ID+"/issue", map[string]any{"customer_id": bCustomer})
		res.JSON(t, &k)
		if res.Status != http.StatusCreated {
			t.Fatalf("B issue: %d %s", res.Status, res.Body)
		}
		wantCode(t, "A reads B's campaign", e.Do("GET", "/api/v1/coupon-campaigns/"+camp.ID, nil), http.StatusNotFound, "coupon_campaign_not_found")
		wantCode(t, "A issues from B's campaign", e.Do("POST", "/api/v1/coupon-campaigns/"+camp.ID+"/issue",
			map[string]any{"customer_id": a.ID}), http.StatusNotFound, "coupon_campaign_not_found")
		wantCode(t, "A reads B's code", e.Do("GET", "/api/v1/coupons/"+k.Code, nil), http.StatusNotFound, "coupon_not_found")
		wantCode(t, "A redeems B's code", e.Do("POST", "/api/v1/coupons/"+k.Code+"/redeem", nil), http.StatusNotFound, "coupon_not_found")
		// A's own campaign cannot issue to B's customer.
		var mine campaignBody
		e.Do("POST", "/api/v1/coupon-campaigns", map[string]any{"name": "A", "discount_type": "amount",
			"discount_value": 300, "valid_days": 7}).JSON(t, &mine)
		wantError(t, "A issues to B's customer", e.Do("POST", "/api/v1/coupon-campaigns/"+mine.ID+"/issue",
			map[string]any{"customer_id": bCustomer}), http.StatusUnprocessableEntity, "customer_id")
		var got couponBody
		e.DoKey(bKey, "GET", "/api/v1/coupons/"+k.Code, nil).JSON(t, &got)
		if got.RedeemedAt != nil {
			t.Fatalf("B's code was redeemed: %+v", got)
		}
		if res := e.DoKey(bKey, "POST", "/api/v1/coupons/"+k.Code+"/redeem", nil); res.Status != http.StatusOK {
			t.Fatalf("B redeems its code: %d %s", res.Status, res.Body)
		}
	})
}
