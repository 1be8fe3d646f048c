package customer

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
)

func TestUpsert(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c, created, err := b.svc.Upsert(b.ctx, b.shopID, Input{ExternalID: "c1", Name: ptr("山田 花子"), Phone: ptr("090-1234-5678"),
			Email: ptr("Hanako@Example.JP"), Tags: &[]string{"vip", "tea"}, Attributes: map[string]any{"rank": "gold"}})
		if err != nil || !created {
			t.Fatalf("create: %v created=%v", err, created)
		}
		mustEqual(t, "phone", c.Phone, "+819012345678")
		mustEqual(t, "email", c.Email, "Hanako@example.jp")
		mustEqual(t, "locale", c.Locale, "ja")
		mustEqual(t, "tags", strings.Join(c.Tags, ","), "tea,vip")
		mustEqual(t, "rank", c.Attributes["rank"], any("gold"))
		if c.Freshness != nil || len(c.Consents) != 0 {
			t.Errorf("freshness %v consents %v, want none", c.Freshness, c.Consents)
		}

		// Absent fields keep their value; given ones change; tags replace.
		b.clk.Advance(Day)
		u, created, err := b.svc.Upsert(b.ctx, b.shopID, Input{ExternalID: "c1", Email: ptr(""), Tags: &[]string{"new"}, Locale: ptr("en")})
		if err != nil || created {
			t.Fatalf("update: %v created=%v", err, created)
		}
		mustEqual(t, "id", u.ID, c.ID)
		mustEqual(t, "name kept", u.Name, "山田 花子")
		mustEqual(t, "phone kept", u.Phone, "+819012345678")
		mustEqual(t, "email cleared", u.Email, "")
		mustEqual(t, "locale", u.Locale, "en")
		mustEqual(t, "tags", strings.Join(u.Tags, ","), "new")
		mustEqual(t, "attributes kept", u.Attributes["rank"], any("gold"))
		mustEqual(t, "created_at", u.CreatedAt, c.CreatedAt)
		mustEqual(t, "updated_at", u.UpdatedAt, t0.Add(Day))

		// Invalid input changes nothing.
		if _, _, err := b.svc.Upsert(b.ctx, b.shopID, Input{ExternalID: "c1", Name: ptr("x"), Phone: ptr("123")}); !hasField(err, "phone") {
			t.Fatalf("bad phone: %v", err)
		}
		again, err := b.svc.ByID(b.ctx, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "name after rejected upsert", again.Name, "山田 花子")

		// Another shop's external_id space is its own.
		other := setup(t, d)
		oc := other.upsert(t, Input{ExternalID: "c1"})
		if oc.ID == c.ID {
			t.Fatal("two shops share a customer")
		}
		if _, err := b.svc.ByID(b.ctx, b.shopID, oc.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("other shop's customer: %v", err)
		}
		got, err := b.svc.ByExternalIDTx(b.ctx, d, b.shopID, "c1")
		if err != nil || got.ID != c.ID {
			t.Fatalf("ByExternalIDTx: %v %v", got.ID, err)
		}
	})
}

