package admin_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/admin/stats"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/survey"
)

const statsDay = 24 * time.Hour

// TestCompute checks every figure against a shop whose numbers are known:
// five customers, six orders over 100 days, messages whose statuses the
// test sets, two survey answers.
func TestStatsCompute(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		ctx := context.Background()
		if r := ae.Do("PUT", "/api/v1/products/TEA", map[string]any{"name": "煎茶", "price": 1200}); r.Status/100 != 2 {
			t.Fatalf("product: %d %s", r.Status, r.Body)
		}
		orders := map[string]string{}
		order := func(ext, cust string, ago time.Duration) {
			r := ae.Do("POST", "/api/v1/orders", map[string]any{"external_id": ext, "ordered_at": apptest.Start.Add(-ago).Format(time.RFC3339),
				"customer": map[string]any{"external_id": cust, "name": cust}, "channel": "store",
				"lines": []any{map[string]any{"sku": "TEA", "quantity": 1, "unit_price": 1200}}, "total": 1200})
			if r.Status != http.StatusCreated {
				t.Fatalf("order %s: %d %s", ext, r.Status, r.Body)
			}
			orders[ext] = r.Map(t)["id"].(string)
		}
		order("A1", "A", 100*statsDay) // A: second order 20 days after the first
		order("A2", "A", 80*statsDay)
		order("B1", "B", 70*statsDay) // B: second order 50 days after the first
		order("B2", "B", 20*statsDay)
		order("C1", "C", 40*statsDay) // C: one order
		order("D1", "D", time.Hour)
		if r := ae.Do("POST", "/api/v1/customers", map[string]any{"external_id": "E", "name": "E"}); r.Status != http.StatusCreated {
			t.Fatalf("customer: %d %s", r.Status, r.Body)
		}
		ae.Settle()

		// The customers gave no consent, so the journeys' messages were
		// suppressed; mark some as gone out, one of them followed by an
		// opt-out.
		d := ae.App.DB
		var care, sales, total int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE shop_id = $1`, ae.Shop.ID).Scan(&total); err != nil || total == 0 {
			t.Fatalf("messages: %d %v", total, err)
		}
		var careID, careJourney string
		if err := d.QueryRowContext(ctx, `SELECT id, journey_id FROM messages WHERE shop_id = $1 AND purpose = 'care' ORDER BY id LIMIT 1`, ae.Shop.ID).
			Scan(&careID, &careJourney); err != nil {
			t.Fatalf("a care message: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE messages SET status = 'delivered', opted_out = TRUE WHERE shop_id = $1 AND id = $2`, ae.Shop.ID, careID); err != nil {
			t.Fatal(err)
		}
		care = 1
		if _, err := d.ExecContext(ctx, `INSERT INTO messages (shop_id, id, customer_id, channel, purpose, status, reason, journey_id, subject, body, dedupe_key, due_at, created_at, updated_at)
			SELECT shop_id, id || 'x', customer_id, channel, 'sales', 'sent', '', journey_id, subject, body, dedupe_key || 'x', due_at, $2, $2 FROM messages WHERE shop_id = $1 AND id = $3`,
			ae.Shop.ID, apptest.Start.Add(-time.Minute), careID); err != nil {
			t.Fatalf("a sales message: %v", err)
		}
		sales = 1
		total++

		for _, a := range []struct {
			order string
			csat  int
			nps   int
		}{{"B2", 5, 10}, {"C1", 2, 3}} {
			nps := a.nps
			if _, _, err := ae.App.Surveys.Submit(ctx, ae.Shop.ID, survey.PostPurchase, orders[a.order], survey.Answer{CSAT: a.csat, NPS: &nps}); err != nil {
				t.Fatalf("answer: %v", err)
			}
		}

		tokyo := ae.Shop.Location()
		s, err := stats.Compute(ctx, d, ae.App.Surveys, ae.Shop.ID, apptest.Start, tokyo)
		if err != nil {
			t.Fatal(err)
		}
		if s.Customers != 5 || s.Buyers != 4 || s.Repeaters != 2 {
			t.Errorf("customers %d buyers %d repeaters %d", s.Customers, s.Buyers, s.Repeaters)
		}
		if r := s.RepeatRate(); r == nil || *r != 0.5 {
			t.Errorf("repeat rate %v", r)
		}
		want := []stats.F2{{Days: 30, Eligible: 3, Converted: 1}, {Days: 60, Eligible: 2, Converted: 2}, {Days: 90, Eligible: 1, Converted: 1}}
		for i, w := range want {
			if s.F2[i] != w {
				t.Errorf("F2 %d: %+v, want %+v", w.Days, s.F2[i], w)
			}
		}
		bands := 0
		for _, n := range s.Bands {
			bands += n
		}
		if bands != 5 || s.Bands[""] != 1 {
			t.Errorf("bands %v", s.Bands)
		}

		// Twelve Monday weeks in Tokyo, the last the current one.
		if len(s.Weeks) != 12 || !s.Weeks[11].Start.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, tokyo)) ||
			!s.Weeks[0].Start.Equal(time.Date(2026, 9, 7, 0, 0, 0, 0, tokyo)) {
			t.Fatalf("weeks %d from %v", len(s.Weeks), s.Weeks[0].Start)
		}
		firsts, repeats := map[int]int{}, map[int]int{}
		for i, w := range s.Weeks {
			if w.FirstOrders > 0 {
				firsts[i] = w.FirstOrders
			}
			if w.RepeatOrders > 0 {
				repeats[i] = w.RepeatOrders
			}
		}
		// B1 09-14 (week 1), C1 10-14 (week 5), D1 11-23 (week 11); B2 11-03
		// (week 8). A's orders are older than the weeks.
		if len(firsts) != 3 || firsts[1] != 1 || firsts[5] != 1 || firsts[11] != 1 || len(repeats) != 1 || repeats[8] != 1 {
			t.Errorf("weekly orders: first %v repeat %v", firsts, repeats)
		}

		// Messages: every one counted once in the period; care share of
		// what went out.
		counted := 0
		for _, byStatus := range s.Messages {
			for _, n := range byStatus {
				counted += n
			}
		}
		if counted != total {
			t.Errorf("messages counted %d, stored %d", counted, total)
		}
		if r := s.CareShare(); r == nil || *r != float64(care)/float64(care+sales) {
			t.Errorf("care share %v", r)
		}
		if w := s.Weeks[11]; w.Sent["care"] != care || w.Sent["sales"] != sales {
			t.Errorf("this week's sent: %v", w.Sent)
		}
		found := false
		for _, j := range s.Journeys {
			if j.ID == careJourney {
				found = true
				if j.Sends != 2 || j.OptOuts != 1 { // the care message and the sales copy of it
					t.Errorf("journey %s: %d sends %d opt-outs", j.Name, j.Sends, j.OptOuts)
				}
			} else if j.Sends != 0 {
				t.Errorf("journey %s: %d sends", j.Name, j.Sends)
			}
		}
		if !found || len(s.Journeys) < 3 {
			t.Errorf("journeys %+v", s.Journeys)
		}

		if s.Survey.Responses != 2 || s.Survey.CSAT.Average == nil || *s.Survey.CSAT.Average != 3.5 || s.Survey.NPS.Score == nil || *s.Survey.NPS.Score != 0 {
			t.Errorf("survey %+v", s.Survey)
		}

		// The snapshot keeps the same figures; an older one never
		// replaces a newer one.
		if err := stats.Save(ctx, d, ae.Shop.ID, s); err != nil {
			t.Fatal(err)
		}
		old := s
		old.At, old.Customers = s.At.Add(-time.Hour), 1
		if err := stats.Save(ctx, d, ae.Shop.ID, old); err != nil {
			t.Fatal(err)
		}
		got, ok, err := stats.Stored(ctx, d, ae.Shop.ID)
		if err != nil || !ok || got.Customers != 5 || !got.At.Equal(s.At) || got.F2[2] != s.F2[2] || len(got.Weeks) != 12 {
			t.Errorf("stored: %v %v %+v", ok, err, got.F2)
		}
		if _, ok, _ := stats.Stored(ctx, d, "shop_other"); ok {
			t.Error("another shop has a snapshot")
		}
	})
}
