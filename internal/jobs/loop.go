package jobs

import (
	"context"
	"time"
)

// loop claims jobs while slots are free and due jobs remain, then waits for
// a wake-up or the poll interval.
func (r *Runner) loop(ctx, jobsCtx context.Context, wake <-chan struct{}) {
	timer := time.NewTimer(r.opts.PollInterval)
	defer timer.Stop()
	for {
		select { // one free slot at least
		case r.slots <- struct{}{}:
		case <-r.stopping:
			return
		case <-ctx.Done():
			return
		}
		n := r.takeSlots()
		claimed, err := r.claimBackground(ctx, jobsCtx, n)
		for range n - claimed {
			<-r.slots
		}
		if err != nil && ctx.Err() == nil {
			r.log.Error("claim jobs", "node", r.nodeID, "error", err)
		}
		if err == nil && claimed == n {
			continue // the pool is full or more may be due: claim again as soon as a slot frees
		}
		timer.Reset(r.opts.PollInterval)
		select {
		case <-wake:
		case <-timer.C:
		case <-r.stopping:
			return
		case <-ctx.Done():
			return
		}
	}
}

// fillWait is how long a busy loop waits for more free slots before it
// claims: one claim per freed slot would cost a statement (and a commit)
// per job, where waiting a moment lets one claim take many.
const fillWait = 5 * time.Millisecond

// takeSlots takes, on top of the one slot the loop holds, free slots up to
// BatchSize: at once those free now, and then, while fewer than half the
// batch are held, those freed within fillWait.
func (r *Runner) takeSlots() int {
	n := 1
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for n < r.opts.BatchSize {
		select {
		case r.slots <- struct{}{}:
			n++
			continue
		default:
		}
		if 2*n >= r.opts.BatchSize {
			return n
		}
		if timer == nil {
			timer = time.NewTimer(fillWait)
		}
		select {
		case r.slots <- struct{}{}:
			n++
		case <-timer.C:
			return n
		case <-r.stopping:
			return n
		}
	}
	return n
}

// claimBackground claims up to n jobs and starts them; each holds a slot
// and a shared gate hold until it is done.
func (r *Runner) claimBackground(ctx, jobsCtx context.Context, n int) (int, error) {
	if !r.gate.acquireShared(ctx, r.stopping) {
		return 0, nil
	}
	jobs, err := r.claim(ctx, n)
	if len(jobs) == 0 {
		r.gate.releaseShared(1)
		return 0, err
	}
	r.gate.addShared(len(jobs) - 1)
	r.jobs.Add(len(jobs))
	r.workClaimed(jobsCtx, jobs, func(n int) {
		r.gate.releaseShared(n)
		for range n {
			<-r.slots
		}
		r.jobs.Add(-n)
	})
	return len(jobs), err
}

// maintain beats the heartbeat and sweeps lost nodes' jobs.
func (r *Runner) maintain(ctx context.Context) {
	ticker := time.NewTicker(r.opts.HeartbeatInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
		case <-r.stopping:
			return
		case <-ctx.Done():
			return
		}
		if err := r.heartbeat(ctx); err != nil && ctx.Err() == nil {
			r.log.Error("job node heartbeat", "node", r.nodeID, "error", err)
		}
		if _, err := r.rescue(ctx, time.Now().Add(-r.opts.NodeTimeout)); err != nil && ctx.Err() == nil {
			r.log.Error("sweep lost job nodes", "node", r.nodeID, "error", err)
		}
	}
}
