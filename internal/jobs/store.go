package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// The claim: one statement takes up to $3 due jobs of the registered kinds
// ($4...). PostgreSQL skips rows another node is claiming at the same
// moment; SQLite has one writer, so the plain form cannot hand a job out
// twice. RETURNING has no order, so claim sorts the jobs itself.
const (
	claimPG = `UPDATE jobs SET state = 'running', attempt = attempt + 1, locked_by = $1
WHERE id IN (SELECT id FROM jobs WHERE state = 'available' AND run_at <= $2 AND kind IN (%s)
             ORDER BY run_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING id, kind, shop_id, args, attempt, max_attempts, run_at`
	claimSQLite = `UPDATE jobs SET state = 'running', attempt = attempt + 1, locked_by = $1
WHERE id IN (SELECT id FROM jobs WHERE state = 'available' AND run_at <= $2 AND kind IN (%s)
             ORDER BY run_at, id LIMIT $3)
RETURNING id, kind, shop_id, args, attempt, max_attempts, run_at`

	// nextDue is the earliest job the runner could claim (for AdvanceTo).
	// Not MIN(run_at): SQLite would return it as text, without the column's
	// type, and it would not scan into a time.Time.
	nextDue = `SELECT run_at FROM jobs WHERE state = 'available' AND kind IN (%s) ORDER BY run_at, id LIMIT 1`
)

// kindQueries are the claim and nextDue statements for one set of kinds,
// built once when the runner's registrations are frozen. Kinds travel as
// parameters; only their count shapes the SQL.
type kindQueries struct {
	claim string
	next  string
	kinds []any
}

func buildKindQueries(d db.Dialect, kinds []string) kindQueries {
	slices.Sort(kinds)
	ph := make([]string, len(kinds))
	next := make([]string, len(kinds))
	args := make([]any, len(kinds))
	for i, k := range kinds {
		ph[i] = fmt.Sprintf("$%d", i+4) // after node, now and limit
		next[i] = fmt.Sprintf("$%d", i+1)
		args[i] = k
	}
	if len(kinds) == 0 {
		// No worker: nothing can be claimed. IN () is not valid SQL.
		ph, next = []string{"NULL"}, []string{"NULL"}
	}
	return kindQueries{
		claim: fmt.Sprintf(d.Pick(claimPG, claimSQLite), strings.Join(ph, ", ")),
		next:  fmt.Sprintf(nextDue, strings.Join(next, ", ")),
		kinds: args,
	}
}

