package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/jobs"
)

// The freshness sweep: time alone moves customers from fresh to cooling,
// stale and lost. Every stored freshness has next_band_at, the first
// instant of the next band; the job freshness.sweep takes the customers
// whose next_band_at has come, stores their new band and records
// freshness.band_entered, then enqueues itself at the next earliest
// next_band_at, or when a shop's median gap is due for recomputation
// (shopGapDelay after it was computed, once orders have come since), at
// most maxSweepDelay ahead. Under the simulated clock, jobs run at
// their exact run_at, so a band is entered at its exact instant; in real
// time the stored band lags by the runner's delay (its poll interval, 1 s
// by default, plus the sweep's own run).
//
// Scheduling: the job with UniqueKey "freshness.sweep" is the sweep's chain.
// A recomputation that sets a next_band_at sooner than maxSweepDelay (an
// imported historical order, a backfill) cannot know when the chain runs
// next, so it also enqueues a job at that exact instant, keyed by it
// ("freshness.sweep@<unix µs>", so one per instant); so does the first order
// batch after a shop's gap was computed, for the gap's recomputation. Such
// instants are rare: a band change follows a recomputation by at least the
// interval (≥ 1 day) except for orders dated in the past.
//
// Why a cap of a day and not an hour: every run costs a few commits
// (≈ 30 ms on PostgreSQL under load), and the simulated clock runs every
// one of them; hourly runs made advancing 70 days take 50 s on PostgreSQL.
// Gap drift does not need the hourly wake-up: orders mark it (dirty_at).

// SweepKind is the job kind of the freshness sweep.
const SweepKind = "freshness.sweep"

const (
	sweepKey        = "freshness.sweep"
	maxSweepDelay   = 24 * time.Hour // the chain runs at least this often
	shopGapDelay    = time.Hour      // a shop's median gap is recomputed this long after new orders, at most
	sweepBatch      = 1000           // customers per transaction
	maxSweepBatches = 100            // per run; a larger backlog continues in the next run, at once
	shopGapsPerRun  = 20
	sweepTimeout    = 10 * time.Minute
)

// UseQueue makes the service enqueue its jobs through q, the queue of the
// process's runner, so that a sweep due now wakes the runner at once.
// Without it the service uses a queue of its own and the runner finds its
// jobs by polling. Call it during start-up wiring only.
func (s *Service) UseQueue(q *jobs.Queue) { s.queue = q }

// Workers returns the customer package's job workers: the freshness sweep.
func (s *Service) Workers() []jobs.Worker { return []jobs.Worker{sweepWorker{s: s}} }

// EnsureSweep enqueues the freshness sweep to run now unless it is
// enqueued already. Call it at start-up.
func (s *Service) EnsureSweep(ctx context.Context) error {
	if _, _, err := s.queue.Enqueue(ctx, s.db, jobs.EnqueueParams{Kind: SweepKind, UniqueKey: sweepKey, RunAt: s.clock.Now()}); err != nil {
		return fmt.Errorf("ensure freshness sweep: %w", err)
	}
	return nil
}

type sweepWorker struct{ s *Service }

func (w sweepWorker) Kind() string                                { return SweepKind }
func (w sweepWorker) Timeout() time.Duration                      { return sweepTimeout }
func (w sweepWorker) Work(ctx context.Context, j *jobs.Job) error { return w.s.sweep(ctx, j) }

// sweep is one run of the job: stale shop gaps first (they may move
// customers' next_band_at), then the due customers in batches, then the
// next run.
func (s *Service) sweep(ctx context.Context, j *jobs.Job) error {
	now := s.clock.Now()
	if err := s.refreshShopGaps(ctx, now); err != nil {
		return err
	}
	for range maxSweepBatches {
		var n int
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			var err error
			if n, err = s.sweepBatch(ctx, tx, now); err != nil || n == sweepBatch {
				return err
			}
			return s.scheduleNext(ctx, tx, j, now, false)
		})
		if err != nil {
			return err
		}
		if n < sweepBatch {
			return nil
		}
	}
	return s.db.InTx(ctx, func(tx *db.Tx) error { return s.scheduleNext(ctx, tx, j, now, true) })
}

const earliestNextBandSQL = `SELECT next_band_at FROM customer_freshness WHERE next_band_at IS NOT NULL ORDER BY next_band_at LIMIT 1`

