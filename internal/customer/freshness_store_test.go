package customer

import (
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/event"
)

// storedRow is a customer's stored freshness as the tests read it.
type storedRow struct {
	latest   *time.Time
	interval time.Duration
	rule     int
	band     string
	since    *time.Time
	next     *time.Time
}

func (b *testBundle) stored(t *testing.T, customerID string) storedRow {
	t.Helper()
	var r storedRow
	var latest, since, next sql.NullTime
	var secs sql.NullFloat64
	var rule sql.NullInt64
	var band sql.NullString
	err := b.d.QueryRowContext(b.ctx, `SELECT latest_order_at, expected_interval_seconds, freshness_rule, freshness_band,
		band_since, next_band_at FROM customer_freshness WHERE shop_id = $1 AND customer_id = $2`, b.shopID, customerID).
		Scan(&latest, &secs, &rule, &band, &since, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return r // nothing stored
	}
	if err != nil {
		t.Fatalf("stored freshness of %s: %v", customerID, err)
	}
	opt := func(n sql.NullTime) *time.Time {
		if !n.Valid {
			return nil
		}
		v := n.Time.UTC()
		return &v
	}
	r.latest, r.since, r.next = opt(latest), opt(since), opt(next)
	r.interval, r.rule, r.band = fromSeconds(secs.Float64), int(rule.Int64), band.String
	return r
}

// bandEvent is one recorded freshness.band_entered.
type bandEntry struct {
	band, previous string
	at             time.Time
}