func TestUpsertConcurrent(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		const n = 20
		var wg sync.WaitGroup
		ids := make([]string, n)
		created := make([]bool, n)
		errsOut := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, cr, err := b.svc.Upsert(b.ctx, b.shopID, Input{ExternalID: "same", Name: ptr("n"),
					Tags: &[]string{"a", "b"}, Consents: map[string]ConsentInput{"email": {Granted: ptr(true), Source: "pos"}}})
				ids[i], created[i], errsOut[i] = c.ID, cr, err
			}()
		}
		wg.Wait()
		nCreated := 0
		for i := range n {
			if errsOut[i] != nil {
				t.Fatalf("upsert %d: %v", i, errsOut[i])
			}
			if ids[i] != ids[0] {
				t.Fatalf("two customers: %s and %s", ids[0], ids[i])
			}
			if created[i] {
				nCreated++
			}
		}
		mustEqual(t, "created count", nCreated, 1)
		var rows int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM customers WHERE shop_id = $1`, b.shopID).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "rows", rows, 1)
	})
}

func TestConsents(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.upsert(t, Input{ExternalID: "c", Consents: map[string]ConsentInput{
			"email": {Granted: ptr(true), Source: "pos_form", Text: "メールでお知らせを受け取る"}}})
		mustEqual(t, "email granted", c.Consents["email"], Consent{Granted: true, At: t0, Source: "pos_form"})
		if _, ok := c.Consents["sms"]; ok {
			t.Error("sms shown without history")
		}
		b.clk.Advance(Day)
		if _, err := b.svc.SetConsent(b.ctx, b.shopID, c.ID, "email", ConsentInput{Granted: ptr(true), Source: "web"}); err != nil {
			t.Fatal(err)
		}
		b.clk.Advance(Day)
		got, err := b.svc.SetConsent(b.ctx, b.shopID, c.ID, "email", ConsentInput{Granted: ptr(false), Source: "unsubscribe_link"})
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "email withdrawn", got.Consents["email"], Consent{Granted: false, At: t0.Add(2 * Day), Source: "unsubscribe_link"})

		cur, err := b.svc.ConsentsTx(b.ctx, d, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "ConsentsTx", cur["email"].Granted, false)
		x, err := b.svc.Export(b.ctx, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "history rows", len(x.ConsentHistory), 3)
		mustEqual(t, "first text", x.ConsentHistory[0].Text, "メールでお知らせを受け取る")
		// Events only for changes: granted, then withdrawn (the repeat is history only).
		evs, err := event.List(b.ctx, d, event.ListParams{ShopID: b.shopID, CustomerID: c.ID, Types: []string{event.ConsentChanged}})
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "consent events", len(evs), 2)

		for _, tc := range []struct {
			channel string
			in      ConsentInput
			field   string
		}{
			{"fax", ConsentInput{Granted: ptr(true), Source: "x"}, "channel"},
			{"sms", ConsentInput{Source: "x"}, "granted"},
			{"sms", ConsentInput{Granted: ptr(true)}, "source"},
			{"sms", ConsentInput{Granted: ptr(true), Source: strings.Repeat("s", 101)}, "source"},
		} {
			if _, err := b.svc.SetConsent(b.ctx, b.shopID, c.ID, tc.channel, tc.in); !hasField(err, tc.field) {
				t.Errorf("SetConsent(%s, %+v) = %v, want problem with %s", tc.channel, tc.in, err, tc.field)
			}
		}
		other := setup(t, d)
		if _, err := other.svc.SetConsent(b.ctx, other.shopID, c.ID, "sms", ConsentInput{Granted: ptr(true), Source: "x"}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("other shop: %v", err)
		}
	})
}

func TestList(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.storeFreshness() // the band filter reads the stored band
		b.upsert(t, Input{ExternalID: "a-1", Name: ptr("Taro Yamada"), Tags: &[]string{"vip"}})
		b.upsert(t, Input{ExternalID: "b_2", Name: ptr("100% 花子"), Email: ptr("hanako@example.jp")})
		b.upsert(t, Input{ExternalID: "c-3", Phone: ptr("090-1234-5678"), Tags: &[]string{"vip", "tea"}})
		fresh := b.upsert(t, Input{ExternalID: "d-4"})
		b.order(t, fresh.ID, t0.Add(-Day), 100, nil)
		lost := b.upsert(t, Input{ExternalID: "e-5"})
		b.order(t, lost.ID, t0.Add(-200*Day), 100, nil)
		other := setup(t, d)
		other.upsert(t, Input{ExternalID: "a-1", Name: ptr("Taro")})

		list := func(p ListParams) []string {
			t.Helper()
			p.ShopID = b.shopID
			cs, _, err := b.svc.List(b.ctx, p)
			if err != nil {
				t.Fatalf("List(%+v): %v", p, err)
			}
			var out []string
			for _, c := range cs {
				out = append(out, c.ExternalID)
			}
			return out
		}
		check := func(name string, got []string, want ...string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
		check("all", list(ListParams{}), "a-1", "b_2", "c-3", "d-4", "e-5")
		check("external_id", list(ListParams{ExternalID: "c-3"}), "c-3")
		check("q name, case-insensitive", list(ListParams{Query: "yamada"}), "a-1")
		check("q percent is literal", list(ListParams{Query: "100%"}), "b_2")
		check("q underscore is literal", list(ListParams{Query: "b_"}), "b_2")
		check("q underscore matches no other char", list(ListParams{Query: "a_1"}))
		check("q email", list(ListParams{Query: "EXAMPLE.jp"}), "b_2")
		check("q phone as written", list(ListParams{Query: "090-1234-5678"}), "c-3")
		check("q phone digits", list(ListParams{Query: "9012345"}), "c-3")
		check("tag", list(ListParams{Tag: "vip"}), "a-1", "c-3")
		check("band fresh", list(ListParams{Band: BandFresh}), "d-4")
		check("band lost", list(ListParams{Band: BandLost}), "e-5")
		if _, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shopID, Band: "warm"}); !hasField(err, "band") {
			t.Errorf("bad band: %v", err)
		}

		// Keyset pages of two.
		var all []string
		after := ""
		for range 10 {
			cs, more, err := b.svc.List(b.ctx, ListParams{ShopID: b.shopID, AfterID: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				all = append(all, c.ExternalID)
			}
			if !more {
				break
			}
			after = cs[len(cs)-1].ID
		}
		check("pages", all, "a-1", "b_2", "c-3", "d-4", "e-5")
		cs, _, _ := b.svc.List(b.ctx, ListParams{ShopID: b.shopID, ExternalID: "d-4"})
		if len(cs) != 1 || cs[0].Freshness == nil || cs[0].Freshness.Band != BandFresh {
			t.Errorf("list item freshness: %+v", cs)
		}
	})
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.upsert(t, Input{ExternalID: "c", Name: ptr("A"), Tags: &[]string{"x"}})
		u, err := b.svc.Update(b.ctx, b.shopID, c.ID, Input{Name: ptr("B")})
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "name", u.Name, "B")
		mustEqual(t, "tags kept", strings.Join(u.Tags, ","), "x")
		if _, err := b.svc.Update(b.ctx, b.shopID, c.ID, Input{ExternalID: "c"}); err != nil {
			t.Errorf("same external_id: %v", err)
		}
		if _, err := b.svc.Update(b.ctx, b.shopID, c.ID, Input{ExternalID: "other", Name: ptr("C")}); !hasField(err, "external_id") {
			t.Errorf("changed external_id: %v", err)
		}
		if _, err := b.svc.Update(b.ctx, b.shopID, "cus_nope", Input{Name: ptr("C")}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}
		got, _ := b.svc.ByID(b.ctx, b.shopID, c.ID)
		mustEqual(t, "name after rejected updates", got.Name, "B")
	})
}
