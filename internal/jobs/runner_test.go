package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
)

type greetArgs struct {
	Name string `json:"name"`
}

func TestEnqueueRolledBackNeverRuns(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ran := make(chan struct{}, 1)
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("greet", func(context.Context, *jobs.Job) error {
			ran <- struct{}{}
			return nil
		}))
		errRollback := errors.New("roll back")
		err := d.InTx(context.Background(), func(tx *db.Tx) error {
			if _, _, err := b.queue.Enqueue(context.Background(), tx, jobs.EnqueueParams{Kind: "greet"}); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("InTx = %v", err)
		}
		b.runDue(t, 0)
		if n := count(t, d, `SELECT COUNT(*) FROM jobs`); n != 0 {
			t.Errorf("%d jobs stored after rollback", n)
		}
	})
}

func TestEnqueueCommittedRunsAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		got := make(chan string, 1)
		// An hour's poll: only the wake-up after commit can start the job in time.
		b := setup(t, d, jobs.RunnerOptions{PollInterval: time.Hour}, jobs.Func("greet", func(_ context.Context, j *jobs.Job) error {
			var a greetArgs
			if err := j.Decode(&a); err != nil {
				return err
			}
			got <- a.Name + "/" + j.ShopID
			return nil
		}))
		if err := b.runner.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "greet", ShopID: "shop_1", Args: greetArgs{Name: "Ada"}})
		if v := receive(t, got, "the job to run"); v != "Ada/shop_1" {
			t.Errorf("worker got %q", v)
		}
		b.runner.Stop()
		if _, ok := jobRow(t, d, id); ok {
			t.Error("finished job still stored")
		}
		if s := b.runner.Stats(); s.Worked != 1 || s.Completed != 1 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestUniqueKey(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("greet", func(context.Context, *jobs.Job) error { return nil }))
		ctx := context.Background()
		p := jobs.EnqueueParams{Kind: "greet", UniqueKey: "greet:cus_1"}
		id1, ins1, err := b.queue.Enqueue(ctx, d, p)
		if err != nil || !ins1 {
			t.Fatalf("first enqueue = %d, %v, %v", id1, ins1, err)
		}
		var id2 int64
		var ins2 bool
		err = d.InTx(ctx, func(tx *db.Tx) error {
			id2, ins2, err = b.queue.Enqueue(ctx, tx, p)
			return err
		})
		if err != nil || ins2 || id2 != id1 {
			t.Fatalf("second enqueue = %d, %v, %v; want %d, false, nil", id2, ins2, err, id1)
		}
		if _, _, err := b.queue.Enqueue(ctx, d, jobs.EnqueueParams{Kind: "greet"}); err != nil {
			t.Fatal(err) // no key: never deduplicated
		}
		b.runDue(t, 2)
		// The first job has finished: the key is free again.
		if _, ins3, err := b.queue.Enqueue(ctx, d, p); err != nil || !ins3 {
			t.Fatalf("enqueue after completion: inserted %v, %v", ins3, err)
		}
	})
}

func TestRetryWithBackoffThenSuccess(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		attempts := make(chan int, 2)
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("flaky", func(_ context.Context, j *jobs.Job) error {
			attempts <- j.Attempt
			if j.Attempt == 1 {
				return errors.New("provider unavailable")
			}
			return nil
		}))
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "flaky"})
		b.runDue(t, 1)
		r, ok := jobRow(t, d, id)
		if !ok || r.State != "available" || r.Attempt != 1 || r.LastError != "provider unavailable" || r.LockedBy != "" {
			t.Fatalf("after failure: %+v, %v", r, ok)
		}
		// attempt⁴ s = 1 s, ±10 %.
		if delay := r.RunAt.Sub(start); delay < 900*time.Millisecond || delay > 1100*time.Millisecond {
			t.Errorf("retry after %s, want 1 s ± 10 %%", delay)
		}
		b.runDue(t, 0) // not due yet: the clock stands still
		b.advanceTo(t, start.Add(2*time.Second))
		if _, ok := jobRow(t, d, id); ok {
			t.Error("job still stored after success")
		}
		if a1, a2 := <-attempts, <-attempts; a1 != 1 || a2 != 2 {
			t.Errorf("attempts %d, %d", a1, a2)
		}
		if s := b.runner.Stats(); s.Worked != 2 || s.Retried != 1 || s.Completed != 1 || s.Failed != 0 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestMaxAttemptsThenFailed(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		runs := 0                          // AdvanceTo returns only after every run: no race
		long := strings.Repeat("エラー", 100) // 900 bytes
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("doomed", func(context.Context, *jobs.Job) error {
			runs++
			return errors.New(long)
		}))
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "doomed", MaxAttempts: 3})
		b.advanceTo(t, start.Add(24*time.Hour))
		if runs != 3 {
			t.Errorf("ran %d times, want 3", runs)
		}
		r, ok := jobRow(t, d, id)
		if !ok || r.State != "failed" || r.Attempt != 3 {
			t.Fatalf("row = %+v, %v", r, ok)
		}
		if len(r.LastError) > 500 || !strings.HasPrefix(long, r.LastError) || len(r.LastError) < 495 {
			t.Errorf("last_error has %d bytes, want the first ≤500 bytes of the error", len(r.LastError))
		}
		if s := b.runner.Stats(); s.Retried != 2 || s.Failed != 1 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestCancelFailsAtOnce(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("bad", func(context.Context, *jobs.Job) error {
			return jobs.Cancel(errors.New("address rejected"))
		}))
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "bad"})
		b.advanceTo(t, start.Add(24*time.Hour))
		r, ok := jobRow(t, d, id)
		if !ok || r.State != "failed" || r.Attempt != 1 || !strings.Contains(r.LastError, "address rejected") {
			t.Fatalf("row = %+v, %v", r, ok)
		}
	})
}