func (b *testBundle) bandEvents(t *testing.T, customerID string) []bandEntry {
	t.Helper()
	es, err := event.List(b.ctx, b.d, event.ListParams{ShopID: b.shopID, CustomerID: customerID, Types: []string{BandEntered}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]bandEntry, len(es))
	for i, e := range es {
		var d struct {
			Band     string  `json:"band"`
			Previous *string `json:"previous"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		out[len(es)-1-i] = bandEntry{band: d.Band, at: e.OccurredAt.UTC()}
		if d.Previous != nil {
			out[len(es)-1-i].previous = *d.Previous
		}
	}
	return out
}

func (b *testBundle) refresh(t *testing.T, now time.Time, ids ...string) {
	t.Helper()
	err := b.d.InTx(b.ctx, func(tx *db.Tx) error { return b.svc.RefreshFreshnessTx(b.ctx, tx, b.shopID, ids, now) })
	if err != nil {
		t.Fatalf("RefreshFreshnessTx: %v", err)
	}
}

func at(d time.Duration) *time.Time { v := t0.Add(d); return &v }

func TestRefreshFreshnessTx(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ago := func(n int) time.Time { return t0.Add(-time.Duration(n) * Day) }
		own := b.upsert(t, Input{ExternalID: "own"}) // rule 1: gaps 10 and 30 → 20 days
		for _, n := range []int{70, 60, 30} {
			b.order(t, own.ID, ago(n), 100, nil)
		}
		cons := b.upsert(t, Input{ExternalID: "cons"}) // rule 2: one gap, latest order's smallest consumption 10 days
		b.order(t, cons.ID, ago(40), 100, nil)
		b.order(t, cons.ID, ago(20), 100, map[string]*int{"tea": days(20), "coffee": days(10), "durable": nil})
		shop := b.upsert(t, Input{ExternalID: "shop"}) // rule 3: shop gaps 10, 30, 20 → 20 days
		b.order(t, shop.ID, ago(5), 100, map[string]*int{"durable": nil})
		none := b.upsert(t, Input{ExternalID: "none"})
		erased := b.upsert(t, Input{ExternalID: "erased"})
		b.order(t, erased.ID, ago(1), 100, nil)
		if _, err := d.ExecContext(b.ctx, `UPDATE customers SET erased_at = $1 WHERE id = $2`, t0, erased.ID); err != nil {
			t.Fatal(err)
		}
		other := setup(t, d) // rule 4: a shop without gaps → 30 days
		def := other.upsert(t, Input{ExternalID: "def"})
		other.order(t, def.ID, ago(45), 100, nil)

		b.refresh(t, t0, own.ID, cons.ID, shop.ID, none.ID, erased.ID, def.ID, "cus_unknown", own.ID)
		other.refresh(t, t0, def.ID)

		tests := []struct {
			name string
			b    *testBundle
			id   string
			want storedRow
		}{
			{"own gaps", b, own.ID, storedRow{at(-30 * Day), 20 * Day, ruleOwnGaps, BandCooling,
				at(-10*Day + time.Microsecond), at(10*Day + time.Microsecond)}},
			{"consumption, r = 2 exactly is cooling", b, cons.ID, storedRow{at(-20 * Day), 10 * Day, ruleConsumption, BandCooling,
				at(-10*Day + time.Microsecond), at(time.Microsecond)}},
			{"shop median gap", b, shop.ID, storedRow{at(-5 * Day), 20 * Day, ruleShopGap, BandFresh,
				at(-5 * Day), at(15*Day + time.Microsecond)}},
			{"no orders", b, none.ID, storedRow{}},
			{"erased: untouched", b, erased.ID, storedRow{}},
			{"default 30 days", other, def.ID, storedRow{at(-45 * Day), 30 * Day, ruleDefault, BandCooling,
				at(-15*Day + time.Microsecond), at(15*Day + time.Microsecond)}},
		}
		for _, tt := range tests {
			got := tt.b.stored(t, tt.id)
			if !sameRow(got, tt.want) {
				t.Errorf("%s: stored %s, want %s", tt.name, got, tt.want)
			}
			// What is shown is computed from the stored inputs and agrees
			// with the computation from the orders.
			c, err := tt.b.svc.ByID(b.ctx, tt.b.shopID, tt.id)
			if tt.id == erased.ID {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			live, err := FreshnessOf(b.ctx, d, tt.b.shopID, tt.id, t0)
			if err != nil {
				t.Fatal(err)
			}
			if (c.Freshness == nil) != (live == nil) || (live != nil && (c.Freshness.Score != live.Score ||
				c.Freshness.Band != live.Band || !c.Freshness.ExpectedNextOrderAt.Equal(live.ExpectedNextOrderAt))) {
				t.Errorf("%s: shown %+v, computed from orders %+v", tt.name, c.Freshness, live)
			}
		}

		// One entry each, at the band's first instant, no previous band.
		wantEvents(t, b, own.ID, bandEntry{BandCooling, "", t0.Add(-10*Day + time.Microsecond)})
		wantEvents(t, b, shop.ID, bandEntry{BandFresh, "", t0.Add(-5 * Day)})
		wantEvents(t, b, none.ID)
		wantEvents(t, b, erased.ID)

		// No band change, no event.
		b.refresh(t, t0.Add(time.Hour), own.ID, cons.ID, shop.ID)
		wantEvents(t, b, own.ID, bandEntry{BandCooling, "", t0.Add(-10*Day + time.Microsecond)})
		wantEvents(t, b, shop.ID, bandEntry{BandFresh, "", t0.Add(-5 * Day)})

		// A new order makes them fresh again: one entry, from cooling; the
		// subscriber does it as the order is recorded. A second order keeps
		// them fresh since the first.
		b.storeFreshness()
		b.clk.Advance(4 * time.Hour)
		b.order(t, own.ID, t0.Add(2*time.Hour), 100, nil)
		b.order(t, own.ID, t0.Add(3*time.Hour), 100, nil)
		wantEvents(t, b, own.ID, bandEntry{BandCooling, "", t0.Add(-10*Day + time.Microsecond)},
			bandEntry{BandFresh, BandCooling, t0.Add(2 * time.Hour)})
		if got := b.stored(t, own.ID); got.band != BandFresh || !got.since.Equal(t0.Add(2*time.Hour)) || !got.latest.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("after new orders: %s", got)
		}
		// The first order of a customer: no band → fresh.
		b.order(t, none.ID, t0.Add(time.Hour), 100, nil)
		wantEvents(t, b, none.ID, bandEntry{BandFresh, "", t0.Add(time.Hour)})
	})
}

func wantEvents(t *testing.T, b *testBundle, customerID string, want ...bandEntry) {
	t.Helper()
	got := b.bandEvents(t, customerID)
	if len(got) != len(want) {
		t.Errorf("band events of %s: %+v, want %+v", customerID, got, want)
		return
	}
	for i := range got {
		if got[i].band != want[i].band || got[i].previous != want[i].previous || !got[i].at.Equal(want[i].at) {
			t.Errorf("band events of %s: %+v, want %+v", customerID, got, want)
			return
		}
	}
}

func sameRow(a, b storedRow) bool {
	eq := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	return eq(a.latest, b.latest) && eq(a.since, b.since) && eq(a.next, b.next) &&
		a.interval == b.interval && a.rule == b.rule && a.band == b.band
}

func (r storedRow) String() string {
	f := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return t.Format(time.RFC3339Nano)
	}
	return "{latest " + f(r.latest) + " interval " + r.interval.String() + " rule " + itoa(r.rule) + " band " + r.band +
		" since " + f(r.since) + " next " + f(r.next) + "}"
}

func TestRecomputeAllFreshness(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ago := func(n int) time.Time { return t0.Add(-time.Duration(n) * Day) }
		var ids []string
		for i, orders := range [][]int{{70, 60, 30}, {40, 20}, {5}, {}, {410, 310, 260, 210}} {
			c := b.upsert(t, Input{ExternalID: "c" + itoa(i)})
			ids = append(ids, c.ID)
			for _, n := range orders {
				b.order(t, c.ID, ago(n), 100, map[string]*int{"tea": days(10)})
			}
		}
		// Nothing stored yet: the backfill finds the shop.
		n, err := b.svc.BackfillFreshness(b.ctx)
		if err != nil || n != 4 {
			t.Fatalf("BackfillFreshness = %d, %v; want 4", n, err)
		}
		if n, err := b.svc.BackfillFreshness(b.ctx); err != nil || n != 0 {
			t.Fatalf("second BackfillFreshness = %d, %v; want 0", n, err)
		}
		backfilled := map[string]storedRow{}
		for _, id := range ids {
			backfilled[id] = b.stored(t, id)
		}
		if backfilled[ids[4]].band != BandLost || backfilled[ids[4]].next != nil {
			t.Errorf("lost customer: %s", backfilled[ids[4]])
		}
		// The same as the per-customer refresh of the order subscriber.
		if _, err := d.ExecContext(b.ctx, `UPDATE customer_freshness SET freshness_band = NULL, latest_order_at = NULL`); err != nil {
			t.Fatal(err)
		}
		b.refresh(t, t0, ids...)
		for _, id := range ids {
			if got := b.stored(t, id); !sameRow(got, backfilled[id]) {
				t.Errorf("%s: refreshed %s, backfilled %s", id, got, backfilled[id])
			}
		}
		if n, err := b.svc.RecomputeAllFreshness(b.ctx, b.shopID); err != nil || n != 4 {
			t.Fatalf("RecomputeAllFreshness = %d, %v", n, err)
		}
		wantEvents(t, b, ids[0], bandEntry{BandCooling, "", t0.Add(-10*Day + time.Microsecond)}) // from the refresh only
	})
}
