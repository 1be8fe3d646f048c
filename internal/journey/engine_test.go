package journey_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/policy"
)

// helloJourney is started by the custom event app.hello.
func helloJourney(wait string) journey.Definition {
	d := journey.Definition{Name: "hello", Trigger: journey.Trigger{Type: journey.TriggerEvent, EventType: "app.hello"},
		Steps: []journey.Step{
			{ID: "w", Type: journey.StepWait, Duration: wait},
			{ID: "call", Type: journey.StepTask, Title: "お電話でご挨拶"},
			{ID: "hi", Type: journey.StepSend, Template: "winback_checkin", Purpose: "care"},
		}}
	return d
}

func (b *testBundle) hello(t *testing.T, customerID string) {
	t.Helper()
	err := b.d.InTx(b.ctx, func(tx *db.Tx) error {
		now := b.sim.Now()
		_, _, err := b.rec.Record(b.ctx, tx, event.RecordParams{ShopID: b.shopID, CustomerID: customerID, Type: "app.hello", OccurredAt: now, Now: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVersioningRunsFinishOnTheirVersion: editing a journey never moves a
// run in flight; new runs use the newest version.
func TestVersioningRunsFinishOnTheirVersion(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		j, err := b.svc.Create(b.ctx, b.shopID, journey.Input{Definition: helloJourney("24h"), Status: journey.StatusActive})
		if err != nil || j.Version != 1 {
			t.Fatalf("create: %+v %v", j, err)
		}
		a, c := b.customer(t, "A"), b.customer(t, "B")
		b.hello(t, a.ID)
		b.hello(t, a.ID) // a second event: a second run (the trigger key is the event)
		if j, err = b.svc.Update(b.ctx, b.shopID, j.ID, helloJourney("48h")); err != nil || j.Version != 2 {
			t.Fatalf("update: %+v %v", j, err)
		}
		b.hello(t, c.ID)
		b.advance(t, start.Add(72*time.Hour))
		for _, tc := range []struct {
			customerID string
			version    int
			sentAfter  time.Duration
			count      int
		}{{a.ID, 1, 24 * time.Hour, 2}, {c.ID, 2, 48 * time.Hour, 1}} {
			ms := b.messagesOf(t, tc.customerID)
			if len(ms) != tc.count {
				t.Fatalf("%d messages, want %d", len(ms), tc.count)
			}
			for _, m := range ms {
				if m.JourneyVersion != tc.version || m.Status != "sent" || !m.SentAt.Equal(start.Add(tc.sentAfter)) {
					t.Fatalf("message v%d %s at %v; want v%d sent at +%s", m.JourneyVersion, m.Status, m.SentAt, tc.version, tc.sentAfter)
				}
			}
		}
		// The task step recorded a task.created event with its title.
		evs, err := event.List(b.ctx, d, event.ListParams{ShopID: b.shopID, CustomerID: c.ID, Types: []string{journey.EventTaskCreated}})
		if err != nil || len(evs) != 1 {
			t.Fatalf("task events: %+v %v", evs, err)
		}
		var data map[string]string
		if err := json.Unmarshal(evs[0].Data, &data); err != nil || data["task"] != "お電話でご挨拶" || data["journey_id"] != j.ID {
			t.Fatalf("task data: %s", evs[0].Data)
		}
		// Paused: no new runs, and the messages of runs in flight are suppressed.
		if _, err := b.svc.Pause(b.ctx, b.shopID, j.ID); err != nil {
			t.Fatal(err)
		}
		b.hello(t, c.ID)
		runs, err := b.svc.RunsOfCustomer(b.ctx, b.shopID, c.ID)
		if err != nil || len(runs) != 1 {
			t.Fatalf("runs after pause: %d %v", len(runs), err)
		}
	})
}

// TestAnnoyanceBrake: consent withdrawn within 7 days of a journey's
// message counts as an opt-out; over the shop's rate the journey pauses
// with its reason and the owner is notified.
func TestAnnoyanceBrake(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		p := policy.Defaults()
		p.BrakeWindow, p.BrakeMinSends = 10, 5
		if _, err := b.policies.Put(b.ctx, b.shopID, p); err != nil {
			t.Fatal(err)
		}
		def := helloJourney("1h")
		def.Steps = def.Steps[2:] // send at once
		j, err := b.svc.Create(b.ctx, b.shopID, journey.Input{Definition: def, Status: journey.StatusActive})
		if err != nil {
			t.Fatal(err)
		}
		var cs []customer.Customer
		for _, ext := range []string{"b1", "b2", "b3", "b4"} {
			c := b.customer(t, ext)
			cs = append(cs, c)
			b.hello(t, c.ID)
		}
		b.advance(t, start.Add(24*time.Hour))
		withdraw := func(c customer.Customer) {
			t.Helper()
			if _, err := b.customers.SetConsent(b.ctx, b.shopID, c.ID, "email", customer.ConsentInput{Granted: ptr(false), Source: "unsubscribe"}); err != nil {
				t.Fatal(err)
			}
		}
		// 4 sends, below brake_min_sends: an opt-out pauses nothing yet.
		withdraw(cs[1])
		if m := b.messagesOf(t, cs[1].ID); !m[0].OptedOut {
			t.Fatal("a withdrawal a day after the message did not count as an opt-out")
		}
		if got, _ := b.svc.ByID(b.ctx, b.shopID, j.ID); got.Status != journey.StatusActive {
			t.Fatalf("paused with 4 sends: %+v", got)
		}
		// 8 days later the message is too old to count.
		b.advance(t, start.Add(8*24*time.Hour))
		withdraw(cs[0])
		if m := b.messagesOf(t, cs[0].ID); m[0].OptedOut {
			t.Fatal("a withdrawal 8 days after the message counted as an opt-out")
		}
		c5 := b.customer(t, "b5")
		b.hello(t, c5.ID)
		b.advance(t, b.sim.Now().Add(time.Minute))
		// The 5th send; one more opt-out: 2 of 5 = 40 % > 2 %.
		withdraw(c5)
		got, err := b.svc.Details(b.ctx, b.shopID, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := "直近5件の配信で配信停止率が40.0%になったため自動停止しました / paused automatically: opt-out rate 40.0% over the last 5 sends"
		if got.Status != journey.StatusPaused || got.PausedReason != want {
			t.Fatalf("journey: %s %q", got.Status, got.PausedReason)
		}
		if got.Stats.Sends != 5 || got.Stats.OptOuts != 2 || got.Stats.OptOutRate != 0.4 {
			t.Fatalf("stats: %+v", got.Stats)
		}
		ns, _, err := policy.Notifications(b.ctx, d, policy.NotificationParams{ShopID: b.shopID})
		if err != nil || len(ns) != 1 || ns[0].Kind != policy.NotifyJourneyPaused {
			t.Fatalf("notifications: %+v %v", ns, err)
		}
		// A second withdrawal (another channel) marks nothing more.
		if _, err := b.customers.SetConsent(b.ctx, b.shopID, c5.ID, "sms", customer.ConsentInput{Granted: ptr(false), Source: "x"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := b.svc.Details(b.ctx, b.shopID, j.ID); got.Stats.OptOuts != 2 {
			t.Fatalf("opt-outs after a second withdrawal: %d", got.Stats.OptOuts)
		}
		// Activating again clears the reason.
		if got, err := b.svc.Activate(b.ctx, b.shopID, j.ID); err != nil || got.PausedReason != "" || got.Status != journey.StatusActive {
			t.Fatalf("activate: %+v %v", got, err)
		}
	})
}

// TestBuiltinsInstalledOnce: EnsureBuiltins is idempotent and leaves
// dunning paused with its reason.
func TestBuiltinsInstalledOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		if err := d.InTx(b.ctx, func(tx *db.Tx) error { return b.svc.EnsureBuiltins(b.ctx, tx, b.shopID) }); err != nil {
			t.Fatal(err)
		}
		js, _, err := b.svc.List(b.ctx, journey.ListParams{ShopID: b.shopID})
		if err != nil || len(js) != 4 {
			t.Fatalf("journeys: %d %v", len(js), err)
		}
		for _, j := range js {
			wantStatus := journey.StatusActive
			if j.BuiltinKey == journey.BuiltinDunning {
				wantStatus = journey.StatusPaused
				if j.PausedReason != journey.DunningPausedReason {
					t.Fatalf("dunning reason %q", j.PausedReason)
				}
			}
			if j.Status != wantStatus || j.Version != 1 {
				t.Fatalf("%s: %s v%d", j.BuiltinKey, j.Status, j.Version)
			}
		}
	})
}

// TestExportAndErase: a customer's runs and their logs are in the APPI
// export; erasure ends the active runs and blanks their context.
func TestExportAndErase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		def := helloJourney("24h")
		def.Steps = append([]journey.Step{{ID: "b", Type: journey.StepBranch,
			If: &journey.Condition{Fact: "event.data.note", Op: "eq", Value: "x"}}}, def.Steps...)
		if _, err := b.svc.Create(b.ctx, b.shopID, journey.Input{Definition: def, Status: journey.StatusActive}); err != nil {
			t.Fatal(err)
		}
		c := b.customer(t, "E1")
		err := d.InTx(b.ctx, func(tx *db.Tx) error {
			now := b.sim.Now()
			_, _, err := b.rec.Record(b.ctx, tx, event.RecordParams{ShopID: b.shopID, CustomerID: c.ID, Type: "app.hello",
				OccurredAt: now, Now: now, Data: map[string]string{"note": "secret-note-4411"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		b.advance(t, start.Add(time.Hour))
		x, err := b.customers.Export(b.ctx, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Runs) != 1 || len(x.Runs[0].Log) != 2 || !strings.Contains(string(x.Runs[0].Context), "secret-note-4411") {
			t.Fatalf("export runs: %+v", x.Runs)
		}
		if err := b.customers.Erase(b.ctx, b.shopID, c.ID); err != nil {
			t.Fatal(err)
		}
		runs, err := b.svc.RunsOfCustomer(b.ctx, b.shopID, c.ID)
		if err != nil || len(runs) != 1 || runs[0].Status != journey.RunExited || runs[0].ExitReason != "customer_erased" || runs[0].Context.Data != nil {
			t.Fatalf("runs after erasure: %+v %v", runs, err)
		}
		// Its pending step does nothing.
		b.advance(t, start.Add(48*time.Hour))
		if ms := b.messagesOf(t, c.ID); len(ms) != 0 {
			t.Fatalf("messages after erasure: %d", len(ms))
		}
	})
}
