package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
)

// AdvanceTo moves the simulated clock sim (which must be the runner's clock)
// to t and returns once every job due up to t has run, including jobs those
// jobs enqueue for times up to t. Each job runs with the clock standing at
// its own run_at, or later if it was already overdue, so that what a job
// records carries the time it was meant to run. Retries scheduled within t
// run too; jobs that keep failing stop at MaxAttempts, so it always ends.
// The background loop, if started, is kept out meanwhile, and jobs it was
// running are waited for. The clock's position is saved after every move
// (SaveSimulatedTime) so a restart continues from there.
func (r *Runner) AdvanceTo(ctx context.Context, sim *clock.Simulated, t time.Time) error {
	if clock.Clock(sim) != r.clk {
		return errors.New("advance: the simulated clock is not the runner's clock")
	}
	if t.Before(sim.Now()) {
		return fmt.Errorf("advance: %s is before the simulated now %s", t.Format(time.RFC3339), sim.Now().Format(time.RFC3339))
	}
	r.queries()
	if err := r.gate.acquireExclusive(ctx); err != nil {
		return fmt.Errorf("advance: %w", err)
	}
	defer r.gate.releaseExclusive()
	stop, err := r.keepAlive(ctx)
	if err != nil {
		return fmt.Errorf("advance: %w", err)
	}
	defer stop()

	idle := 0 // rounds in a row in which a due job could not be claimed
	for {
		next, ok, err := r.nextDue(ctx)
		if err != nil {
			return fmt.Errorf("advance: %w", err)
		}
		if !ok || next.After(t) {
			break
		}
		if err := r.moveClock(ctx, sim, next); err != nil {
			return err
		}
		n, err := r.runDue(ctx)
		if err != nil {
			return fmt.Errorf("advance: %w", err)
		}
		// A job can be due yet not claimable for a moment when another node
		// is claiming it; it should not stay so.
		if n > 0 {
			idle = 0
		} else if idle++; idle > 100 {
			return fmt.Errorf("advance: a job due at %s cannot be claimed", next.Format(time.RFC3339))
		}
	}
	return r.moveClock(ctx, sim, t)
}

// moveClock moves sim forward to t (never back) and saves its position.
func (r *Runner) moveClock(ctx context.Context, sim *clock.Simulated, t time.Time) error {
	if t.After(sim.Now()) {
		if err := sim.Set(t); err != nil {
			return fmt.Errorf("advance: %w", err)
		}
	}
	if err := SaveSimulatedTime(ctx, r.db, sim.Now()); err != nil {
		return fmt.Errorf("advance: %w", err)
	}
	return nil
}

// simClockKey is the kv row holding the simulated clock's position.
const simClockKey = "sim_clock"

const (
	loadSimClock = `SELECT value FROM kv WHERE key = $1`
	saveSimClock = `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
)

// LoadSimulatedTime returns the saved position of the simulated clock, and
// false if none was saved.
func LoadSimulatedTime(ctx context.Context, d db.DBTX) (time.Time, bool, error) {
	var v string
	err := d.QueryRowContext(ctx, loadSimClock, simClockKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("load simulated time: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("load simulated time: %w", err)
	}
	return t.UTC(), true, nil
}

// SaveSimulatedTime saves the position of the simulated clock.
func SaveSimulatedTime(ctx context.Context, d db.DBTX, t time.Time) error {
	t = t.UTC().Truncate(time.Microsecond)
	// updated_at is the simulated time too: domain code has no other clock.
	if _, err := d.ExecContext(ctx, saveSimClock, simClockKey, t.Format(time.RFC3339Nano), t); err != nil {
		return fmt.Errorf("save simulated time: %w", err)
	}
	return nil
}
