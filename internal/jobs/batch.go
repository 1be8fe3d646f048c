package jobs

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// BatchWorker is a Worker that can also work several claimed jobs of its
// kind at once, typically to record their outcomes in one transaction (a
// commit per job caps throughput at the engine's commits per second).
// WorkBatch returns one error per job, in the order of js; each is
// recorded as Work's would be (nil: done, Snooze, Cancel, retry). The
// runner hands a BatchWorker the jobs of its kind it claimed together
// (at most BatchSize); a single job still goes through Work. The
// guarantees stay those of Work: each job is worked at least once, and a
// job completed in its worker's transaction (CompleteTx) is never run
// again.
type BatchWorker interface {
	Worker
	WorkBatch(ctx context.Context, js []*Job) []error
}

// BatchSizer is optionally implemented by a BatchWorker: at most BatchSize
// jobs go into one WorkBatch call; the runner works larger groups as
// several batches at once (on PostgreSQL, several transactions run in
// parallel; SQLite has one writer and gains from large batches).
type BatchSizer interface{ BatchSize() int }

// workClaimed runs claimed jobs: a BatchWorker's jobs of one kind together,
// every other job on its own, each group in its own goroutine. done(n) is
// called as n of the jobs finish (their outcome recorded).
func (r *Runner) workClaimed(base context.Context, jobs []*Job, done func(n int)) {
	var batches map[string][]*Job
	for _, j := range jobs {
		if _, ok := r.worker(j.Kind).(BatchWorker); ok {
			if batches == nil {
				batches = map[string][]*Job{}
			}
			batches[j.Kind] = append(batches[j.Kind], j)
			continue
		}
		go func() {
			defer done(1)
			r.work(base, j)
		}()
	}
	var groups [][]*Job
	for kind, js := range batches {
		size := len(js)
		if bs, ok := r.worker(kind).(BatchSizer); ok && bs.BatchSize() > 0 {
			size = bs.BatchSize()
		}
		// Even chunks: 10 jobs at most 4 a batch make 4, 3 and 3.
		n := (len(js) + size - 1) / size
		for i := range n {
			groups = append(groups, js[i*len(js)/n:(i+1)*len(js)/n])
		}
	}
	for _, js := range groups {
		go func() {
			defer done(len(js))
			if len(js) == 1 {
				r.work(base, js[0])
				return
			}
			r.workBatch(base, js)
		}()
	}
}

// workBatch runs jobs of one BatchWorker kind together and records their
// outcomes: the successes with one statement.
func (r *Runner) workBatch(base context.Context, js []*Job) {
	w := r.worker(js[0].Kind).(BatchWorker)
	timeout := r.opts.JobTimeout
	if t, ok := w.(timeouter); ok && t.Timeout() > 0 {
		timeout = t.Timeout()
	}
	ctx, cancel := context.WithTimeout(base, timeout)
	errs := r.callBatch(ctx, w, js)
	cancel()
	r.stats.worked.Add(uint64(len(js)))

	rctx, rcancel := context.WithTimeout(context.WithoutCancel(base), recordTimeout)
	defer rcancel()
	interrupted := base.Err() != nil
	var ok []completion
	for i, j := range js {
		if errs[i] == nil {
			ok = append(ok, completion{id: j.ID})
			continue
		}
		if err := r.record(rctx, j, errs[i], interrupted); err != nil {
			r.log.Error("record job outcome", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt, "error", err)
		}
	}
	for len(ok) > 0 {
		chunk := ok[:min(len(ok), maxCompleteBatch)]
		ok = ok[len(chunk):]
		r.stats.completed.Add(uint64(len(chunk)))
		if err := r.completer.deleteRows(rctx, chunk); err != nil {
			r.log.Error("record job outcome", "jobs", len(chunk), "kind", js[0].Kind, "error", err)
		}
	}
}

// callBatch runs WorkBatch, turning a panic (or a wrong number of results)
// into an error for every job.
func (r *Runner) callBatch(ctx context.Context, w BatchWorker, js []*Job) (errs []error) {
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("panic: %v", p)
			r.log.Error("job batch panicked", "jobs", len(js), "kind", js[0].Kind, "panic", fmt.Sprint(p),
				"stack", string(debug.Stack()))
			errs = make([]error, len(js))
			for i := range errs {
				errs[i] = err
			}
		}
	}()
	errs = w.WorkBatch(ctx, js)
	if len(errs) != len(js) {
		panic(fmt.Sprintf("WorkBatch returned %d results for %d jobs", len(errs), len(js)))
	}
	return errs
}

// Each runs f for every job concurrently, at most limit at a time (all at
// once when limit ≤ 0), and returns their results in the order of js: a
// helper for BatchWorkers whose jobs wait on the network.
func Each[T any](ctx context.Context, js []*Job, limit int, f func(ctx context.Context, j *Job) T) []T {
	out := make([]T, len(js))
	if limit <= 0 {
		limit = len(js)
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, j := range js {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i] = f(ctx, j)
		})
	}
	wg.Wait()
	return out
}
