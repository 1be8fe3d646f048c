package customer

import (
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
)

func TestComputeFreshness(t *testing.T) {
	t.Parallel()
	now := t0
	ago := func(d int) time.Time { return now.Add(-time.Duration(d) * Day) }
	gap := func(d int) *time.Duration { v := time.Duration(d) * Day; return &v }
	tests := []struct {
		name      string
		orders    []time.Time
		minDays   *int
		shopGap   *time.Duration
		score     int
		band      string
		intervalD float64
	}{
		{"just bought, default 30 days", []time.Time{now}, nil, nil, 100, BandFresh, 30},
		{"30 days ago is r=1", []time.Time{ago(30)}, nil, nil, 50, BandFresh, 30},
		{"45 days ago is cooling", []time.Time{ago(45)}, nil, nil, 35, BandCooling, 30},
		{"60 days ago is r=2, cooling", []time.Time{ago(60)}, nil, nil, 25, BandCooling, 30},
		{"90 days ago is stale", []time.Time{ago(90)}, nil, nil, 13, BandStale, 30},
		{"120 days ago is r=4, stale", []time.Time{ago(120)}, nil, nil, 6, BandStale, 30},
		{"121 days ago is lost", []time.Time{ago(121)}, nil, nil, 6, BandLost, 30},
		{"a year ago", []time.Time{ago(365)}, nil, nil, 0, BandLost, 30},
		{"median of two gaps", []time.Time{ago(40), ago(30), ago(10)}, days(99), gap(99), 63, BandFresh, 15},
		{"median of three gaps, unsorted input", []time.Time{ago(10), ago(70), ago(40), ago(30)}, nil, nil, 71, BandFresh, 20},
		{"even gap count takes the mean", []time.Time{ago(70), ago(60), ago(45), ago(25), ago(0)}, nil, nil, 100, BandFresh, 17.5},
		{"one gap: consumption days", []time.Time{ago(40), ago(20)}, days(10), gap(99), 25, BandCooling, 10},
		{"consumption zero ignored: shop gap", []time.Time{ago(20)}, days(0), gap(40), 71, BandFresh, 40},
		{"shop gap", []time.Time{ago(20)}, nil, gap(10), 25, BandCooling, 10},
		{"future order counts as now", []time.Time{now.Add(Day)}, nil, nil, 100, BandFresh, 30},
		{"same-moment orders: one day floor", []time.Time{ago(2), ago(2), ago(2)}, nil, nil, 25, BandCooling, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := ComputeFreshness(tt.orders, tt.minDays, tt.shopGap, now)
			mustEqual(t, "score", f.Score, tt.score)
			mustEqual(t, "band", f.Band, tt.band)
			mustEqual(t, "interval days", f.Interval.Hours()/24, tt.intervalD)
			latest := tt.orders[0]
			for _, o := range tt.orders {
				if o.After(latest) {
					latest = o
				}
			}
			mustEqual(t, "expected next order", f.ExpectedNextOrderAt, latest.Add(f.Interval))
		})
	}
	if f := ComputeFreshness(nil, nil, nil, now); f != (Freshness{}) {
		t.Errorf("no orders: %+v, want zero", f)
	}
}

func TestFreshnessOf(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		none := b.upsert(t, Input{ExternalID: "none"})
		if f, err := FreshnessOf(b.ctx, d, b.shopID, none.ID, t0); err != nil || f != nil {
			t.Fatalf("no orders: %+v, %v; want nil", f, err)
		}

		// Rule 4: nothing known → 30 days.
		one := b.upsert(t, Input{ExternalID: "one"})
		b.order(t, one.ID, t0.Add(-15*Day), 1000, map[string]*int{"durable": nil})
		f, err := FreshnessOf(b.ctx, d, b.shopID, one.ID, t0)
		if err != nil || f == nil {
			t.Fatalf("FreshnessOf: %v", err)
		}
		mustEqual(t, "interval (default)", f.Interval, 30*Day)

		// Rule 2: smallest positive consumption_days of the latest order.
		b.order(t, one.ID, t0.Add(-5*Day), 1000, map[string]*int{"tea": days(20), "coffee": days(10), "durable": nil})
		f, _ = FreshnessOf(b.ctx, d, b.shopID, one.ID, t0)
		mustEqual(t, "interval (consumption)", f.Interval, 10*Day)
		mustEqual(t, "band", f.Band, BandFresh)
		mustEqual(t, "expected next", f.ExpectedNextOrderAt, t0.Add(5*Day))

		// Rule 3: the shop's median gap (one customer with gaps 10 and 30 → 20;
		// with one's own gap of 10: gaps 10, 10, 30 → 10).
		two := b.upsert(t, Input{ExternalID: "two"})
		for _, ago := range []int{70, 60, 30} {
			b.order(t, two.ID, t0.Add(-time.Duration(ago)*Day), 500, nil)
		}
		three := b.upsert(t, Input{ExternalID: "three"})
		b.order(t, three.ID, t0.Add(-25*Day), 500, map[string]*int{"durable": nil})
		f, _ = FreshnessOf(b.ctx, d, b.shopID, three.ID, t0)
		mustEqual(t, "interval (shop median)", f.Interval, 10*Day)
		mustEqual(t, "band", f.Band, BandStale)

		// Rule 1: own median gap.
		f, _ = FreshnessOf(b.ctx, d, b.shopID, two.ID, t0)
		mustEqual(t, "interval (own median)", f.Interval, 20*Day)
		mustEqual(t, "score", f.Score, 35)
	})
}
