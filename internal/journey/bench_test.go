package journey_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/journey"
)

// Run with:
//
//	KIZUKAI_TEST_POSTGRES=... go test -run '^$' -bench Journey -benchtime 2000x ./internal/journey/
//
// BenchmarkJourneyBacklog seeds KIZUKAI_JOURNEY_SCALE waiting runs
// (default 100000; set 1000000 for the million).

func eachEngine(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
}

// benchJourney sends a care message at once, waits a day and sends again.
func benchJourney(b *testing.B, tb *testBundle) string {
	b.Helper()
	j, err := tb.svc.Create(tb.ctx, tb.shopID, journey.Input{Status: journey.StatusActive, Definition: journey.Definition{
		Name: "bench", Trigger: journey.Trigger{Type: journey.TriggerEvent, EventType: "app.bench"},
		Steps: []journey.Step{
			{ID: "hi", Type: journey.StepSend, Template: "winback_checkin", Purpose: "care"},
			{ID: "w", Type: journey.StepWait, Duration: "24h"},
			{ID: "again", Type: journey.StepSend, Template: "winback_checkin", Purpose: "care"},
		}}})
	if err != nil {
		b.Fatal(err)
	}
	return j.ID
}

// seedRuns writes n customers and n active runs of journey j at step
// stepIndex, run k planned at at(k), each with its journey.step job: what
// the subscriber leaves behind, written in bulk.
func seedRuns(b *testing.B, tb *testBundle, journeyID string, n, stepIndex int, at func(k int) time.Time) {
	b.Helper()
	q := tb.runner.Queue()
	now := tb.sim.Now()
	const chunk = 500
	for from := 0; from < n; from += chunk {
		to := min(from+chunk, n)
		err := tb.d.InTx(tb.ctx, func(tx *db.Tx) error {
			var cs, rs strings.Builder
			var cargs, rargs []any
			cs.WriteString(`INSERT INTO customers (shop_id, id, external_id, email, created_at, updated_at) VALUES `)
			rs.WriteString(`INSERT INTO runs (shop_id, id, journey_id, version, customer_id, trigger_key, status, step_index, step_at, context, started_at, created_at, updated_at) VALUES `)
			for k := from; k < to; k++ {
				if k > from {
					cs.WriteString(", ")
					rs.WriteString(", ")
				}
				cid, rid := fmt.Sprintf("cus_b%08d", k), fmt.Sprintf("run_b%08d", k)
				p := len(cargs)
				fmt.Fprintf(&cs, "($%d, $%d, $%d, $%d, $%d, $%d)", p+1, p+2, p+3, p+4, p+5, p+5)
				cargs = append(cargs, tb.shopID, cid, "b"+strconv.Itoa(k), cid+"@example.jp", now)
				p = len(rargs)
				fmt.Fprintf(&rs, "($%d, $%d, $%d, 1, $%d, $%d, 'active', %d, $%d, '{}', $%d, $%d, $%d)", p+1, p+2, p+3, p+4, p+5, stepIndex, p+6, p+7, p+7, p+7)
				rargs = append(rargs, tb.shopID, rid, journeyID, cid, "evt_b"+strconv.Itoa(k), at(k), now)
			}
			if _, err := tx.ExecContext(tb.ctx, cs.String(), cargs...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(tb.ctx, rs.String(), rargs...); err != nil {
				return err
			}
			for k := from; k < to; k++ {
				if _, _, err := q.Enqueue(tb.ctx, tx, jobs.EnqueueParams{Kind: journey.KindStep, ShopID: tb.shopID,
					Args: map[string]any{"run_id": fmt.Sprintf("run_b%08d", k), "step": stepIndex}, RunAt: at(k)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJourneyStep: journey.step jobs worked per second, each run
// planning one message (message.CreateTx with its due job), waiting a day
// and scheduling its next step, in one transaction per job.
func BenchmarkJourneyStep(b *testing.B) {
	eachEngine(b, func(b *testing.B, d *db.DB) {
		tb := setupWith(b, d, false)
		jid := benchJourney(b, tb)
		now := tb.sim.Now()
		seedRuns(b, tb, jid, b.N, 0, func(int) time.Time { return now })
		b.ResetTimer()
		if err := tb.runner.AdvanceTo(tb.ctx, tb.sim, now); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		var msgs int
		if err := d.QueryRowContext(tb.ctx, `SELECT COUNT(*) FROM messages WHERE shop_id = $1`, tb.shopID).Scan(&msgs); err != nil || msgs != b.N {
			b.Fatalf("%d messages for %d runs: %v", msgs, b.N, err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
		b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "messages/s")
	})
}

// BenchmarkJourneyBacklog: KIZUKAI_JOURNEY_SCALE runs wait in a wait step
// with their next steps spread evenly over 30 days; the clock then jumps a
// day, so a day's worth (1/30) is due at once, and the runner works the
// backlog in batches. Reported: seconds for the day's worth and runs/s.
func BenchmarkJourneyBacklog(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("KIZUKAI_JOURNEY_SCALE")); err == nil && v > 0 {
		n = v
	}
	eachEngine(b, func(b *testing.B, d *db.DB) {
		tb := setupWith(b, d, false)
		jid := benchJourney(b, tb)
		now := tb.sim.Now()
		const month = 30 * 24 * time.Hour
		// Step 2 (the second send) comes after the wait: due between now
		// and 30 days from now, a minute past now at the earliest.
		seedRuns(b, tb, jid, n, 2, func(k int) time.Time {
			return now.Add(time.Minute + time.Duration(float64(month)*float64(k)/float64(n)).Truncate(time.Second))
		})
		day := now.Add(24 * time.Hour)
		var due int
		if err := d.QueryRowContext(tb.ctx, `SELECT COUNT(*) FROM jobs WHERE kind = $1 AND run_at <= $2`, journey.KindStep, day).Scan(&due); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			if err := tb.sim.Set(day); err != nil {
				b.Fatal(err)
			}
			if err := tb.runner.AdvanceTo(tb.ctx, tb.sim, day); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		var left int
		if err := d.QueryRowContext(tb.ctx, `SELECT COUNT(*) FROM jobs WHERE kind = $1`, journey.KindStep).Scan(&left); err != nil || left != n-due {
			b.Fatalf("%d step jobs left, want %d: %v", left, n-due, err)
		}
		b.ReportMetric(float64(n), "waiting")
		b.ReportMetric(float64(due), "due")
		b.ReportMetric(b.Elapsed().Seconds(), "s/day")
		b.ReportMetric(float64(due)/b.Elapsed().Seconds(), "runs/s")
	})
}
