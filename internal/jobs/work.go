package jobs

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// recordTimeout bounds the bookkeeping after a run. It runs on a context
// that outlives the job's, so a cancelled job's outcome is still recorded.
const recordTimeout = 10 * time.Second

// work runs one claimed job and records its outcome. base is the context
// jobs run under; when it has ended, a failure is taken as an interruption.
func (r *Runner) work(base context.Context, j *Job) {
	w := r.worker(j.Kind)
	timeout := r.opts.JobTimeout
	if t, ok := w.(timeouter); ok && t.Timeout() > 0 {
		timeout = t.Timeout()
	}
	ctx, cancel := context.WithTimeout(base, timeout)
	err := r.call(ctx, w, j)
	cancel()
	r.stats.worked.Add(1)

	rctx, rcancel := context.WithTimeout(context.WithoutCancel(base), recordTimeout)
	defer rcancel()
	if err := r.record(rctx, j, err, base.Err() != nil); err != nil {
		// The claim stays 'running': the sweep takes it back once this node
		// is gone, or it is worked again after a restart.
		r.log.Error("record job outcome", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt, "error", err)
	}
}

// call runs Work, turning a panic into an error.
func (r *Runner) call(ctx context.Context, w Worker, j *Job) (err error) {
	if w == nil {
		return fmt.Errorf("no worker registered for kind %q", j.Kind)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
			r.log.Error("job panicked", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	return w.Work(ctx, j)
}

// record stores the outcome of one run of j.
func (r *Runner) record(ctx context.Context, j *Job, err error, interrupted bool) error {
	var cancelErr *cancelError
	var snoozeErr *snoozeError
	now := r.clk.Now()
	switch {
	case err == nil:
		r.stats.completed.Add(1)
		return r.completer.complete(ctx, j.ID)

	case errors.As(err, &snoozeErr):
		r.stats.snoozed.Add(1)
		return r.release(ctx, j, now.Add(snoozeErr.d))

	case errors.As(err, &cancelErr):
		return r.fail(ctx, j, now, err)

	case interrupted:
		// The runner is shutting down (or RunDue's caller gave up): the run
		// did not fail on its own, so it does not use up an attempt.
		r.log.Info("job interrupted: back to the queue", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt)
		return r.release(ctx, j, j.RunAt)

	case j.Attempt >= j.MaxAttempts:
		return r.fail(ctx, j, now, err)

	default:
		r.stats.retried.Add(1)
		next := now.Add(backoff(j.Attempt))
		r.log.Warn("job failed: will retry", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt,
			"max_attempts", j.MaxAttempts, "retry_at", next, "error", err)
		return r.reschedule(ctx, j, "available", next, truncateError(err))
	}
}

func (r *Runner) fail(ctx context.Context, j *Job, now time.Time, err error) error {
	r.stats.failed.Add(1)
	r.log.Error("job failed for good", "job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt,
		"max_attempts", j.MaxAttempts, "error", err)
	return r.reschedule(ctx, j, "failed", now, truncateError(err))
}
