package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/policy"
)

// policyState is the shop's stored policy row ("" when none).
func policyState(t *testing.T, e *apptest.Env) string {
	t.Helper()
	rows, err := e.App.DB.QueryContext(context.Background(), `SELECT body, updated_at FROM policies WHERE shop_id = $1`, e.Shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var body, at string
		if err := rows.Scan(&body, &at); err != nil {
			t.Fatal(err)
		}
		b.WriteString(body + at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPolicyAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		var p policy.Policy
		res := e.Do("GET", "/api/v1/policy", nil)
		res.JSON(t, &p)
		if res.Status != http.StatusOK || p.MaxPerWeek != 3 || p.QuietStart != "21:00" || p.MaxSalesShare != 0.3333 ||
			strings.Join(p.ChannelOrder, ",") != "line,sms,email,postal" || p.TicketSLAHours != 24 {
			t.Fatalf("defaults: %d %s", res.Status, res.Body)
		}
		// PUT replaces the whole policy: absent fields take the defaults.
		res = e.Do("PUT", "/api/v1/policy", map[string]any{"max_per_week": 5, "quiet_start": "22:00", "channel_order": []string{"email", "line"}})
		res.JSON(t, &p)
		if res.Status != http.StatusOK || p.MaxPerWeek != 5 || p.QuietStart != "22:00" || p.QuietEnd != "09:00" || len(p.ChannelOrder) != 2 {
			t.Fatalf("put: %d %s", res.Status, res.Body)
		}
		res = e.Do("PUT", "/api/v1/policy", map[string]any{"quiet_end": "08:00"})
		res.JSON(t, &p)
		if res.Status != http.StatusOK || p.MaxPerWeek != 3 || p.QuietStart != "21:00" || p.QuietEnd != "08:00" || len(p.ChannelOrder) != 4 {
			t.Fatalf("second put did not reset absent fields: %d %s", res.Status, res.Body)
		}
		got, err := e.App.Policies.Get(context.Background(), e.App.DB, e.Shop.ID)
		if err != nil || got.QuietEnd != "08:00" {
			t.Fatalf("stored: %+v %v", got, err)
		}

		before := policyState(t, e)
		for _, tc := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"bad time", map[string]any{"quiet_start": "25:00"}, 422, "quiet_start"},
			{"zero share", map[string]any{"max_sales_share": 0}, 422, "max_sales_share"},
			{"share over 1", map[string]any{"max_sales_share": 1.5}, 422, "max_sales_share"},
			{"no weekly messages", map[string]any{"max_per_week": 0}, 422, "max_per_week"},
			{"duplicate channel", map[string]any{"channel_order": []string{"sms", "sms"}}, 422, "channel_order"},
			{"unknown channel", map[string]any{"channel_order": []string{"fax"}}, 422, "channel_order"},
			{"null channel order", map[string]any{"channel_order": nil}, 422, "channel_order"},
			{"urgent SLA over normal", map[string]any{"ticket_sla_hours": 2}, 422, "urgent_ticket_sla_hours"},
			{"wrong type", map[string]any{"max_per_week": "3"}, 400, "max_per_week"},
			{"fraction where integer", map[string]any{"max_per_week": 2.5}, 400, "max_per_week"},
			{"unknown field", map[string]any{"max_per_day": 1}, 400, "max_per_day"},
			{"malformed", `{"max_per_week":`, 400, ""},
			{"empty body", "", 400, ""},
			{"too large", `{"quiet_start":"` + strings.Repeat("x", 1<<20) + `"}`, 413, ""},
		} {
			wantError(t, tc.name, e.Do("PUT", "/api/v1/policy", tc.body), tc.status, tc.field)
		}
		if after := policyState(t, e); after != before {
			t.Errorf("rejected PUTs changed the policy:\n%s\n%s", before, after)
		}

		// Another shop has its own policy.
		_, key := e.OtherShop("policy-other")
		res = e.DoKey(key, "GET", "/api/v1/policy", nil)
		res.JSON(t, &p)
		if res.Status != http.StatusOK || p.QuietEnd != "09:00" {
			t.Fatalf("other shop: %d %s", res.Status, res.Body)
		}
	})
}

func TestNotificationsAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		ctx := context.Background()
		err := e.App.DB.InTx(ctx, func(tx *db.Tx) error {
			for _, title := range []string{"一つ目", "二つ目", "三つ目"} {
				if err := policy.Notify(ctx, tx, e.Shop.ID, policy.NotifyJourneyPaused, title, "オプトアウト率 3.2%", e.App.Clock.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []struct {
				ID     string  `json:"id"`
				Kind   string  `json:"kind"`
				Title  string  `json:"title"`
				ReadAt *string `json:"read_at"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		res := e.Do("GET", "/api/v1/notifications?limit=2", nil)
		res.JSON(t, &page)
		if res.Status != http.StatusOK || len(page.Items) != 2 || page.Items[0].Title != "三つ目" || page.Items[0].Kind != "journey.paused" || page.NextCursor == "" {
			t.Fatalf("page 1: %d %s", res.Status, res.Body)
		}
		res = e.Do("GET", "/api/v1/notifications?limit=2&cursor="+page.NextCursor, nil)
		page.NextCursor = ""
		res.JSON(t, &page)
		if res.Status != http.StatusOK || len(page.Items) != 1 || page.Items[0].Title != "一つ目" || page.NextCursor != "" {
			t.Fatalf("page 2: %d %s", res.Status, res.Body)
		}
		wantError(t, "bad limit", e.Do("GET", "/api/v1/notifications?limit=0", nil), 400, "limit")
		wantError(t, "bad cursor", e.Do("GET", "/api/v1/notifications?cursor=zz", nil), 400, "cursor")
		_, key := e.OtherShop("notify-other")
		res = e.DoKey(key, "GET", "/api/v1/notifications", nil)
		if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"items":[]}` {
			t.Fatalf("other shop: %d %s", res.Status, res.Body)
		}
	})
}