// scheduleNext completes j in tx and enqueues the chain's next run: at now
// when more are due (more), else at the earliest next_band_at, at most
// maxSweepDelay ahead. Rows skipped as locked (PostgreSQL) are retried a
// second later. When j is an instant job and the chain is enqueued, the
// Enqueue does nothing.
func (s *Service) scheduleNext(ctx context.Context, tx db.DBTX, j *jobs.Job, now time.Time, more bool) error {
	if err := jobs.CompleteTx(ctx, tx, j); err != nil {
		return err
	}
	at := now
	if !more {
		at = now.Add(maxSweepDelay)
		var next time.Time
		err := tx.QueryRowContext(ctx, earliestNextBandSQL).Scan(&next)
		switch {
		case err == nil && !next.After(now):
			at = now.Add(time.Second)
		case err == nil && next.Before(at):
			at = next
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("earliest next band: %w", err)
		}
		var dirty time.Time
		err = tx.QueryRowContext(ctx, earliestDirtySQL).Scan(&dirty)
		switch {
		case err == nil:
			at = minTime(at, maxTime(dirty.Add(shopGapDelay), now))
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("earliest shop gap: %w", err)
		}
	}
	if _, _, err := s.queue.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: SweepKind, UniqueKey: sweepKey, RunAt: at}); err != nil {
		return fmt.Errorf("schedule freshness sweep: %w", err)
	}
	return nil
}

// sweepAt enqueues a sweep at the exact instant at, once per instant.
func (s *Service) sweepAt(ctx context.Context, tx db.DBTX, at time.Time) error {
	if _, _, err := s.queue.Enqueue(ctx, tx, sweepAtParams(at)); err != nil {
		return fmt.Errorf("schedule freshness sweep: %w", err)
	}
	return nil
}

