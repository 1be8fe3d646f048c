package journey_test

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/journey"
)

// Run with (docs/performance.md "Journeys"):
//
//	KIZUKAI_TEST_POSTGRES=... go test -run '^$' -bench JourneyStep -benchtime 3000x ./internal/journey/
//	KIZUKAI_TEST_POSTGRES=... go test -run '^$' -bench JourneyBacklog -benchtime 1x ./internal/journey/
//
// BenchmarkJourneyBacklog seeds KIZUKAI_JOURNEY_SCALE waiting runs
// (default 100000; set 1000000 for the million) and, with
// KIZUKAI_JOURNEY_IDLE=30s, measures the process's CPU while the started
// runner has nothing due for that long.

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

// BenchmarkJourneyStep: journey.step jobs worked per second, each run
// planning one message (with its message.due job), waiting a day and
// scheduling its next step; the jobs worked at the same time share a
// transaction (batch.go).
func BenchmarkJourneyStep(b *testing.B) {
	eachEngine(b, func(b *testing.B, d *db.DB) {
		tb := setupWith(b, d, false)
		jid := benchJourney(b, tb)
		now := tb.sim.Now()
		seedRuns(b, tb, seedParams{journeyID: jid, n: b.N, step: 0, first: now})
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
// with their next steps spread evenly over 30 days. Measured, in order:
// the process's CPU while the started runner idles (KIZUKAI_JOURNEY_IDLE),
// one claim that finds nothing due among the future jobs, and, after the
// clock jumps a day so that a day's worth (1/30) is due at once, how long
// the runner needs to work it (s/day) and its rate (runs/s).
func BenchmarkJourneyBacklog(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("KIZUKAI_JOURNEY_SCALE")); err == nil && v > 0 {
		n = v
	}
	idle, _ := time.ParseDuration(os.Getenv("KIZUKAI_JOURNEY_IDLE"))
	eachEngine(b, func(b *testing.B, d *db.DB) {
		tb := setupWith(b, d, false)
		jid := benchJourney(b, tb)
		now := tb.sim.Now()
		const month = 30 * 24 * time.Hour
		// Step 2 (the second send) comes after the wait: due between a
		// minute from now and 30 days from now.
		t0 := time.Now()
		seedRuns(b, tb, seedParams{journeyID: jid, n: n, step: 2, first: now.Add(time.Minute), spread: month})
		b.Logf("seeded %d customers, runs and jobs in %s", n, time.Since(t0).Round(time.Millisecond))
		if d.Dialect() == db.Postgres {
			if _, err := d.ExecContext(tb.ctx, `ANALYZE customers; ANALYZE runs; ANALYZE jobs`); err != nil {
				b.Fatal(err)
			}
		}
		var idleMS float64
		if idle > 0 {
			idleMS = idleCPU(b, tb, idle)
		}
		// A claim with nothing due: the runner's poll, once a second.
		const polls = 20
		t0 = time.Now()
		for range polls {
			if k, err := tb.runner.RunDue(tb.ctx); err != nil || k != 0 {
				b.Fatalf("RunDue with nothing due worked %d jobs: %v", k, err)
			}
		}
		pollMS := float64(time.Since(t0).Microseconds()) / polls / 1000

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
		if idle > 0 {
			b.ReportMetric(idleMS, "idle-cpu-ms/s")
		}
		b.ReportMetric(pollMS, "empty-poll-ms")
		b.ReportMetric(float64(n), "waiting")
		b.ReportMetric(float64(due), "due")
		b.ReportMetric(b.Elapsed().Seconds(), "s/day")
		b.ReportMetric(float64(due)/b.Elapsed().Seconds(), "runs/s")
	})
}

// idleCPU starts the runner with nothing due, lets it poll for d and
// returns the process's CPU time (user + system) per second of it.
func idleCPU(b *testing.B, tb *testBundle, d time.Duration) float64 {
	b.Helper()
	if err := tb.runner.Start(tb.ctx); err != nil {
		b.Fatal(err)
	}
	before := cpuTime(b)
	start := time.Now()
	<-time.After(d) // measuring idle time needs the wall clock to pass
	used := cpuTime(b) - before
	elapsed := time.Since(start)
	tb.runner.Stop()
	return float64(used.Microseconds()) / 1000 / elapsed.Seconds()
}

func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
