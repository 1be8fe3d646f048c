package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
)

// RunnerOptions tune a Runner. Zero values take the defaults given.
type RunnerOptions struct {
	// NodeID names this runner in jobs.locked_by and job_nodes; it must be
	// unique among live runners. Default: host-pid-random.
	NodeID string
	// Queue is the queue whose Enqueue wakes this runner at once; without
	// one the runner finds new jobs by polling. Default: a new Queue on the
	// runner's clock (see Runner.Queue).
	Queue *Queue
	// Concurrency is how many jobs run at once. Default 10.
	Concurrency int
	// BatchSize is how many jobs one claim takes at most. Default: Concurrency.
	BatchSize int
	// PollInterval is how often the runner looks for due jobs when nothing
	// woke it (jobs enqueued by other processes, jobs scheduled for later).
	// Default 1 s.
	PollInterval time.Duration
	// JobTimeout bounds one run of a job (wall time); a Worker may override
	// it with a Timeout() method. Default 1 min.
	JobTimeout time.Duration
	// HeartbeatInterval is how often the runner records in job_nodes that it
	// is alive, and sweeps jobs of lost nodes. Default 5 s.
	HeartbeatInterval time.Duration
	// NodeTimeout is how long a node may go unseen before its running jobs
	// are taken back and run again elsewhere. It must exceed
	// HeartbeatInterval several times over. Default 30 s.
	NodeTimeout time.Duration
	// StopTimeout is how long Stop waits for running jobs before cancelling
	// their contexts. Default 30 s.
	StopTimeout time.Duration
	// Logger receives job failures. Default slog.Default().
	Logger *slog.Logger
}

func (o *RunnerOptions) setDefaults(clk clock.Clock) {
	if o.NodeID == "" {
		host, _ := os.Hostname() // a missing host name only makes the id less telling
		var b [4]byte
		_, _ = rand.Read(b[:]) // never fails on supported systems
		o.NodeID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if o.Queue == nil {
		o.Queue = NewQueue(clk)
	}
	setDefault(&o.Concurrency, 10)
	setDefault(&o.BatchSize, o.Concurrency)
	setDefault(&o.PollInterval, time.Second)
	setDefault(&o.JobTimeout, time.Minute)
	setDefault(&o.HeartbeatInterval, 5*time.Second)
	setDefault(&o.NodeTimeout, 30*time.Second)
	setDefault(&o.StopTimeout, 30*time.Second)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}

// Runner claims due jobs and works them with the registered Workers.
type Runner struct {
	db        *db.DB
	clk       clock.Clock
	opts      RunnerOptions
	nodeID    string
	log       *slog.Logger
	gate      gate
	slots     chan struct{} // one token per running background job
	stats     counters
	completer completer

	mu      sync.Mutex
	workers map[string]Worker
	kq      *kindQueries // set when registrations freeze
	started bool
	stopped bool

	// Set by Start.
	stopping   chan struct{} // closed by Stop
	loopDone   chan struct{}
	maintDone  chan struct{}
	cancelJobs context.CancelFunc
	jobs       sync.WaitGroup
}

// NewRunner returns a runner on d whose clk decides which jobs are due. It
// panics on options that cannot work (a wiring mistake).
func NewRunner(d *db.DB, clk clock.Clock, opts RunnerOptions) *Runner {
	opts.setDefaults(clk)
	if opts.Concurrency < 0 || opts.BatchSize < 0 || opts.PollInterval < 0 || opts.JobTimeout < 0 ||
		opts.HeartbeatInterval < 0 || opts.StopTimeout < 0 {
		panic("jobs: negative runner option")
	}
	if opts.NodeTimeout < 2*opts.HeartbeatInterval {
		panic(fmt.Sprintf("jobs: NodeTimeout %s must be at least twice HeartbeatInterval %s", opts.NodeTimeout, opts.HeartbeatInterval))
	}
	return &Runner{
		db: d, clk: clk, opts: opts, nodeID: opts.NodeID, log: opts.Logger,
		slots:     make(chan struct{}, opts.Concurrency),
		workers:   make(map[string]Worker),
		completer: completer{db: d},
	}
}

// NodeID returns the runner's node id.
func (r *Runner) NodeID() string { return r.nodeID }

// Queue returns the queue whose Enqueue wakes this runner.
func (r *Runner) Queue() *Queue { return r.opts.Queue }

// Register adds workers. It panics on a duplicate kind or when called after
// the runner has started working (wiring mistakes).
func (r *Runner) Register(workers ...Worker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kq != nil {
		panic("jobs: Register called after the runner started working")
	}
	for _, w := range workers {
		if w.Kind() == "" {
			panic("jobs: worker with an empty kind")
		}
		if _, dup := r.workers[w.Kind()]; dup {
			panic("jobs: two workers for kind " + w.Kind())
		}
		r.workers[w.Kind()] = w
	}
}

// queries freezes the registrations on first use and returns the statements
// for the registered kinds.
func (r *Runner) queries() *kindQueries {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kq == nil {
		kinds := make([]string, 0, len(r.workers))
		for k := range r.workers {
			kinds = append(kinds, k)
		}
		q := buildKindQueries(r.db.Dialect(), kinds)
		r.kq = &q
	}
	return r.kq
}

func (r *Runner) worker(kind string) Worker {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.workers[kind]
}

// Start records the node's heartbeat, takes back the jobs of lost nodes and
// starts working in the background until Stop or until ctx ends (which also
// cancels running jobs). On SQLite every running job of another node is
// taken back at once: db.Open holds the file's exclusive lock, so no other
// process can be running it. For the same reason, run one Runner per SQLite
// database.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("jobs: runner already started")
	}
	r.started = true
	r.stopping = make(chan struct{})
	r.loopDone = make(chan struct{})
	r.maintDone = make(chan struct{})
	r.mu.Unlock()
	if err := r.recoverAtStart(ctx); err != nil {
		r.mu.Lock()
		r.started = false
		r.mu.Unlock()
		return err
	}

	jobsCtx, cancel := context.WithCancel(ctx)
	r.cancelJobs = cancel
	wake, unsubscribe := r.opts.Queue.subscribe()
	go func() {
		defer close(r.loopDone)
		defer unsubscribe()
		r.loop(ctx, jobsCtx, wake)
	}()
	go func() {
		defer close(r.maintDone)
		r.maintain(ctx)
	}()
	return nil
}

