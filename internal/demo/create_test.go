package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
	"github.com/kizukai/kizukai/internal/token"
)

type testBundle struct {
	deps Deps
	clk  *clock.Simulated
	d    *db.DB
}

// setup wires the services as internal/app does, on d, with a simulated
// clock standing at planEnd.
func setup(t *testing.T, d *db.DB) testBundle {
	t.Helper()
	clk := clock.NewSimulated(planEnd)
	ev := &event.Recorder{}
	signer, err := token.NewSigner(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	cs := customer.NewService(d, clk, ev)
	return testBundle{d: d, clk: clk, deps: Deps{
		DB: d, Clock: clk, Events: ev, Products: product.NewService(d, clk),
		Orders:   order.NewService(d, clk, ev, cs, signer, "http://kizukai.test"),
		Policies: policy.NewService(d, clk),
	}}
}

// counts returns the number of rows of each table in the shop.
func counts(t *testing.T, d *db.DB, shopID string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"customers", "customer_tags", "consents", "products", "orders", "order_lines", "events", "staff_users",
		"survey_responses", "tickets", "ticket_entries"} {
		var n int
		if err := d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table+` WHERE shop_id = $1`, shopID).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func TestCreate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) { // Each runs the subtests in parallel
		b := setup(t, d)
		ctx := context.Background()
		// A smaller shop than the default keeps the test quick under -race
		// (cmd/kizukai tests the default one).
		const size = 120
		res, err := Create(ctx, b.deps, Options{Customers: size})
		if err != nil {
			t.Fatal(err)
		}
		if res.Existed || res.OwnerEmail != OwnerEmail || res.OwnerPassword == "" || !strings.HasPrefix(res.APIKey, shop.KeyPrefix) || res.SampleOrderID == "" {
			t.Fatalf("first create: %+v", res)
		}
		s := res.Shop
		if s.Slug != Slug || s.Name != ShopName || s.Timezone != "Asia/Tokyo" || s.ContactEmail != "demo@kizukai.example" || s.PostalAddress == "" {
			t.Fatalf("shop %+v", s)
		}
		if got, _, err := shop.Authenticate(ctx, d, res.APIKey); err != nil || got.ID != s.ID {
			t.Fatalf("the printed key does not open the demo shop: %v", err)
		}
		u, err := staff.ByEmail(ctx, d, s.ID, OwnerEmail)
		if err != nil || u.Role != staff.Owner {
			t.Fatalf("owner: %+v %v", u, err)
		}
		if ok, err := staff.CheckPassword(ctx, u.PasswordHash, res.OwnerPassword); !ok || err != nil {
			t.Fatalf("the printed password does not log in: %v", err)
		}
		before := counts(t, d, s.ID)
		if before["customers"] != res.Customers || before["orders"] != res.Orders || before["products"] != res.Products {
			t.Fatalf("stored %v, result %+v", before, res)
		}

		// Customers carry the times of the plan, not the time of the run.
		plan := NewPlan(DefaultSeed, s.CreatedAt, size)
		want := plan.Customers[0]
		var got customer.Customer
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			got, err = customer.NewService(d, b.clk, b.deps.Events).ByExternalIDTx(ctx, tx, s.ID, want.ExternalID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(want.SignupAt) || got.Name != want.Name {
			t.Fatalf("customer %s created %s, planned %s", got.ExternalID, got.CreatedAt, want.SignupAt)
		}
		withdrawn := map[string]bool{}
		for _, w := range want.Withdrawals {
			withdrawn[w.Channel] = true
			if c := got.Consents[w.Channel]; c.Granted || !c.At.Equal(w.At) || c.Source != w.Source {
				t.Errorf("withdrawn consent %s: %+v, planned %+v", w.Channel, c, w)
			}
		}
		for _, ch := range want.Granted {
			if c := got.Consents[ch]; withdrawn[ch] {
				continue
			} else if !c.Granted || c.Source != want.SignupSource || !c.At.Equal(want.SignupAt) {
				t.Errorf("consent %s: %+v", ch, c)
			}
		}

		// Freshness bands show a realistic spread.
		bands := map[string]int{}
		rows, err := d.QueryContext(ctx, `SELECT id FROM customers WHERE shop_id = $1`, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			f, err := customer.FreshnessOf(ctx, d, s.ID, id, b.clk.Now())
			if err != nil || f == nil {
				t.Fatalf("freshness of %s: %v", id, err)
			}
			bands[f.Band]++
		}
		t.Logf("freshness bands: %v", bands)
		for _, band := range customer.Bands {
			if bands[band] < len(ids)/20 {
				t.Errorf("freshness bands %v: want every band to hold some customers", bands)
				break
			}
		}

		// A second run changes nothing and shows no secrets.
		b.clk.Advance(time.Hour)
		again, err := Create(ctx, b.deps, Options{Customers: size})
		if err != nil || !again.Existed || again.APIKey != "" || again.OwnerPassword != "" || again.Shop.ID != s.ID {
			t.Fatalf("second create: %+v %v", again, err)
		}
		if after := counts(t, d, s.ID); !equal(after, before) {
			t.Fatalf("second run changed the data: %v → %v", before, after)
		}

		// A run that stopped half way (no completion mark) is completed
		// without writing anything twice, whatever options it is given now.
		if _, err := d.ExecContext(ctx, `DELETE FROM kv WHERE key = $1`, completeKey(s.ID)); err != nil {
			t.Fatal(err)
		}
		resumed, err := Create(ctx, b.deps, Options{Seed: 7, Customers: 10})
		if err != nil {
			t.Fatal(err)
		}
		if resumed.Existed || resumed.NewCustomers != 0 || resumed.OwnerPassword != "" || resumed.APIKey == "" {
			t.Fatalf("resumed: %+v", resumed)
		}
		if after := counts(t, d, s.ID); !equal(after, before) {
			t.Fatalf("the resumed run wrote twice: %v → %v", before, after)
		}
	})
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
