package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
)

type chainArgs struct {
	Step int `json:"step"`
}

// ran is what one run of a chain job saw.
type ran struct {
	Step  int
	Clock time.Duration // the simulated clock, from start
	RunAt time.Duration // the job's run_at, from start
}

func TestAdvanceToRunsChainAtEachRunAt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var mu sync.Mutex
		var runs []ran
		var b *testBundle
		// Step 1 (at +1h) enqueues step 2 an hour later, which enqueues step 3
		// three hours after that (+5h).
		delay := map[int]time.Duration{1: time.Hour, 2: 3 * time.Hour}
		chain := jobs.Func("chain", func(ctx context.Context, j *jobs.Job) error {
			var a chainArgs
			if err := j.Decode(&a); err != nil {
				return err
			}
			now := b.sim.Now()
			mu.Lock()
			runs = append(runs, ran{a.Step, now.Sub(start), j.RunAt.Sub(start)})
			mu.Unlock()
			next, ok := delay[a.Step]
			if !ok {
				return nil
			}
			return d.InTx(ctx, func(tx *db.Tx) error {
				if _, _, err := b.queue.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: "chain", Args: chainArgs{a.Step + 1}, RunAt: now.Add(next)}); err != nil {
					return err
				}
				return jobs.CompleteTx(ctx, tx, j)
			})
		})
		// The background loop runs too: AdvanceTo must keep it out.
		b = setup(t, d, jobs.RunnerOptions{PollInterval: time.Millisecond}, chain)
		if err := b.runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.enqueue(t, jobs.EnqueueParams{Kind: "chain", Args: chainArgs{1}, RunAt: start.Add(time.Hour)})

		check := func(want []ran, now time.Duration) {
			t.Helper()
			mu.Lock()
			defer mu.Unlock()
			if len(runs) != len(want) {
				t.Fatalf("runs = %+v, want %+v", runs, want)
			}
			for i := range want {
				if runs[i] != want[i] {
					t.Errorf("run %d = %+v, want %+v", i, runs[i], want[i])
				}
			}
			if got := b.sim.Now().Sub(start); got != now {
				t.Errorf("clock at +%s, want +%s", got, now)
			}
			saved, ok, err := jobs.LoadSimulatedTime(context.Background(), d)
			if err != nil || !ok || !saved.Equal(start.Add(now)) {
				t.Errorf("saved simulated time = %v, %v, %v; want %v", saved, ok, err, start.Add(now))
			}
		}

		b.advanceTo(t, start.Add(3*time.Hour))
		check([]ran{{1, time.Hour, time.Hour}, {2, 2 * time.Hour, 2 * time.Hour}}, 3*time.Hour)
		b.advanceTo(t, start.Add(6*time.Hour))
		check([]ran{{1, time.Hour, time.Hour}, {2, 2 * time.Hour, 2 * time.Hour}, {3, 5 * time.Hour, 5 * time.Hour}}, 6*time.Hour)
		if n := count(t, d, `SELECT COUNT(*) FROM jobs`); n != 0 {
			t.Errorf("%d jobs left", n)
		}
	})
}

func TestAdvanceToWaitsForBackgroundJobs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		started := make(chan struct{})
		release := make(chan struct{})
		var finished bool // written by the job, read after AdvanceTo: AdvanceTo must order them
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("slow", func(context.Context, *jobs.Job) error {
			close(started)
			<-release
			finished = true
			return nil
		}))
		if err := b.runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		b.enqueue(t, jobs.EnqueueParams{Kind: "slow"})
		receive(t, started, "the background job to start")
		done := make(chan error, 1)
		go func() { done <- b.runner.AdvanceTo(context.Background(), b.sim, start.Add(time.Minute)) }()
		select {
		case err := <-done:
			t.Fatalf("AdvanceTo returned (%v) while a background job was running", err)
		default:
		}
		close(release)
		if err := receive(t, done, "AdvanceTo"); err != nil {
			t.Fatal(err)
		}
		if !finished {
			t.Error("AdvanceTo returned before the background job finished")
		}
	})
}

func TestAdvanceToRefusesAnotherClockOrThePast(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, jobs.RunnerOptions{})
		ctx := context.Background()
		if err := b.runner.AdvanceTo(ctx, clock.NewSimulated(start), start.Add(time.Hour)); err == nil {
			t.Error("AdvanceTo accepted a clock that is not the runner's")
		}
		if err := b.runner.AdvanceTo(ctx, b.sim, start.Add(-time.Hour)); err == nil {
			t.Error("AdvanceTo moved the clock back")
		}
	})
}

func TestSimulatedTimeRoundTrip(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, ok, err := jobs.LoadSimulatedTime(ctx, d); err != nil || ok {
			t.Fatalf("fresh database: ok %v, err %v", ok, err)
		}
		for _, at := range []time.Time{start.Add(1500 * time.Microsecond), start.Add(72 * time.Hour)} {
			if err := jobs.SaveSimulatedTime(ctx, d, at); err != nil {
				t.Fatal(err)
			}
			got, ok, err := jobs.LoadSimulatedTime(ctx, d)
			if err != nil || !ok || !got.Equal(at) {
				t.Errorf("loaded %v, %v, %v; want %v", got, ok, err, at)
			}
		}
	})
}