// recoverAtStart beats the first heartbeat and takes back lost nodes' jobs.
func (r *Runner) recoverAtStart(ctx context.Context) error {
	r.queries()
	if err := r.heartbeat(ctx); err != nil {
		return err
	}
	cutoff := time.Now().Add(-r.opts.NodeTimeout)
	if r.db.Dialect() == db.SQLite {
		cutoff = time.Now().Add(24 * time.Hour) // every other node counts as lost (see Start)
	}
	_, err := r.rescue(ctx, cutoff)
	return err
}

// Stop stops claiming jobs and waits for the running ones: up to
// StopTimeout, after which their contexts are cancelled and it waits for
// them to return (a Work that ignores its context delays Stop). Jobs
// interrupted that way go back to the queue without counting an attempt.
// Stop does nothing on a runner that never started or already stopped.
func (r *Runner) Stop() {
	r.mu.Lock()
	if !r.started || r.stopped {
		r.mu.Unlock()
		return
	}
	r.stopped = true
	close(r.stopping)
	r.mu.Unlock()

	<-r.loopDone
	done := make(chan struct{})
	go func() {
		r.jobs.Wait()
		close(done)
	}()
	timer := time.NewTimer(r.opts.StopTimeout)
	select {
	case <-done:
	case <-timer.C:
		r.log.Warn("jobs still running at shutdown: cancelling them", "node", r.nodeID)
		r.cancelJobs()
		<-done
	}
	timer.Stop()
	r.cancelJobs()
	<-r.maintDone

	// Forget the node now rather than after NodeTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := r.db.ExecContext(ctx, deleteNode, r.nodeID); err != nil {
		r.log.Warn("remove job node at shutdown", "node", r.nodeID, "error", err)
	}
}

// RunDue claims and works every job that is due now, batch after batch,
// until none is due, and returns how many it worked. It waits for the
// background loop's running jobs first and keeps the loop out meanwhile.
// It is for tests and tools; a started runner does this by itself.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	r.queries()
	if err := r.gate.acquireExclusive(ctx); err != nil {
		return 0, err
	}
	defer r.gate.releaseExclusive()
	stop, err := r.keepAlive(ctx)
	if err != nil {
		return 0, err
	}
	defer stop()
	return r.runDue(ctx)
}

// runDue is RunDue for a caller holding the exclusive gate.
func (r *Runner) runDue(ctx context.Context) (int, error) {
	total := 0
	for {
		jobs, err := r.claim(ctx, r.opts.Concurrency)
		var wg sync.WaitGroup
		wg.Add(len(jobs))
		r.workClaimed(ctx, jobs, func(n int) { wg.Add(-n) })
		wg.Wait()
		total += len(jobs)
		if err != nil || len(jobs) == 0 {
			return total, err
		}
	}
}

// keepAlive beats the heartbeat while a runner that was not started works
// jobs (RunDue, AdvanceTo), so that other nodes do not take them back.
func (r *Runner) keepAlive(ctx context.Context) (stop func(), err error) {
	r.mu.Lock()
	started := r.started && !r.stopped
	r.mu.Unlock()
	if started {
		return func() {}, nil
	}
	if err := r.heartbeat(ctx); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		ticker := time.NewTicker(r.opts.HeartbeatInterval)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				if err := r.heartbeat(ctx); err != nil && ctx.Err() == nil {
					r.log.Error("job node heartbeat", "node", r.nodeID, "error", err)
				}
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }, nil
}

// Stats are the runner's counters since it was created, for metrics.
type Stats struct {
	Worked    uint64 // runs of Work that returned (any outcome, panics included)
	Completed uint64 // runs that succeeded
	Retried   uint64 // runs that failed and were scheduled again
	Failed    uint64 // jobs that failed for good (out of attempts, or Cancel)
	Snoozed   uint64 // runs that returned Snooze
	Rescued   uint64 // jobs taken back from lost nodes
}

type counters struct {
	worked, completed, retried, failed, snoozed, rescued atomic.Uint64
}

// Stats returns the runner's counters.
func (r *Runner) Stats() Stats {
	return Stats{
		Worked: r.stats.worked.Load(), Completed: r.stats.completed.Load(), Retried: r.stats.retried.Load(),
		Failed: r.stats.failed.Load(), Snoozed: r.stats.snoozed.Load(), Rescued: r.stats.rescued.Load(),
	}
}
