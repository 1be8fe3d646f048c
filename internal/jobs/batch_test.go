package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
)

// batchWorker records the sizes of the batches it is handed; a job named
// "fail" fails, "panic" panics the batch it is in.
type batchWorker struct {
	mu      sync.Mutex
	batches []int
	singles int
	names   map[string]int
}

func (w *batchWorker) Kind() string { return "batch" }

func (w *batchWorker) Work(_ context.Context, j *jobs.Job) error {
	w.mu.Lock()
	w.singles++
	w.mu.Unlock()
	return w.one(j)
}

func (w *batchWorker) WorkBatch(_ context.Context, js []*jobs.Job) []error {
	w.mu.Lock()
	w.batches = append(w.batches, len(js))
	w.mu.Unlock()
	out := make([]error, len(js))
	for i, j := range js {
		out[i] = w.one(j)
	}
	return out
}

func (w *batchWorker) one(j *jobs.Job) error {
	var a greetArgs
	if err := j.Decode(&a); err != nil {
		return jobs.Cancel(err)
	}
	w.mu.Lock()
	w.names[a.Name]++
	w.mu.Unlock()
	switch a.Name {
	case "fail":
		return errors.New("fails")
	case "cancel":
		return jobs.Cancel(nil)
	}
	return nil
}

// TestBatchWorker: jobs of a BatchWorker kind claimed together are handed
// over at once; each outcome is recorded on its own (successes gone, a
// failure retried with an attempt counted, a cancel failed), and jobs of
// other kinds claimed with them still run one by one.
func TestBatchWorker(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := &batchWorker{names: map[string]int{}}
		other := make(chan struct{}, 1)
		b := setup(t, d, jobs.RunnerOptions{Concurrency: 20}, w, jobs.Func("other", func(context.Context, *jobs.Job) error {
			other <- struct{}{}
			return nil
		}))
		ctx := context.Background()
		var ps []jobs.EnqueueParams
		for _, n := range []string{"a", "b", "c", "fail", "cancel", "d"} {
			ps = append(ps, jobs.EnqueueParams{Kind: "batch", Args: greetArgs{Name: n}})
		}
		ps = append(ps, jobs.EnqueueParams{Kind: "other"})
		if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := b.queue.EnqueueMany(ctx, tx, ps); return err }); err != nil {
			t.Fatal(err)
		}
		b.runDue(t, 7)
		receive(t, other, "the other kind's job")
		if len(w.batches) != 1 || w.batches[0] != 6 || w.singles != 0 {
			t.Fatalf("batches %v, singles %d: want one batch of 6", w.batches, w.singles)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM jobs`); n != 2 {
			t.Fatalf("%d jobs left, want the failed and the cancelled one", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM jobs WHERE state = 'available' AND attempt = 1 AND last_error = 'fails'`); n != 1 {
			t.Fatal("the failed job is not waiting for its retry")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM jobs WHERE state = 'failed'`); n != 1 {
			t.Fatal("the cancelled job did not fail")
		}
		// The retry, alone, goes through Work.
		b.advanceTo(t, start.Add(3*time.Second))
		if w.singles != 1 || w.names["fail"] != 2 {
			t.Fatalf("singles %d, fail worked %d times", w.singles, w.names["fail"])
		}
	})
}

// TestBatchWorkerStarted: a started runner hands a BatchWorker batches and
// works every job once.
func TestBatchWorkerStarted(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		w := &batchWorker{names: map[string]int{}}
		b := setup(t, d, jobs.RunnerOptions{Concurrency: 10}, w)
		ctx := context.Background()
		var ps []jobs.EnqueueParams
		names := []string{}
		for i := range 100 {
			n := string(rune('A'+i/26)) + string(rune('a'+i%26))
			names = append(names, n)
			ps = append(ps, jobs.EnqueueParams{Kind: "batch", Args: greetArgs{Name: n}})
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error { _, err := b.queue.EnqueueMany(ctx, tx, ps); return err }); err != nil {
			t.Fatal(err)
		}
		if err := b.runner.Start(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(wait)
		for count(t, d, `SELECT COUNT(*) FROM jobs`) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("jobs left")
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.runner.Stop()
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, n := range names {
			if w.names[n] != 1 {
				t.Fatalf("job %s worked %d times", n, w.names[n])
			}
		}
		if len(w.batches) == 0 {
			t.Fatal("no batch")
		}
	})
}
