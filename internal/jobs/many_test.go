package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
)

// TestEnqueueMany: due and future jobs in one call, a taken unique key
// skipped, a rolled-back call leaving nothing, the due ones worked, and an
// invalid job rejecting the whole call before anything is written.
func TestEnqueueMany(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		worked := make(chan string, 10)
		b := setup(t, d, jobs.RunnerOptions{}, jobs.Func("greet", func(_ context.Context, j *jobs.Job) error {
			var a greetArgs
			if err := j.Decode(&a); err != nil {
				return err
			}
			worked <- a.Name
			return nil
		}))
		ctx := context.Background()
		b.enqueue(t, jobs.EnqueueParams{Kind: "greet", Args: greetArgs{Name: "taken"}, UniqueKey: "greet:taken"})
		ps := []jobs.EnqueueParams{
			{Kind: "greet", Args: greetArgs{Name: "Ada"}},
			{Kind: "greet", Args: greetArgs{Name: "later"}, RunAt: start.Add(time.Hour), UniqueKey: "greet:later"},
			{Kind: "greet", Args: greetArgs{Name: "dup"}, UniqueKey: "greet:taken"},
		}
		errRollback := errors.New("roll back")
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			if _, err := b.queue.EnqueueMany(ctx, tx, ps); err != nil {
				return err
			}
			return errRollback
		}); !errors.Is(err, errRollback) {
			t.Fatalf("rolled back: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM jobs`); n != 1 {
			t.Fatalf("%d jobs after a rollback, want 1", n)
		}
		var n int
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			var err error
			n, err = b.queue.EnqueueMany(ctx, tx, ps)
			return err
		}); err != nil || n != 2 {
			t.Fatalf("EnqueueMany = %d, %v; want 2 inserted", n, err)
		}
		if _, err := b.queue.EnqueueMany(ctx, d, []jobs.EnqueueParams{{Kind: "greet"}, {Kind: ""}}); err == nil {
			t.Fatal("a job without a kind was accepted")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM jobs WHERE kind = 'greet'`); n != 3 {
			t.Fatalf("%d jobs, want 3", n)
		}
		b.runDue(t, 2) // taken and Ada; later is an hour away
		b.advanceTo(t, start.Add(time.Hour))
		got := map[string]bool{}
		for range 3 {
			got[receive(t, worked, "a worked job")] = true
		}
		if !got["Ada"] || !got["later"] || !got["taken"] {
			t.Fatalf("worked %v", got)
		}
	})
}
