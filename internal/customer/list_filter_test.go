package customer

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
)

// TestListConsentFilterAndCounts: the consent filter goes by the latest
// record of the channel, the counts by band follow every filter, and both
// stay inside the shop.
func TestListConsentFilterAndCounts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.storeFreshness()
		yes := func(src string) ConsentInput { return ConsentInput{Granted: ptr(true), Source: src} }
		no := func(src string) ConsentInput { return ConsentInput{Granted: ptr(false), Source: src} }
		granted := b.upsert(t, Input{ExternalID: "granted", Tags: &[]string{"vip"}, Consents: map[string]ConsentInput{"email": yes("pos")}})
		b.order(t, granted.ID, t0.Add(-Day), 100, nil)
		withdrawn := b.upsert(t, Input{ExternalID: "withdrawn", Consents: map[string]ConsentInput{"email": yes("pos")}})
		b.clk.Advance(Day)
		if _, err := b.svc.SetConsent(b.ctx, b.shopID, withdrawn.ID, "email", no("unsubscribe_link")); err != nil {
			t.Fatal(err)
		}
		b.order(t, withdrawn.ID, t0.Add(-200*Day), 100, nil)
		regranted := b.upsert(t, Input{ExternalID: "regranted", Tags: &[]string{"vip"}, Consents: map[string]ConsentInput{"email": no("pos")}})
		b.clk.Advance(Day)
		if _, err := b.svc.SetConsent(b.ctx, b.shopID, regranted.ID, "email", yes("web")); err != nil {
			t.Fatal(err)
		}
		b.upsert(t, Input{ExternalID: "nothing", Consents: map[string]ConsentInput{"sms": yes("pos")}})
		other := setup(t, d)
		other.upsert(t, Input{ExternalID: "granted", Consents: map[string]ConsentInput{"email": yes("pos")}})

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
			slices.Sort(out)
			return out
		}
		check := func(name string, got []string, want ...string) {
			t.Helper()
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
		check("email granted", list(ListParams{ConsentChannel: "email", ConsentState: ConsentGranted}), "granted", "regranted")
		check("email withdrawn", list(ListParams{ConsentChannel: "email", ConsentState: ConsentWithdrawn}), "withdrawn")
		check("email none", list(ListParams{ConsentChannel: "email", ConsentState: ConsentNone}), "nothing")
		check("sms granted", list(ListParams{ConsentChannel: "sms", ConsentState: ConsentGranted}), "nothing")
		check("line none", list(ListParams{ConsentChannel: "line", ConsentState: ConsentNone}), "granted", "withdrawn", "regranted", "nothing")
		check("with tag", list(ListParams{Tag: "vip", ConsentChannel: "email", ConsentState: ConsentGranted}), "granted", "regranted")
		check("with band", list(ListParams{Band: BandLost, ConsentChannel: "email", ConsentState: ConsentWithdrawn}), "withdrawn")
		check("with query", list(ListParams{Query: "GRANT", ConsentChannel: "email", ConsentState: ConsentGranted}), "granted", "regranted")

		count := func(p ListParams) map[string]int {
			t.Helper()
			p.ShopID = b.shopID
			n, err := b.svc.CountByBand(b.ctx, p)
			if err != nil {
				t.Fatalf("CountByBand(%+v): %v", p, err)
			}
			return n
		}
		for name, tt := range map[string]struct {
			p    ListParams
			want map[string]int
		}{
			"all":            {ListParams{}, map[string]int{BandFresh: 1, BandLost: 1, "": 2}},
			"band ignored":   {ListParams{Band: BandFresh}, map[string]int{BandFresh: 1, BandLost: 1, "": 2}},
			"tag":            {ListParams{Tag: "vip"}, map[string]int{BandFresh: 1, "": 1}},
			"email granted":  {ListParams{ConsentChannel: "email", ConsentState: ConsentGranted}, map[string]int{BandFresh: 1, "": 1}},
			"email none":     {ListParams{ConsentChannel: "email", ConsentState: ConsentNone}, map[string]int{"": 1}},
			"query":          {ListParams{Query: "withdrawn"}, map[string]int{BandLost: 1}},
			"query no match": {ListParams{Query: "zzz"}, map[string]int{}},
		} {
			if got := count(tt.p); !maps.Equal(got, tt.want) {
				t.Errorf("count %s: %v, want %v", name, got, tt.want)
			}
		}
		if err := b.svc.Erase(b.ctx, b.shopID, withdrawn.ID); err != nil {
			t.Fatal(err)
		}
		if got := count(ListParams{}); !maps.Equal(got, map[string]int{BandFresh: 1, "": 2}) {
			t.Errorf("count after erasure: %v", got)
		}

		for _, tt := range []struct {
			p     ListParams
			field string
		}{
			{ListParams{ConsentChannel: "fax", ConsentState: ConsentGranted}, "consent_channel"},
			{ListParams{ConsentChannel: "email", ConsentState: "maybe"}, "consent"},
			{ListParams{ConsentChannel: "email"}, "consent"},
			{ListParams{ConsentState: ConsentNone}, "consent_channel"},
			{ListParams{Query: strings.Repeat("あ", 201)}, "q"},
			{ListParams{Tag: "a\nb"}, "tag"},
		} {
			tt.p.ShopID = b.shopID
			if _, _, err := b.svc.List(b.ctx, tt.p); !hasField(err, tt.field) || !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("List(%+v): %v, want a problem with %s", tt.p, err, tt.field)
			}
			if _, err := b.svc.CountByBand(b.ctx, tt.p); !hasField(err, tt.field) {
				t.Errorf("CountByBand(%+v): %v, want a problem with %s", tt.p, err, tt.field)
			}
		}

		// The limit counts characters, not bytes.
		if _, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shopID, Query: strings.Repeat("あ", 200)}); err != nil {
			t.Errorf("200 characters: %v", err)
		}

		hist, err := b.svc.ConsentHistory(b.ctx, b.shopID, regranted.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Granted || !hist[1].Granted || hist[1].Source != "web" {
			t.Errorf("history: %+v", hist)
		}
		if _, err := other.svc.ConsentHistory(b.ctx, other.shopID, regranted.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("another shop's history: %v", err)
		}
	})
}

// TestNames: one read maps live customers of the shop to their names;
// erased ones, unknown IDs and other shops' customers are absent.
func TestNames(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		hanako := b.upsert(t, Input{ExternalID: "hanako", Name: ptr("山田 花子")})
		gone := b.upsert(t, Input{ExternalID: "gone", Name: ptr("消える人")})
		if err := b.svc.Erase(b.ctx, b.shopID, gone.ID); err != nil {
			t.Fatal(err)
		}
		other := setup(t, d)
		stranger := other.upsert(t, Input{ExternalID: "hanako", Name: ptr("他店の人")})
		got, err := b.svc.Names(b.ctx, b.shopID, []string{hanako.ID, gone.ID, stranger.ID, "cus_unknown"})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{hanako.ID: "山田 花子"}; !maps.Equal(got, want) {
			t.Fatalf("Names = %v, want %v", got, want)
		}
	})
}
