package journey_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/ticket"
)

func diff(t *testing.T, got, want []summary) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w summary
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := "  "
		if g != w {
			mark = "≠ "
		}
		fmt.Fprintf(&b, "%sgot  %+v\n  want %+v\n", mark, g, w)
	}
	t.Fatalf("messages differ:\n%s", b.String())
}

// TestPostPurchaseJourney is the bar of the journeys issue: the built-in
// post-purchase journey over simulated weeks, with exact send times (quiet
// hours respected), purposes, the replenishment reminder at consumption end
// minus 7 days and the related offer only after enough care.
func TestPostPurchaseJourney(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C1")
		b.product(t, "TEA-30", ptr(30))
		// 22:30 in Tokyo: quiet hours (21:00–09:00).
		b.advance(t, jstAt("2026-11-23 22:30"))
		o := b.order(t, "R-1", "C1", "TEA-30")
		b.advance(t, jstAt("2027-01-31 00:00"))

		diff(t, summarize(b.messagesOf(t, c.ID)), []summary{
			// Thanks at once, deferred by quiet hours to 09:00 the next day.
			{Step: "thanks", Purpose: "care", Status: "sent", SentAt: "2026-11-24T09:00:00+09:00"},
			// Day 3 = order time + 72 h = 22:30 on the 26th, deferred to 09:00.
			{Step: "help", Purpose: "care", Status: "sent", SentAt: "2026-11-27T09:00:00+09:00"},
			// Day 14 (72 h + 264 h after the order, not after the deferred send).
			{Step: "survey", Purpose: "care", Status: "sent", SentAt: "2026-12-08T09:00:00+09:00"},
			// Consumption end (ordered_at + 30 days) minus 7 days = 12-16 22:30.
			{Step: "refill", Purpose: "care", Status: "sent", SentAt: "2026-12-17T09:00:00+09:00"},
			// 72 h later, one modest offer: 4 care messages came first.
			{Step: "offer", Purpose: "sales", Status: "sent", SentAt: "2026-12-20T09:00:00+09:00"},
		})
		for _, m := range b.messagesOf(t, c.ID) {
			if m.OrderID != o.ID || m.SKU != "TEA-30" || m.DedupeKey != "run:"+m.RunID+":"+m.StepID {
				t.Fatalf("message %s: order %s sku %s key %s", m.StepID, m.OrderID, m.SKU, m.DedupeKey)
			}
		}
		runs, err := b.svc.RunsOfCustomer(b.ctx, b.shopID, c.ID)
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs: %+v %v", runs, err)
		}
		if r := runs[0]; r.Status != journey.RunCompleted || r.ExitReason != "exit_step:end" || r.TriggerKey != o.ID {
			t.Fatalf("run: %+v", r)
		}
		log, err := b.svc.RunLog(b.ctx, b.shopID, runs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, e := range log {
			steps = append(steps, e.StepID+"@"+e.PlannedAt.In(jst).Format("01-02 15:04"))
		}
		want := "thanks@11-23 22:30 d3@11-23 22:30 help@11-26 22:30 d14@11-26 22:30 survey@12-07 22:30 " +
			"has_consumable@12-07 22:30 until_refill@12-07 22:30 refill@12-16 22:30 offer_wait@12-16 22:30 offer@12-19 22:30 end@12-19 22:30"
		if got := strings.Join(steps, " "); got != want {
			t.Fatalf("run log:\n got %s\nwant %s", got, want)
		}
	})
}

// TestPostPurchaseNoSalesWhileComplaintOpen: with an open complaint the
// offer is suppressed (open_ticket); care goes on.
func TestPostPurchaseNoSalesWhileComplaintOpen(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C2")
		b.product(t, "TEA-30", ptr(30))
		b.advance(t, jstAt("2026-11-23 22:30"))
		b.order(t, "R-2", "C2", "TEA-30")
		b.advance(t, jstAt("2026-12-18 12:00"))
		if _, err := b.tickets.Create(b.ctx, b.shopID, ticket.CreateInput{CustomerID: c.ID, Kind: "complaint", Subject: "届いた箱が潰れていた"}); err != nil {
			t.Fatal(err)
		}
		b.advance(t, jstAt("2027-01-31 00:00"))
		got := summarize(b.messagesOf(t, c.ID))
		diff(t, got, []summary{
			{Step: "thanks", Purpose: "care", Status: "sent", SentAt: "2026-11-24T09:00:00+09:00"},
			{Step: "help", Purpose: "care", Status: "sent", SentAt: "2026-11-27T09:00:00+09:00"},
			{Step: "survey", Purpose: "care", Status: "sent", SentAt: "2026-12-08T09:00:00+09:00"},
			{Step: "refill", Purpose: "care", Status: "sent", SentAt: "2026-12-17T09:00:00+09:00"},
			{Step: "offer", Purpose: "sales", Status: "suppressed", Reason: "open_ticket"},
		})
	})
}

