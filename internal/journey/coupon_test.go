package journey_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/journey"
)

func couponJourney(campaignID string) journey.Definition {
	return journey.Definition{Name: "thanks coupon", Trigger: journey.Trigger{Type: journey.TriggerOrderPlaced},
		Steps: []journey.Step{
			{ID: "w", Type: journey.StepWait, Duration: "24h"},
			{ID: "gift", Type: journey.StepCoupon, CampaignID: campaignID, Title: "次回500円引き"},
		}}
}

func wantFields(t *testing.T, err error, field string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) || e.Fields[field] == "" {
		t.Fatalf("error %v, want one naming %s", err, field)
	}
}

// TestCouponStep: a coupon step issues a code of its campaign to the run's
// customer, linked to the run's order, in the step's transaction; a
// refusal (the per-customer limit) is logged and the run goes on.
func TestCouponStep(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		// Validation: a coupon step names a campaign; an active journey's
		// campaign must exist.
		_, err := b.svc.Create(b.ctx, b.shopID, journey.Input{Definition: couponJourney("")})
		wantFields(t, err, "steps[1].campaign_id")
		_, err = b.svc.Create(b.ctx, b.shopID, journey.Input{Definition: couponJourney("cpn_01jd8x3k6q0v4m7n9p2r5t8w1y"), Status: journey.StatusActive})
		wantFields(t, err, "steps[1].campaign_id")

		def := couponJourney("cpn_01jd8x3k6q0v4m7n9p2r5t8w1y")
		def.Steps[0] = journey.Step{ID: "w", Type: journey.StepTask, Title: "電話", CampaignID: "cpn_01jd8x3k6q0v4m7n9p2r5t8w1y"}
		_, err = b.svc.Create(b.ctx, b.shopID, journey.Input{Definition: def})
		wantFields(t, err, "steps[0].campaign_id")

		camp, err := b.coupons.CreateCampaign(b.ctx, b.shopID, coupon.CampaignInput{Name: "500円引き",
			DiscountType: coupon.DiscountAmount, DiscountValue: 500, ValidDays: ptr(30)})
		if err != nil {
			t.Fatal(err)
		}
		j, err := b.svc.Create(b.ctx, b.shopID, journey.Input{Definition: couponJourney(camp.ID), Status: journey.StatusActive})
		if err != nil {
			t.Fatal(err)
		}
		c := b.customer(t, "C1")
		o1 := b.order(t, "O1", "C1", "TEA")
		// An hour later, a second order and run: the per-customer limit (1)
		// refuses its code.
		b.advance(t, start.Add(time.Hour))
		o2 := b.order(t, "O2", "C1", "TEA")
		b.advance(t, start.Add(26*time.Hour))

		ks, err := b.coupons.ByOrder(b.ctx, b.shopID, o1.ID)
		if err != nil || len(ks) != 1 {
			t.Fatalf("coupons of order 1: %+v %v", ks, err)
		}
		k := ks[0]
		if k.CustomerID != c.ID || k.CampaignID != camp.ID || !k.ExpiresAt.Equal(start.Add(24*time.Hour+30*24*time.Hour)) {
			t.Fatalf("coupon %+v", k)
		}
		if ks, _ := b.coupons.ByOrder(b.ctx, b.shopID, o2.ID); len(ks) != 0 {
			t.Fatalf("coupons of order 2: %+v", ks)
		}

		runs, err := b.svc.RunsOfCustomer(b.ctx, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[string]string{}
		for _, r := range runs {
			if r.JourneyID != j.ID {
				continue
			}
			if r.Status != journey.RunCompleted {
				t.Errorf("run %s is %s", r.ID, r.Status)
			}
			log, err := b.svc.RunLog(b.ctx, b.shopID, r.ID)
			if err != nil || len(log) != 2 {
				t.Fatalf("log %+v %v", log, err)
			}
			outcomes[log[1].Outcome] = log[1].Detail
		}
		if outcomes["issued"] != k.Code || outcomes["coupon_refused"] != "customer_limit_reached" {
			t.Fatalf("outcomes %v", outcomes)
		}

		// coupon.requested for each step (with the code or the refusal),
		// coupon.issued once.
		evs, err := event.List(b.ctx, d, event.ListParams{ShopID: b.shopID, CustomerID: c.ID,
			Types: []string{journey.EventCouponRequested, coupon.EventIssued}})
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range evs {
			count[e.Type]++
			if e.Type != journey.EventCouponRequested {
				continue
			}
			var data map[string]string
			if err := json.Unmarshal(e.Data, &data); err != nil || data["campaign_id"] != camp.ID ||
				data["code"] != k.Code && data["refused"] != "customer_limit_reached" {
				t.Fatalf("coupon.requested data %s", e.Data)
			}
		}
		if count[journey.EventCouponRequested] != 2 || count[coupon.EventIssued] != 1 {
			t.Fatalf("events %v", count)
		}
		if got, _ := b.coupons.Campaign(b.ctx, b.shopID, camp.ID); got.Issued != 1 {
			t.Fatalf("campaign issued %d", got.Issued)
		}
	})
}