func (r *Runner) claim(ctx context.Context, limit int) ([]*Job, error) {
	q := r.queries()
	args := append([]any{r.nodeID, r.clk.Now(), limit}, q.kinds...)
	rows, err := r.db.QueryContext(ctx, q.claim, args...)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	defer rows.Close()
	var jobs []*Job
	for rows.Next() {
		var j Job
		var args string
		if err := rows.Scan(&j.ID, &j.Kind, &j.ShopID, &args, &j.Attempt, &j.MaxAttempts, &j.RunAt); err != nil {
			return jobs, fmt.Errorf("claim jobs: %w", err)
		}
		j.Args = []byte(args)
		jobs = append(jobs, &j)
	}
	if err := rows.Err(); err != nil {
		return jobs, fmt.Errorf("claim jobs: %w", err)
	}
	slices.SortFunc(jobs, func(a, b *Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return jobs, nil
}

// nextDue returns the earliest run_at among jobs this runner could claim.
func (r *Runner) nextDue(ctx context.Context) (time.Time, bool, error) {
	q := r.queries()
	var t time.Time
	err := r.db.QueryRowContext(ctx, q.next, q.kinds...).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next due job: %w", err)
	}
	return t, true, nil
}

// The outcome of one claim. A failure, snooze or release matches the claim
// exactly (node and attempt), so it does nothing if the job was taken back
// from this node and claimed again meanwhile. A success deletes by id alone,
// like CompleteTx: whichever run succeeded, the job is done.
const (
	completeJobs = `DELETE FROM jobs WHERE id IN (%s)`
	retryJob     = `UPDATE jobs SET state = $4, run_at = $5, last_error = $6, locked_by = NULL
WHERE id = $1 AND locked_by = $2 AND attempt = $3 AND state = 'running'`
	// releaseJob is for snoozes and shutdowns: the attempt does not count.
	releaseJob = `UPDATE jobs SET state = 'available', attempt = attempt - 1, run_at = $4, locked_by = NULL
WHERE id = $1 AND locked_by = $2 AND attempt = $3 AND state = 'running'`
)

// maxCompleteBatch bounds the ids of one completion statement.
const maxCompleteBatch = 200

// completer deletes the rows of succeeded jobs, many per statement: each
// commit costs an fsync on both engines, and one per job capped throughput
// at a few thousand jobs a second. The first job to arrive deletes its own
// row and those of every job that arrives while it works; the others wait
// for that statement, so a job's row is gone when its run returns.
type completer struct {
	db      *db.DB
	mu      sync.Mutex
	pending []completion
	busy    bool
}

type completion struct {
	id   int64
	done chan error
}

func (c *completer) complete(ctx context.Context, id int64) error {
	me := completion{id: id, done: make(chan error, 1)}
	c.mu.Lock()
	c.pending = append(c.pending, me)
	if c.busy {
		c.mu.Unlock()
		return <-me.done
	}
	c.busy = true
	for len(c.pending) > 0 {
		batch := c.pending[:min(len(c.pending), maxCompleteBatch)]
		c.pending = c.pending[len(batch):]
		c.mu.Unlock()
		err := c.deleteRows(ctx, batch)
		for _, b := range batch {
			b.done <- err
		}
		c.mu.Lock()
	}
	c.pending = nil
	c.busy = false
	c.mu.Unlock()
	return <-me.done
}

func (c *completer) deleteRows(ctx context.Context, batch []completion) error {
	ph := make([]string, len(batch))
	args := make([]any, len(batch))
	for i, b := range batch {
		ph[i] = fmt.Sprintf("$%d", i+1)
		args[i] = b.id
	}
	if _, err := c.db.ExecContext(ctx, fmt.Sprintf(completeJobs, strings.Join(ph, ", ")), args...); err != nil {
		return fmt.Errorf("complete %d jobs: %w", len(batch), err)
	}
	return nil
}

func (r *Runner) reschedule(ctx context.Context, j *Job, state string, runAt time.Time, lastErr string) error {
	if _, err := r.db.ExecContext(ctx, retryJob, j.ID, r.nodeID, j.Attempt, state, runAt, lastErr); err != nil {
		return fmt.Errorf("record failure of job %d: %w", j.ID, err)
	}
	return nil
}

func (r *Runner) release(ctx context.Context, j *Job, runAt time.Time) error {
	if _, err := r.db.ExecContext(ctx, releaseJob, j.ID, r.nodeID, j.Attempt, runAt); err != nil {
		return fmt.Errorf("release job %d: %w", j.ID, err)
	}
	return nil
}

// Heartbeats and the crash sweep run on wall time, not domain time (see the
// package doc), taken from each node's system clock: nodes' clocks must
// agree to well within NodeTimeout, which NTP gives.
const (
	heartbeat = `INSERT INTO job_nodes (id, seen_at) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`

	// A job whose node has not been seen since the cutoff is taken back. The
	// crashed run counted as an attempt, so a job that kills its process
	// every time still ends in 'failed'.
	rescueJobs = `UPDATE jobs SET state = CASE WHEN attempt >= max_attempts THEN 'failed' ELSE 'available' END,
    locked_by = NULL, last_error = 'worker node ' || locked_by || ' lost while running the job'
WHERE state = 'running' AND locked_by <> $1
  AND locked_by NOT IN (SELECT id FROM job_nodes WHERE seen_at > $2)`
	deleteStaleNodes = `DELETE FROM job_nodes WHERE seen_at <= $1 AND id <> $2`
	deleteNode       = `DELETE FROM job_nodes WHERE id = $1`
)

func (r *Runner) heartbeat(ctx context.Context) error {
	if _, err := r.db.ExecContext(ctx, heartbeat, r.nodeID, time.Now()); err != nil {
		return fmt.Errorf("job node heartbeat: %w", err)
	}
	return nil
}

// rescue takes back the running jobs of other nodes not seen since cutoff
// and forgets those nodes. It returns how many jobs it took back.
func (r *Runner) rescue(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := r.db.ExecContext(ctx, rescueJobs, r.nodeID, cutoff)
	if err != nil {
		return 0, fmt.Errorf("take back jobs of lost nodes: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("take back jobs of lost nodes: %w", err)
	}
	if _, err := r.db.ExecContext(ctx, deleteStaleNodes, cutoff, r.nodeID); err != nil {
		return n, fmt.Errorf("delete lost job nodes: %w", err)
	}
	if n > 0 {
		r.stats.rescued.Add(uint64(n))
		r.log.Warn("took back jobs of lost worker nodes", "jobs", n, "node", r.nodeID)
	}
	return n, nil
}