// TestPostPurchaseNoSalesBeforeCare: the offer goes out only after
// min_care_before_sales (2) care messages since the customer's latest
// order. A durable runs thanks → help → survey → offer; a second order
// just before the first run's offer resets the count, so that offer is
// suppressed (not_enough_care), and the second run's offer goes out after
// its own care.
func TestPostPurchaseNoSalesBeforeCare(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C3")
		b.product(t, "KETTLE", nil)
		b.product(t, "CUP", nil)
		b.advance(t, jstAt("2026-11-24 10:00"))
		b.order(t, "R-3", "C3", "KETTLE")
		// Run 1's offer is due at 11-24 10:00 + 72 h + 264 h + 72 h = 12-11 10:00.
		b.advance(t, jstAt("2026-12-11 09:30"))
		b.order(t, "R-3b", "C3", "CUP")
		b.advance(t, jstAt("2027-01-31 00:00"))
		diff(t, summarize(b.messagesOf(t, c.ID)), []summary{
			{Step: "thanks", Purpose: "care", Status: "sent", SentAt: "2026-11-24T10:00:00+09:00"},
			{Step: "help", Purpose: "care", Status: "sent", SentAt: "2026-11-27T10:00:00+09:00"},
			{Step: "survey", Purpose: "care", Status: "sent", SentAt: "2026-12-08T10:00:00+09:00"},
			{Step: "thanks", Purpose: "care", Status: "sent", SentAt: "2026-12-11T09:30:00+09:00"},
			{Step: "offer", Purpose: "sales", Status: "suppressed", Reason: "not_enough_care"},
			{Step: "help", Purpose: "care", Status: "sent", SentAt: "2026-12-14T09:30:00+09:00"},
			{Step: "survey", Purpose: "care", Status: "sent", SentAt: "2026-12-25T09:30:00+09:00"},
			{Step: "offer", Purpose: "sales", Status: "sent", SentAt: "2026-12-28T09:30:00+09:00"},
		})
	})
}

// TestPostPurchaseExitOnRepurchase: a new order of the same SKU before the
// reminder ends the run: no reminder, no offer from it; the new order starts
// its own run.
func TestPostPurchaseExitOnRepurchase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C4")
		b.product(t, "TEA-30", ptr(30))
		b.advance(t, jstAt("2026-11-23 22:30"))
		first := b.order(t, "R-4", "C4", "TEA-30")
		b.advance(t, jstAt("2026-12-12 11:00"))
		second := b.order(t, "R-5", "C4", "TEA-30")
		b.advance(t, jstAt("2026-12-20 00:00"))

		runs, err := b.svc.RunsOfCustomer(b.ctx, b.shopID, c.ID)
		if err != nil || len(runs) != 2 {
			t.Fatalf("runs: %+v %v", runs, err)
		}
		if r := runs[0]; r.TriggerKey != first.ID || r.Status != journey.RunExited || r.ExitReason != "exit_on:order.placed:same_sku" {
			t.Fatalf("first run: %+v", r)
		}
		if r := runs[1]; r.TriggerKey != second.ID || r.Status != journey.RunActive {
			t.Fatalf("second run: %+v", r)
		}
		var firstSteps, secondSteps []string
		for _, m := range b.messagesOf(t, c.ID) {
			if m.RunID == runs[0].ID {
				firstSteps = append(firstSteps, m.StepID)
			} else {
				secondSteps = append(secondSteps, m.StepID+"="+m.Status)
			}
		}
		if got := strings.Join(firstSteps, ","); got != "thanks,help,survey" {
			t.Fatalf("first run's messages: %s (no refill, no offer)", got)
		}
		// The second order was placed at 11:00: its thanks goes out at once.
		if got := strings.Join(secondSteps, ","); got != "thanks=sent,help=sent" {
			t.Fatalf("second run's messages: %s", got)
		}
	})
}

// TestDuplicateTriggerStartsOneRun: the same order.placed recorded twice
// (the order re-posted) starts one run; historical orders start none.
func TestDuplicateTriggerStartsOneRun(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C5")
		b.product(t, "TEA-30", ptr(30))
		b.order(t, "R-6", "C5", "TEA-30")
		b.order(t, "R-6", "C5", "TEA-30") // the same order again: 200, nothing new
		// An order from a year ago (an import) starts nothing.
		old := b.sim.Now().Add(-365 * 24 * time.Hour).Format(time.RFC3339)
		if _, _, err := b.orders.Place(b.ctx, b.shopID, orderAt("R-old", "C5", old)); err != nil {
			t.Fatal(err)
		}
		runs, err := b.svc.RunsOfCustomer(b.ctx, b.shopID, c.ID)
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs: %d %v", len(runs), err)
		}
	})
}

func orderAt(ext, customerExt, at string) order.Submission {
	return order.Submission{ExternalID: ext, CustomerExternalID: customerExt, OrderedAt: at, Channel: order.ChannelOnline,
		Lines: []order.LineInput{{SKU: "TEA-30", Quantity: 1, UnitPrice: 3000}}, Total: ptr(int64(3000))}
}
