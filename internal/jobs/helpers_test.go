package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/jobs"
)

// start is where the simulated clock stands when a test begins.
var start = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// wait bounds every wait on a channel in these tests.
const wait = 20 * time.Second

type testBundle struct {
	d      *db.DB
	sim    *clock.Simulated
	queue  *jobs.Queue
	runner *jobs.Runner
}

// setup returns a runner on d with a simulated clock and fast liveness
// settings; opts may adjust them before the runner is made.
func setup(t *testing.T, d *db.DB, opts jobs.RunnerOptions, workers ...jobs.Worker) *testBundle {
	t.Helper()
	sim := clock.NewSimulated(start)
	if opts.Queue == nil {
		opts.Queue = jobs.NewQueue(sim)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 20 * time.Millisecond
		opts.NodeTimeout = 200 * time.Millisecond
	}
	r := jobs.NewRunner(d, sim, opts)
	r.Register(workers...)
	t.Cleanup(r.Stop)
	return &testBundle{d: d, sim: sim, queue: opts.Queue, runner: r}
}

// enqueue enqueues in a committed transaction of its own.
func (b *testBundle) enqueue(t *testing.T, p jobs.EnqueueParams) int64 {
	t.Helper()
	var id int64
	err := b.d.InTx(context.Background(), func(tx *db.Tx) error {
		var err error
		id, _, err = b.queue.Enqueue(context.Background(), tx, p)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return id
}

func (b *testBundle) runDue(t *testing.T, want int) {
	t.Helper()
	n, err := b.runner.RunDue(context.Background())
	if err != nil {
		t.Fatalf("RunDue: %v", err)
	}
	if n != want {
		t.Fatalf("RunDue worked %d jobs, want %d", n, want)
	}
}

func (b *testBundle) advanceTo(t *testing.T, at time.Time) {
	t.Helper()
	if err := b.runner.AdvanceTo(context.Background(), b.sim, at); err != nil {
		t.Fatalf("AdvanceTo: %v", err)
	}
}

// row is a job's stored state.
type row struct {
	State     string
	Attempt   int
	RunAt     time.Time
	LastError string
	LockedBy  string
}

// jobRow returns the job's row, or false if it is gone.
func jobRow(t *testing.T, d *db.DB, id int64) (row, bool) {
	t.Helper()
	var r row
	var lastErr, lockedBy sql.NullString
	err := d.QueryRowContext(context.Background(),
		`SELECT state, attempt, run_at, last_error, locked_by FROM jobs WHERE id = $1`, id).
		Scan(&r.State, &r.Attempt, &r.RunAt, &lastErr, &lockedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false
	}
	if err != nil {
		t.Fatalf("job %d: %v", id, err)
	}
	r.LastError, r.LockedBy = lastErr.String, lockedBy.String
	return r, true
}

func count(t *testing.T, d db.DBTX, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// receive waits for a value on ch.
func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
