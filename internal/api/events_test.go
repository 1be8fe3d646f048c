package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

func eventCount(t *testing.T, e *apptest.Env) int {
	t.Helper()
	e.Settle() // journey work started by earlier orders records events too
	var n int
	if err := e.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM events WHERE shop_id = $1`, e.Shop.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEventAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		res := e.Do("POST", "/api/v1/orders", orderJSON("R-1")) // creates customer C1
		var o orderBody
		res.JSON(t, &o)
		body := map[string]any{"type": "app.coupon_viewed", "customer_external_id": "C1", "external_id": "ev-1",
			"occurred_at": "2026-11-23T09:00:00+09:00", "data": map[string]any{"coupon": "WELCOME"}}
		res = e.Do("POST", "/api/v1/events", body)
		var ev struct {
			ID         string         `json:"id"`
			CustomerID string         `json:"customer_id"`
			Data       map[string]any `json:"data"`
		}
		res.JSON(t, &ev)
		if res.Status != http.StatusCreated || ev.CustomerID != o.CustomerID || ev.Data["coupon"] != "WELCOME" {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		n := eventCount(t, e)
		res = e.Do("POST", "/api/v1/events", body)
		var again struct {
			ID string `json:"id"`
		}
		res.JSON(t, &again)
		if res.Status != http.StatusOK || again.ID != ev.ID || eventCount(t, e) != n {
			t.Fatalf("re-post: %d %s", res.Status, res.Body)
		}
		// By customer ID, without external_id, default time: recorded each time.
		if res := e.Do("POST", "/api/v1/events", map[string]any{"type": "app.visit", "customer_id": o.CustomerID}); res.Status != 201 {
			t.Fatalf("by id: %d %s", res.Status, res.Body)
		}
		// Shop-wide.
		if res := e.Do("POST", "/api/v1/events", map[string]any{"type": "app.sale_started"}); res.Status != 201 {
			t.Fatalf("shop-wide: %d %s", res.Status, res.Body)
		}

		before := storedState(t, e)
		for _, tt := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"malformed", `{"type":`, 400, ""},
			{"unknown field", map[string]any{"type": "app.x", "colour": 1}, 400, "colour"},
			{"missing type", map[string]any{"customer_id": o.CustomerID}, 422, "type"},
			{"bad type", map[string]any{"type": "Coupon Viewed"}, 422, "type"},
			{"reserved type", map[string]any{"type": "order.placed"}, 422, "type"},
			{"unknown customer", map[string]any{"type": "app.x", "customer_id": "cus_nope"}, 422, "customer_id"},
			{"unknown customer external id", map[string]any{"type": "app.x", "customer_external_id": "NOPE"}, 422, "customer_external_id"},
			{"both customers", map[string]any{"type": "app.x", "customer_id": o.CustomerID, "customer_external_id": "C1"}, 422, "customer_id"},
			{"bad occurred_at", map[string]any{"type": "app.x", "occurred_at": "now"}, 422, "occurred_at"},
			{"data not object", map[string]any{"type": "app.x", "data": []int{1}}, 422, "data"},
			{"data too big", map[string]any{"type": "app.x", "data": map[string]any{"x": strings.Repeat("a", 64<<10)}}, 422, "data"},
		} {
			wantProblem(t, tt.name, e.Do("POST", "/api/v1/events", tt.body), tt.status, tt.field)
			if after := storedState(t, e); after != before {
				t.Fatalf("%s changed the stored data", tt.name)
			}
		}
		// Another shop cannot attach events to this shop's customer.
		_, otherKey := e.OtherShop("other-shop")
		wantProblem(t, "other shop's customer", e.DoKey(otherKey, "POST", "/api/v1/events",
			map[string]any{"type": "app.x", "customer_id": o.CustomerID}), 422, "customer_id")
	})
}
