package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

// TestListByBandAPI reads GET /customers?band= through the API: the stored
// band, scoped to the shop.
func TestListByBandAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		order := func(ext, customer string, at time.Time) {
			t.Helper()
			res := e.Do("POST", "/api/v1/orders", map[string]any{
				"external_id": ext,
				"customer":    map[string]any{"external_id": customer, "name": customer},
				"ordered_at":  at.Format(time.RFC3339),
				"channel":     "store",
				"lines":       []any{map[string]any{"sku": "BAG", "quantity": 1, "unit_price": 500}},
				"total":       500,
			})
			if res.Status != 201 {
				t.Fatalf("order %s: %d %s", ext, res.Status, res.Body)
			}
		}
		order("o1", "recent", apptest.Start.Add(-time.Hour))
		order("o2", "old", apptest.Start.Add(-100*24*time.Hour)) // 30-day default: r = 3.3, stale
		e.Do("POST", "/api/v1/customers", map[string]any{"external_id": "none"})
		// Until the order.placed subscriber is wired the freshness is stored
		// by the start-up backfill; with it wired the backfill finds nothing.
		if _, err := e.App.Customers.BackfillFreshness(context.Background()); err != nil {
			t.Fatal(err)
		}
		list := func(key, query string) []string {
			t.Helper()
			res := e.DoKey(key, "GET", "/api/v1/customers"+query, nil)
			var p struct {
				Items []struct {
					ExternalID string `json:"external_id"`
					Freshness  *struct {
						Band string `json:"band"`
					} `json:"freshness"`
				} `json:"items"`
			}
			res.JSON(t, &p)
			if res.Status != 200 {
				t.Fatalf("GET %s: %d %s", query, res.Status, res.Body)
			}
			var out []string
			for _, c := range p.Items {
				if c.Freshness == nil || "?band="+c.Freshness.Band != query {
					t.Errorf("GET %s: item %s shows %+v", query, c.ExternalID, c.Freshness)
				}
				out = append(out, c.ExternalID)
			}
			return out
		}
		check := func(query string, want ...string) {
			t.Helper()
			got := list(e.Key, query)
			if len(got) != len(want) || (len(got) > 0 && got[0] != want[0]) {
				t.Errorf("GET %s: %v, want %v", query, got, want)
			}
		}
		check("?band=fresh", "recent")
		check("?band=stale", "old")
		check("?band=cooling")
		check("?band=lost")
		_, otherKey := e.OtherShop("other-shop")
		if got := list(otherKey, "?band=fresh"); len(got) != 0 {
			t.Errorf("other shop sees %v", got)
		}
		if res := e.Do("GET", "/api/v1/customers?band=warm", nil); res.Status != 422 {
			t.Errorf("band=warm: %d", res.Status)
		}
	})
}
