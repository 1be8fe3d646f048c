package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
)

// A runner whose process dies mid-job (here: its heartbeat stops while its
// job hangs) loses the job to another runner after NodeTimeout, and its late
// outcome does not overwrite what the new owner did.
func TestLostNodeJobsAreTakenBack(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		startedA := make(chan struct{})
		releaseA := make(chan struct{})
		t.Cleanup(func() {
			select {
			case <-releaseA:
			default:
				close(releaseA)
			}
		})
		a := setup(t, d, jobs.RunnerOptions{NodeID: "node-a"}, jobs.Func("send", func(context.Context, *jobs.Job) error {
			close(startedA)
			<-releaseA // hangs, deaf to its context, like a killed process
			return nil
		}))
		ranB := make(chan int, 1)
		b := setup(t, d, jobs.RunnerOptions{NodeID: "node-b", Queue: a.queue}, jobs.Func("send", func(_ context.Context, j *jobs.Job) error {
			ranB <- j.Attempt
			return nil
		}))

		ctxA, killA := context.WithCancel(context.Background())
		if err := a.runner.Start(ctxA); err != nil {
			t.Fatal(err)
		}
		id := a.enqueue(t, jobs.EnqueueParams{Kind: "send"})
		receive(t, startedA, "node A to start the job")
		killA() // A's heartbeat stops; its job is still 'running', locked by A

		if err := b.runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if attempt := receive(t, ranB, "node B to run the job again"); attempt != 2 {
			t.Errorf("node B ran attempt %d, want 2", attempt)
		}
		b.runner.Stop()
		close(releaseA)
		a.runner.Stop() // A's late "interrupted" release must match nothing
		if r, ok := jobRow(t, d, id); ok {
			t.Errorf("job still stored: %+v", r)
		}
		if s := b.runner.Stats(); s.Rescued != 1 {
			t.Errorf("node B stats = %+v, want 1 rescued", s)
		}
	})
}

// On PostgreSQL the periodic sweep leaves the jobs of live nodes alone.
func TestLiveNodeJobsAreLeftAlone(t *testing.T) {
	t.Parallel()
	d := dbtest.Postgres(t)
	b := setup(t, d, jobs.RunnerOptions{NodeID: "node-b"}, jobs.Func("send", func(context.Context, *jobs.Job) error { return nil }))
	id := b.enqueue(t, jobs.EnqueueParams{Kind: "send"})
	ctx := context.Background()
	if _, err := d.ExecContext(ctx, `UPDATE jobs SET state = 'running', attempt = 1, locked_by = 'node-a' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	// node-a beats far ahead, so it stays fresh however slow the test runs.
	if _, err := d.ExecContext(ctx, `INSERT INTO job_nodes (id, seen_at) VALUES ('node-a', $1)`, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := b.runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	b.runner.Stop()
	if r, ok := jobRow(t, d, id); !ok || r.State != "running" || r.LockedBy != "node-a" {
		t.Errorf("live node's job: %+v, %v", r, ok)
	}
}

// Two runners (two node ids, two connection pools) on one PostgreSQL
// database work 2000 jobs: each exactly once.
func TestTwoRunnersWorkEachJobOnce(t *testing.T) {
	t.Parallel()
	url := dbtest.PostgresSchemaURL(t)
	ctx := context.Background()
	open := func() *db.DB {
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = d.Close() })
		return d
	}
	d1, d2 := open(), open()
	if _, err := d1.Migrate(ctx, db.MigrateOptions{NoLock: true}); err != nil {
		t.Fatal(err)
	}

	const total = 2000
	var mu sync.Mutex
	seen := make(map[int64]string, total)
	var dups []string
	var done atomic.Int64
	allDone := make(chan struct{})
	worker := func(node string, d *db.DB) jobs.Worker {
		return jobs.Func("row", func(ctx context.Context, j *jobs.Job) error {
			mu.Lock()
			if prev, ok := seen[j.ID]; ok {
				dups = append(dups, fmt.Sprintf("job %d on %s and %s", j.ID, prev, node))
			}
			seen[j.ID] = node
			mu.Unlock()
			// A second run would fail on the primary key.
			if _, err := d.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)`,
				fmt.Sprint("job:", j.ID), node, start); err != nil {
				return err
			}
			if done.Add(1) == total {
				close(allDone)
			}
			return nil
		})
	}
	sim := clock.NewSimulated(start)
	q := jobs.NewQueue(sim)
	opts := func(node string) jobs.RunnerOptions {
		// Real liveness settings: with 20 ms heartbeats a loaded machine
		// could make a node look lost and its jobs run twice, as designed.
		return jobs.RunnerOptions{NodeID: node, Queue: q, PollInterval: 10 * time.Millisecond,
			HeartbeatInterval: time.Second, NodeTimeout: 30 * time.Second}
	}
	r1 := setup(t, d1, opts("node-1"), worker("node-1", d1))
	r2 := setup(t, d2, opts("node-2"), worker("node-2", d2))
	for _, r := range []*jobs.Runner{r1.runner, r2.runner} {
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	err := d1.InTx(ctx, func(tx *db.Tx) error {
		for range total {
			if _, _, err := q.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: "row"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	receive(t, allDone, "all jobs to run")
	r1.runner.Stop()
	r2.runner.Stop()

	if len(dups) > 0 {
		t.Errorf("%d jobs ran twice, e.g. %s", len(dups), dups[0])
	}
	if n := count(t, d1, `SELECT COUNT(*) FROM kv WHERE key LIKE 'job:%'`); n != total {
		t.Errorf("%d effect rows, want %d", n, total)
	}
	if n := count(t, d1, `SELECT COUNT(*) FROM jobs`); n != 0 {
		t.Errorf("%d jobs left", n)
	}
	s1, s2 := r1.runner.Stats(), r2.runner.Stats()
	t.Logf("node-1 worked %d, node-2 worked %d", s1.Completed, s2.Completed)
	if s1.Completed+s2.Completed != total || s1.Retried+s2.Retried != 0 {
		t.Errorf("stats: %+v, %+v", s1, s2)
	}
}

func TestStopWaitsForRunningJobs(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		started := make(chan struct{})
		release := make(chan struct{})
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("slow", func(context.Context, *jobs.Job) error {
			close(started)
			<-release
			return nil
		}))
		if err := b.runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "slow"})
		receive(t, started, "the job to start")
		stopped := make(chan struct{})
		go func() {
			b.runner.Stop()
			close(stopped)
		}()
		select {
		case <-stopped:
			t.Fatal("Stop returned while a job was running")
		default:
		}
		close(release)
		receive(t, stopped, "Stop")
		if _, ok := jobRow(t, d, id); ok {
			t.Error("job still stored: Stop did not let it finish")
		}
	})
}

func TestStopTimeoutCancelsAndRequeues(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		started := make(chan struct{})
		b := setup(t, d, jobs.RunnerOptions{StopTimeout: 10 * time.Millisecond}, jobs.Func("patient", func(ctx context.Context, _ *jobs.Job) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}))
		if err := b.runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "patient"})
		receive(t, started, "the job to start")
		b.runner.Stop()
		// Interrupted by shutdown: back in the queue, the attempt not counted.
		if r, ok := jobRow(t, d, id); !ok || r.State != "available" || r.Attempt != 0 || !r.RunAt.Equal(start) {
			t.Errorf("row = %+v, %v", r, ok)
		}
	})
}