func TestSnoozeDoesNotCountAttempt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		type run struct {
			attempt int
			at      time.Time
		}
		var runs []run
		var b *testBundle
		b = setup(t, d, jobs.RunnerOptions{}, jobs.Func("later", func(_ context.Context, j *jobs.Job) error {
			runs = append(runs, run{j.Attempt, b.sim.Now()})
			if len(runs) == 1 {
				return jobs.Snooze(10 * time.Minute)
			}
			return nil
		}))
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "later", MaxAttempts: 1})
		b.runDue(t, 1)
		r, ok := jobRow(t, d, id)
		if !ok || r.State != "available" || r.Attempt != 0 || !r.RunAt.Equal(start.Add(10*time.Minute)) {
			t.Fatalf("after snooze: %+v, %v", r, ok)
		}
		b.advanceTo(t, start.Add(time.Hour))
		want := []run{{1, start}, {1, start.Add(10 * time.Minute)}}
		if len(runs) != 2 || runs[0] != want[0] || runs[1] != want[1] {
			t.Errorf("runs = %v, want %v", runs, want)
		}
		if _, ok := jobRow(t, d, id); ok {
			t.Error("job still stored")
		}
	})
}

func TestPanicIsAnError(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("boom", func(context.Context, *jobs.Job) error {
			panic("nil map")
		}))
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "boom"})
		b.runDue(t, 1)
		r, ok := jobRow(t, d, id)
		if !ok || r.State != "available" || r.Attempt != 1 || r.LastError != "panic: nil map" {
			t.Fatalf("row = %+v, %v", r, ok)
		}
	})
}

func TestCompleteTxCommitsWithTheEffect(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		var b *testBundle
		b = setup(t, d, jobs.RunnerOptions{}, jobs.Func("effect", func(ctx context.Context, j *jobs.Job) error {
			return d.InTx(ctx, func(tx *db.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, 'done', $2)`,
					"effect:"+string(j.Args), b.sim.Now()); err != nil {
					return err
				}
				if err := jobs.CompleteTx(ctx, tx, j); err != nil {
					return err
				}
				if string(j.Args) == `"fail"` {
					return errors.New("fails after the effect") // rolls back effect and completion
				}
				return nil
			})
		}))
		ok := b.enqueue(t, jobs.EnqueueParams{Kind: "effect", Args: "ok"})
		fail := b.enqueue(t, jobs.EnqueueParams{Kind: "effect", Args: "fail"})
		b.runDue(t, 2)
		if _, stored := jobRow(t, d, ok); stored {
			t.Error("completed job still stored")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM kv WHERE key = 'effect:"ok"'`); n != 1 {
			t.Errorf("effect rows = %d, want 1", n)
		}
		if r, stored := jobRow(t, d, fail); !stored || r.State != "available" || r.Attempt != 1 {
			t.Errorf("failed job: %+v, stored %v", r, stored)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM kv WHERE key = 'effect:"fail"'`); n != 0 {
			t.Errorf("rolled-back effect rows = %d, want 0", n)
		}
	})
}

func TestUnregisteredKindIsLeftAlone(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("known", func(context.Context, *jobs.Job) error { return nil }))
		id := b.enqueue(t, jobs.EnqueueParams{Kind: "from_a_newer_version"})
		b.advanceTo(t, start.Add(time.Hour)) // must not spin on the job it cannot claim
		if r, ok := jobRow(t, d, id); !ok || r.State != "available" || r.Attempt != 0 {
			t.Errorf("row = %+v, %v", r, ok)
		}
	})
}

func TestEnqueueValidates(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, jobs.RunnerOptions{})
		ctx := context.Background()
		for _, p := range []jobs.EnqueueParams{{}, {Kind: "x", MaxAttempts: -1}, {Kind: "x", Args: make(chan int)}} {
			if _, _, err := b.queue.Enqueue(ctx, d, p); err == nil {
				t.Errorf("Enqueue(%+v) accepted", p)
			}
		}
	})
}