// sweepAtParams is the job of a sweep at the exact instant at, keyed by it.
func sweepAtParams(at time.Time) jobs.EnqueueParams {
	key := sweepKey + "@" + strconv.FormatInt(at.UnixMicro(), 10)
	return jobs.EnqueueParams{Kind: SweepKind, UniqueKey: key, RunAt: at}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// sweepSoon enqueues a sweep at each distinct next_band_at of rows that
// falls within maxSweepDelay of now, which the chain might run after, in
// one multi-row INSERT per 500 instants (a backfill of a million
// customers has some ten thousand such instants).
func (s *Service) sweepSoon(ctx context.Context, tx db.DBTX, rows []freshnessRow, now time.Time) error {
	seen := map[int64]bool{}
	var ps []jobs.EnqueueParams
	for _, r := range rows {
		if r.next == nil || !r.next.Before(now.Add(maxSweepDelay)) || seen[r.next.UnixMicro()] {
			continue
		}
		seen[r.next.UnixMicro()] = true
		ps = append(ps, sweepAtParams(*r.next))
	}
	if len(ps) == 0 {
		return nil
	}
	if _, err := s.queue.EnqueueMany(ctx, tx, ps); err != nil {
		return fmt.Errorf("schedule freshness sweep: %w", err)
	}
	return nil
}

// dueSQL takes the customers of every shop whose next band has come, the
// earliest first. On PostgreSQL, SKIP LOCKED leaves customers whose order
// is being recorded to that transaction (which recomputes them anyway):
// the refresh locks the customers row, then writes customer_freshness, so
// both rows are locked here, and a row changed meanwhile is rechecked.
const (
	dueColumns = `SELECT f.shop_id, f.customer_id, f.latest_order_at, f.expected_interval_seconds, f.freshness_rule,
	f.freshness_band, c.erased_at
FROM customer_freshness f JOIN customers c ON c.shop_id = f.shop_id AND c.id = f.customer_id
WHERE f.next_band_at <= $1 ORDER BY f.next_band_at LIMIT $2`
	duePG     = dueColumns + ` FOR UPDATE OF c, f SKIP LOCKED`
	dueSQLite = dueColumns
)

// sweepBatch moves up to sweepBatch due customers to their band at now,
// recording one freshness.band_entered per band entered (a sweep that
// runs late records each band passed, at its own instant), and returns how
// many it took. Erased customers lose their stored freshness, silently
// (Erase deletes it; this covers rows written while an erasure ran).
func (s *Service) sweepBatch(ctx context.Context, tx db.DBTX, now time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, tx.Dialect().Pick(duePG, dueSQLite), now, sweepBatch)
	if err != nil {
		return 0, fmt.Errorf("due freshness: %w", err)
	}
	defer rows.Close()
	var out, erased []freshnessRow
	var evs []event.RecordParams
	for rows.Next() {
		var r freshnessRow
		var latest, erasedAt sql.NullTime
		var secs sql.NullFloat64
		var rule sql.NullInt64
		var band sql.NullString
		if err := rows.Scan(&r.shopID, &r.id, &latest, &secs, &rule, &band, &erasedAt); err != nil {
			return 0, fmt.Errorf("scan due freshness: %w", err)
		}
		if erasedAt.Valid || !latest.Valid || !secs.Valid {
			erased = append(erased, r)
			continue
		}
		l, interval := latest.Time.UTC(), fromSeconds(secs.Float64)
		i := bandIndex(max(now.Sub(l), 0), interval)
		prev := bandPos(band.String)
		for k := prev + 1; k <= i; k++ {
			previous := ""
			if k > 0 {
				previous = Bands[k-1]
			}
			evs = append(evs, bandEvent(r.shopID, r.id, Bands[k], previous, bandStart(l, interval, k), now))
		}
		since := bandStart(l, interval, i)
		r.latest, r.interval, r.rule, r.band, r.since = &l, interval, int(rule.Int64), Bands[i], &since
		if i+1 < len(Bands) {
			next := bandStart(l, interval, i+1)
			r.next = &next
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("due freshness: %w", err)
	}
	if err := writeFreshness(ctx, tx, out, now); err != nil {
		return 0, err
	}
	for _, r := range erased {
		if _, err := tx.ExecContext(ctx, deleteFreshnessSQL, r.shopID, r.id); err != nil {
			return 0, fmt.Errorf("forget freshness: %w", err)
		}
	}
	if len(evs) > 0 {
		if _, _, err := s.events.RecordMany(ctx, tx, evs); err != nil {
			return 0, fmt.Errorf("record band changes: %w", err)
		}
	}
	return len(out) + len(erased), nil
}

// bandPos is the index of band in Bands, -1 for none.
func bandPos(band string) int {
	for i, b := range Bands {
		if b == band {
			return i
		}
	}
	return -1
}

const rederiveSQL = `SELECT f.customer_id FROM customer_freshness f
JOIN customers c ON c.shop_id = f.shop_id AND c.id = f.customer_id AND c.erased_at IS NULL
WHERE f.shop_id = $1 AND f.freshness_rule IN (3, 4) AND f.customer_id > $2 ORDER BY f.customer_id LIMIT $3`

// refreshShopGaps recomputes the median gaps computed at least
// shopGapDelay ago that have new orders since (a few shops per run; the
// next run comes at once if more are due) and, when one changed, the
// freshness of the shop's customers whose interval came from it (rule 3)
// or from the 30-day default (rule 4, which a first gap replaces).
func (s *Service) refreshShopGaps(ctx context.Context, now time.Time) error {
	shops, err := stringColumn(ctx, s.db, staleShopGapsSQL, now.Add(-shopGapDelay), shopGapsPerRun)
	if err != nil {
		return fmt.Errorf("stale shop gaps: %w", err)
	}
	for _, shopID := range shops {
		old, _, err := storedShopGap(ctx, s.db, shopID)
		if err != nil {
			return err
		}
		// Read every order outside the write transaction (SQLite's writer
		// would wait meanwhile).
		gap, err := newFreshnessCalc(s.db, shopID, now).shopMedianGap(ctx)
		if err != nil {
			return err
		}
		if gap != nil {
			g := gap.Round(time.Microsecond)
			gap = &g
		}
		if err := s.db.InTx(ctx, func(tx *db.Tx) error { return storeShopGap(ctx, tx, shopID, gap, now) }); err != nil {
			return err
		}
		if (old == nil) == (gap == nil) && (old == nil || *old == *gap) {
			continue
		}
		for after := ""; ; {
			ids, err := stringColumn(ctx, s.db, rederiveSQL, shopID, after, maxInList)
			if err != nil {
				return fmt.Errorf("customers to rederive: %w", err)
			}
			if len(ids) == 0 {
				break
			}
			if err := s.db.InTx(ctx, func(tx *db.Tx) error { return s.refresh(ctx, tx, shopID, ids, now) }); err != nil {
				return err
			}
			after = ids[len(ids)-1]
		}
	}
	return nil
}

// stringColumn runs q and returns its single text column.
func stringColumn(ctx context.Context, d db.DBTX, q string, args ...any) ([]string, error) {
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
