package journey

import (
	"context"
	"fmt"
	"sync"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/jobs"
)

// Batching journey.step jobs. The runner claims due jobs many at a time
// and works each in its own goroutine; a transaction per job cost a
// commit (an fsync) and about a dozen statements, each a round trip on
// PostgreSQL. So the jobs that are being worked at the same moment join
// one transaction: the first to arrive leads a batch, jobs arriving while
// batches run queue up, and when a batch ends the first queued job leads
// the next with everything queued behind it. A leader only ever leads the
// batch that holds its own job, so no job's goroutine works for others
// after its own job is done.
//
// A batch that fails is tried again one job per transaction, so that a run
// that cannot advance fails only its own job.

// maxBatch bounds the jobs of one batch (and so the size of its IN lists
// and multi-row statements).
const maxBatch = 100

// stepCall is one journey.step job in a batch.
type stepCall struct {
	job  *jobs.Job
	args stepArgs
	res  chan callResult // nil for a call that leads on arrival
}

// callResult ends a queued call's wait: either its outcome, or lead, which
// makes it lead the next batch.
type callResult struct {
	lead bool
	err  error
}

// stepBatcher groups concurrent calls into batches, with at most max
// batches running at once: one on SQLite, whose single writer would only
// queue more; several on PostgreSQL, whose server works transactions in
// parallel.
type stepBatcher struct {
	max int

	mu      sync.Mutex
	running int
	queued  []*stepCall
}

// batcher returns the service's batcher, made on first use.
func (s *Service) batcher() *stepBatcher {
	s.batchOnce.Do(func() {
		s.steps = &stepBatcher{max: 1}
		if s.DB.Dialect() == db.Postgres {
			s.steps.max = 2
		}
	})
	return s.steps
}

// do runs c in a batch through work and returns its outcome. work returns
// one error per call.
func (b *stepBatcher) do(ctx context.Context, c *stepCall, work func(context.Context, []*stepCall) []error) error {
	b.mu.Lock()
	if b.running < b.max {
		b.running++
		b.mu.Unlock()
	} else {
		c.res = make(chan callResult, 1)
		b.queued = append(b.queued, c)
		b.mu.Unlock()
		// No wait on ctx: a queued call is worked by a batch that has
		// started or will start when one ends, and the leader's job timeout
		// bounds that batch.
		r := <-c.res
		if !r.lead {
			return r.err
		}
	}
	// Lead: this call and the calls queued behind it.
	b.mu.Lock()
	n := min(len(b.queued), maxBatch-1)
	batch := make([]*stepCall, 0, n+1)
	batch = append(batch, c)
	batch = append(batch, b.queued[:n]...)
	b.queued = b.queued[n:]
	b.mu.Unlock()

	errs := safeWork(ctx, batch, work)
	for i, o := range batch[1:] {
		o.res <- callResult{err: errs[i+1]}
	}

	b.mu.Lock()
	if len(b.queued) > 0 {
		next := b.queued[0]
		b.queued = b.queued[1:]
		next.res <- callResult{lead: true} // the running count passes to it
	} else {
		b.running--
	}
	b.mu.Unlock()
	return errs[0]
}

// workSteps advances the runs of calls in one transaction, or, when that
// fails, in one transaction each.
func (s *Service) workSteps(ctx context.Context, calls []*stepCall) []error {
	errs := make([]error, len(calls))
	err := s.DB.InTx(ctx, func(tx *db.Tx) error { return s.advanceCalls(ctx, tx, calls) })
	if err == nil || len(calls) == 1 {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i := range calls {
		errs[i] = s.DB.InTx(ctx, func(tx *db.Tx) error { return s.advanceCalls(ctx, tx, calls[i:i+1]) })
	}
	return errs
}

// advanceCalls advances the calls' runs, shop by shop, then writes their
// logs and next jobs and completes their jobs, all in tx.
func (s *Service) advanceCalls(ctx context.Context, tx db.DBTX, calls []*stepCall) error {
	var shops []string
	byShop := map[string][]*stepCall{}
	for _, c := range calls {
		if _, ok := byShop[c.job.ShopID]; !ok {
			shops = append(shops, c.job.ShopID)
		}
		byShop[c.job.ShopID] = append(byShop[c.job.ShopID], c)
	}
	w := &stepWriter{}
	for _, shopID := range shops {
		if err := s.advanceRuns(ctx, tx, shopID, byShop[shopID], w); err != nil {
			return err
		}
	}
	if err := s.writeSteps(ctx, tx, w); err != nil {
		return err
	}
	js := make([]*jobs.Job, len(calls))
	for i, c := range calls {
		js[i] = c.job
	}
	return jobs.CompleteManyTx(ctx, tx, js)
}

// safeWork calls work, turning a panic into every call's error: the
// queued calls must hear back, or their goroutines would wait for ever.
func safeWork(ctx context.Context, batch []*stepCall, work func(context.Context, []*stepCall) []error) (errs []error) {
	defer func() {
		if p := recover(); p != nil {
			errs = make([]error, len(batch))
			for i := range errs {
				errs[i] = fmt.Errorf("journey step batch panicked: %v", p)
			}
		}
	}()
	return work(ctx, batch)
}
