package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
)

// DefaultMaxAttempts is used when EnqueueParams.MaxAttempts is 0. With the
// attempt⁴ backoff capped at 6 h, 25 attempts span about 3.5 days.
const DefaultMaxAttempts = 25

// EnqueueParams describe a job to enqueue.
type EnqueueParams struct {
	Kind   string
	ShopID string // "" for instance-wide jobs
	Args   any    // marshalled to JSON; nil becomes {}
	// RunAt is when the job becomes due; zero means the queue clock's now.
	RunAt time.Time
	// UniqueKey, when set, makes a second Enqueue with the same key a no-op
	// for as long as the first job's row exists (until it succeeds; a job
	// that failed for good keeps its row and so its key).
	UniqueKey string
	// MaxAttempts bounds the runs; 0 means DefaultMaxAttempts.
	MaxAttempts int
}

// Queue enqueues jobs and wakes the runners of this process when a job
// becomes visible. Create one per process and share it between the
// services that enqueue and the Runner (RunnerOptions.Queue).
type Queue struct {
	clk clock.Clock

	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

// NewQueue returns a queue that reads "now" from clk.
func NewQueue(clk clock.Clock) *Queue {
	return &Queue{clk: clk, subs: make(map[chan struct{}]struct{})}
}

const (
	insertJob = `INSERT INTO jobs (kind, shop_id, args, state, attempt, max_attempts, run_at, unique_key, created_at)
VALUES ($1, $2, $3, 'available', 0, $4, $5, $6, $7)
ON CONFLICT (unique_key) DO NOTHING
RETURNING id`
	jobByUniqueKey = `SELECT id FROM jobs WHERE unique_key = $1`
)

// Enqueue inserts a job through tx: a transaction (the usual case: the job
// then exists only if the state change it follows commits) or the DB. It
// returns the job's id and whether it was inserted; with a UniqueKey already
// taken it returns the existing job's id and false (id 0 if that job
// finished in between). On a *db.Tx, local runners are woken after commit.
func (q *Queue) Enqueue(ctx context.Context, tx db.DBTX, p EnqueueParams) (int64, bool, error) {
	row, err := q.row(p)
	if err != nil {
		return 0, false, err
	}
	now, runAt, uniqueKey := row.now, row.runAt, row.uniqueKey

	var id int64
	err = tx.QueryRowContext(ctx, insertJob, p.Kind, p.ShopID, row.args, row.maxAttempts, runAt, uniqueKey, now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		// The unique key is taken: report the job that holds it.
		err = tx.QueryRowContext(ctx, jobByUniqueKey, p.UniqueKey).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("enqueue %s: find job with the same unique key: %w", p.Kind, err)
		}
		return id, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("enqueue %s: %w", p.Kind, err)
	}

	if !runAt.After(now) {
		q.wakeAfter(tx)
	}
	return id, true, nil
}

// wakeAfter wakes the local runners once tx commits (at once on the DB).
func (q *Queue) wakeAfter(tx db.DBTX) {
	switch t := tx.(type) {
	case interface{ AfterCommit(func()) }:
		t.AfterCommit(q.wake)
	case *db.DB:
		q.wake()
	}
}

// jobRow is an EnqueueParams checked and filled with its defaults.
type jobRow struct {
	kind, shopID, args string
	maxAttempts        int
	runAt, now         time.Time
	uniqueKey          *string
}

// row checks p and fills its defaults.
func (q *Queue) row(p EnqueueParams) (jobRow, error) {
	if p.Kind == "" {
		return jobRow{}, errors.New("enqueue: job kind is empty")
	}
	if p.MaxAttempts < 0 {
		return jobRow{}, fmt.Errorf("enqueue %s: max attempts %d is negative", p.Kind, p.MaxAttempts)
	}
	r := jobRow{kind: p.Kind, shopID: p.ShopID, args: "{}", maxAttempts: p.MaxAttempts, runAt: p.RunAt, now: q.clk.Now()}
	if r.maxAttempts == 0 {
		r.maxAttempts = DefaultMaxAttempts
	}
	if p.Args != nil {
		b, err := json.Marshal(p.Args)
		if err != nil {
			return jobRow{}, fmt.Errorf("enqueue %s: marshal args: %w", p.Kind, err)
		}
		r.args = string(b)
	}
	if r.runAt.IsZero() {
		r.runAt = r.now
	}
	if p.UniqueKey != "" {
		r.uniqueKey = &p.UniqueKey
	}
	return r, nil
}

// subscribe returns a channel that receives a signal (coalesced) whenever a
// due job is enqueued, and the function that ends the subscription.
func (q *Queue) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	q.mu.Lock()
	q.subs[ch] = struct{}{}
	q.mu.Unlock()
	return ch, func() {
		q.mu.Lock()
		delete(q.subs, ch)
		q.mu.Unlock()
	}
}

func (q *Queue) wake() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for ch := range q.subs {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

const deleteJob = `DELETE FROM jobs WHERE id = $1`

// CompleteTx deletes the job's row through tx, the worker's own transaction,
// so that the job's effects and its completion commit together: a crash can
// then no longer run it again after its effects committed. The runner's own
// delete after Work returns nil is a harmless no-op.
func CompleteTx(ctx context.Context, tx db.DBTX, j *Job) error {
	if _, err := tx.ExecContext(ctx, deleteJob, j.ID); err != nil {
		return fmt.Errorf("complete %s job %d: %w", j.Kind, j.ID, err)
	}
	return nil
}
