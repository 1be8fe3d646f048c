package jobs

import (
	"context"
	"fmt"
	"strings"

	"github.com/kizukai/kizukai/internal/db"
)

// maxEnqueueRows bounds the rows of one multi-row INSERT: 7 parameters a
// row stay far below both engines' limits (PostgreSQL 65,535, SQLite 32,766).
const maxEnqueueRows = 500

const insertJobsHead = `INSERT INTO jobs (kind, shop_id, args, state, attempt, max_attempts, run_at, unique_key, created_at) VALUES `

// EnqueueMany inserts jobs through tx with one statement per 500 jobs, and
// returns how many were inserted. It is Enqueue for many jobs at once, with
// one difference: a job whose UniqueKey is taken is skipped without telling
// which job holds the key. On a *db.Tx, local runners are woken after
// commit when a job is due.
func (q *Queue) EnqueueMany(ctx context.Context, tx db.DBTX, ps []EnqueueParams) (int, error) {
	rows := make([]jobRow, len(ps))
	for i, p := range ps {
		r, err := q.row(p)
		if err != nil {
			return 0, err
		}
		rows[i] = r
	}
	inserted, due := 0, false
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), maxEnqueueRows)]
		rows = rows[len(chunk):]
		var b strings.Builder
		b.WriteString(insertJobsHead)
		args := make([]any, 0, 7*len(chunk))
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			if n := len(args); tx.Dialect() == db.Postgres {
				fmt.Fprintf(&b, "($%d, $%d, $%d, 'available', 0, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
			} else {
				b.WriteString("(?, ?, ?, 'available', 0, ?, ?, ?, ?)") // see param
			}
			args = append(args, r.kind, r.shopID, r.args, r.maxAttempts, r.runAt, r.uniqueKey, r.now)
			due = due || !r.runAt.After(r.now)
		}
		b.WriteString(" ON CONFLICT (unique_key) DO NOTHING")
		res, err := tx.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return inserted, fmt.Errorf("enqueue %d jobs: %w", len(chunk), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return inserted, fmt.Errorf("enqueue %d jobs: %w", len(chunk), err)
		}
		inserted += int(n)
	}
	if due && inserted > 0 {
		q.wakeAfter(tx)
	}
	return inserted, nil
}

// CompleteManyTx is CompleteTx for many jobs: one statement per 500 jobs.
func CompleteManyTx(ctx context.Context, tx db.DBTX, js []*Job) error {
	for len(js) > 0 {
		chunk := js[:min(len(js), maxEnqueueRows)]
		js = js[len(chunk):]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, j := range chunk {
			ph[i] = param(tx.Dialect(), i+1)
			args[i] = j.ID
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(completeJobs, strings.Join(ph, ", ")), args...); err != nil {
			return fmt.Errorf("complete %d jobs: %w", len(chunk), err)
		}
	}
	return nil
}

// param is the placeholder of the nth parameter: "$n" on PostgreSQL, a
// plain "?" on SQLite, which resolves every "$N" by a linear search of the
// names seen so far (costly in statements of hundreds of parameters).
func param(d db.Dialect, n int) string {
	if d == db.Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}
