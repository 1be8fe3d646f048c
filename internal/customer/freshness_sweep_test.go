package customer

import (
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
)

// runner returns a job runner on the bundle's simulated clock with the
// sweep registered and ensured.
func (b *testBundle) runner(t *testing.T) *jobs.Runner {
	t.Helper()
	r := jobs.NewRunner(b.d, b.clk, jobs.RunnerOptions{NodeID: "test"})
	r.Register(b.svc.Workers()...)
	b.svc.UseQueue(r.Queue())
	if err := b.svc.EnsureSweep(b.ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

func (b *testBundle) advance(t *testing.T, r *jobs.Runner, to time.Time) {
	t.Helper()
	if err := r.AdvanceTo(b.ctx, b.clk, to); err != nil {
		t.Fatalf("advance to %s: %v", to, err)
	}
}

func (b *testBundle) bandList(t *testing.T, band string) []string {
	t.Helper()
	cs, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shopID, Band: band})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.ExternalID)
	}
	return out
}

func TestSweep(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.storeFreshness()
		r := b.runner(t)
		// Interval 10 days: cooling from 10 days + 1 µs, stale from 20, lost from 40.
		c := b.upsert(t, Input{ExternalID: "c"})
		b.order(t, c.ID, t0, 100, map[string]*int{"lotion": days(10)})
		steady := b.upsert(t, Input{ExternalID: "steady"}) // orders every 10 days: stays fresh
		b.order(t, steady.ID, t0, 100, map[string]*int{"lotion": days(10)})
		fresh := []bandEntry{{BandFresh, "", t0}}
		wantEvents(t, b, c.ID, fresh...)

		cooling := bandEntry{BandCooling, BandFresh, t0.Add(10*Day + time.Microsecond)}
		stale := bandEntry{BandStale, BandCooling, t0.Add(20*Day + time.Microsecond)}
		lost := bandEntry{BandLost, BandStale, t0.Add(40*Day + time.Microsecond)}

		// r = 1 exactly is still fresh (SPEC §6: fresh is r ≤ 1).
		b.advance(t, r, t0.Add(10*Day))
		wantEvents(t, b, c.ID, fresh...)
		if got := b.bandList(t, BandFresh); len(got) != 2 {
			t.Errorf("fresh at r = 1: %v", got)
		}
		b.order(t, steady.ID, b.clk.Now(), 100, map[string]*int{"lotion": days(10)})
		b.advance(t, r, cooling.at)
		wantEvents(t, b, c.ID, fresh[0], cooling)
		if got := b.bandList(t, BandCooling); len(got) != 1 || got[0] != "c" {
			t.Errorf("cooling list: %v", got)
		}

		b.advance(t, r, t0.Add(60*Day))
		wantEvents(t, b, c.ID, fresh[0], cooling, stale, lost)
		if got := b.stored(t, c.ID); got.band != BandLost || got.next != nil || !got.since.Equal(lost.at) {
			t.Errorf("stored after 60 days: %s", got)
		}
		if got := b.bandList(t, BandLost); len(got) != 2 || got[0] != "c" {
			t.Errorf("lost list: %v", got)
		}
		// steady, which ordered again at 10 days, moves 10 days later.
		if got := b.bandEvents(t, steady.ID); len(got) != 4 || !got[3].at.Equal(t0.Add(50*Day+time.Microsecond)) {
			t.Errorf("steady: %+v", got)
		}

		// An order brings them back, once; the sweep then moves them again.
		b.order(t, c.ID, b.clk.Now(), 100, map[string]*int{"lotion": days(10)})
		back := bandEntry{BandFresh, BandLost, t0.Add(60 * Day)}
		b.advance(t, r, t0.Add(70*Day))
		wantEvents(t, b, c.ID, fresh[0], cooling, stale, lost, back)
		b.advance(t, r, t0.Add(70*Day+time.Microsecond))
		wantEvents(t, b, c.ID, fresh[0], cooling, stale, lost, back, bandEntry{BandCooling, BandFresh, t0.Add(70*Day + time.Microsecond)})
	})
}

func TestSweepLateAndErased(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.storeFreshness()
		c := b.upsert(t, Input{ExternalID: "c"})
		b.order(t, c.ID, t0, 100, map[string]*int{"lotion": days(10)})
		gone := b.upsert(t, Input{ExternalID: "gone"})
		b.order(t, gone.ID, t0, 100, map[string]*int{"lotion": days(10)})
		if _, err := d.ExecContext(b.ctx, `UPDATE customers SET erased_at = $1 WHERE id = $2`, t0, gone.ID); err != nil {
			t.Fatal(err)
		}
		// No sweep ran for 30 days (the process was down): one run records
		// each band passed, at its own instant.
		b.clk.Advance(30 * Day)
		r := b.runner(t)
		b.advance(t, r, b.clk.Now())
		wantEvents(t, b, c.ID, bandEntry{BandFresh, "", t0}, bandEntry{BandCooling, BandFresh, t0.Add(10*Day + time.Microsecond)},
			bandEntry{BandStale, BandCooling, t0.Add(20*Day + time.Microsecond)})
		wantEvents(t, b, gone.ID, bandEntry{BandFresh, "", t0})
		if got := b.stored(t, gone.ID); got.next != nil || got.band != "" {
			t.Errorf("erased customer keeps freshness: %s", got)
		}
	})
}

func TestSweepPicksUpShopGapDrift(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.storeFreshness()
		r := b.runner(t)
		ago := func(n int) time.Time { return t0.Add(-time.Duration(n) * Day) }
		one := b.upsert(t, Input{ExternalID: "one"}) // a single durable order: the shop's gap, else 30 days
		b.order(t, one.ID, ago(15), 100, map[string]*int{"durable": nil})
		if got := b.stored(t, one.ID); got.rule != ruleDefault || got.band != BandFresh {
			t.Fatalf("before any gap: %s", got)
		}
		// Another customer's orders 10 days apart make the shop's gap 10 days;
		// within the hour the sweep picks it up and one is cooling.
		two := b.upsert(t, Input{ExternalID: "two"})
		for _, n := range []int{30, 20, 10} {
			b.order(t, two.ID, ago(n), 100, map[string]*int{"durable": nil})
		}
		b.advance(t, r, t0.Add(shopGapDelay))
		if got := b.stored(t, one.ID); got.rule != ruleShopGap || got.interval != 10*Day || got.band != BandCooling {
			t.Errorf("after the shop gap changed: %s", got)
		}
		wantEvents(t, b, one.ID, bandEntry{BandFresh, "", ago(15)}, bandEntry{BandCooling, BandFresh, ago(5).Add(time.Microsecond)})
	})
}
