package journey

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

// Workers returns the engine's job workers (journey.step), to register
// with the runner during wiring.
func (s *Service) Workers() []jobs.Worker {
	return []jobs.Worker{jobs.Func(KindStep, s.workStep)}
}

// workStep executes a run from its current step until a wait that ends in
// the future or the run's end, all in one transaction with the job's
// completion: a crash either leaves the job to run again with nothing done
// or commits the steps and the job's deletion together. A job whose run
// has ended or moved on (a duplicate) completes without doing anything.
func (s *Service) workStep(ctx context.Context, j *jobs.Job) error {
	var a stepArgs
	if err := j.Decode(&a); err != nil {
		return jobs.Cancel(err)
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		// Lock the customer before the run, in the order every other writer
		// of runs takes them (an order's transaction locks its customers,
		// then its subscriber ends runs; erasure updates the customer, then
		// the runs), so that PostgreSQL never sees the two wait on each other.
		r, err := runForUpdate(ctx, tx, j.ShopID, a.RunID, false)
		if errors.Is(err, sql.ErrNoRows) {
			return jobs.CompleteTx(ctx, tx, j)
		}
		if err != nil {
			return err
		}
		if err := policy.LockCustomer(ctx, tx, j.ShopID, r.CustomerID); err != nil {
			return err
		}
		if r, err = runForUpdate(ctx, tx, j.ShopID, a.RunID, true); err != nil {
			return err
		}
		if r.Status == RunActive && r.StepIndex == a.Step {
			if err := s.advance(ctx, tx, j.ShopID, &r); err != nil {
				return err
			}
		}
		return jobs.CompleteTx(ctx, tx, j)
	})
}

// advance executes the run's due steps, saves its position and schedules
// its next step.
func (s *Service) advance(ctx context.Context, tx db.DBTX, shopID string, r *Run) error {
	def, err := s.definition(ctx, tx, shopID, r.JourneyID, r.Version)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	f := &factSource{s: s, ctx: ctx, tx: tx, shopID: shopID, run: r}
	for r.Status == RunActive {
		if r.StepIndex >= len(def.Steps) {
			r.Status, r.ExitReason, r.EndedAt = RunCompleted, "end", &now
			break
		}
		if r.StepAt.After(now) {
			break
		}
		st := &def.Steps[r.StepIndex]
		out, err := s.execute(ctx, tx, shopID, r, def, st, f, now)
		if err != nil {
			return fmt.Errorf("run %s step %s: %w", r.ID, st.ID, err)
		}
		if err := insertLog(ctx, tx, shopID, r, LogEntry{StepID: st.ID, StepType: st.Type, PlannedAt: out.planned,
			DoneAt: now, Outcome: out.outcome, Detail: out.detail}); err != nil {
			return err
		}
		switch {
		case out.end:
			r.Status, r.ExitReason, r.EndedAt = RunCompleted, "exit_step:"+st.ID, &now
		case out.jump >= 0:
			r.StepIndex = out.jump
		default:
			r.StepIndex++
		}
	}
	if err := saveRun(ctx, tx, shopID, r, now); err != nil {
		return err
	}
	if r.Status == RunActive {
		return s.enqueueStep(ctx, tx, shopID, r, now)
	}
	return nil
}

// stepResult is what executing one step did.
type stepResult struct {
	planned time.Time
	outcome string
	detail  string
	jump    int  // the next step's index, or -1 for the following one
	end     bool // the run ends here
}

// execute performs one step. Waits move the run's planned time; every
// other step happens at the planned time it was reached at.
func (s *Service) execute(ctx context.Context, tx db.DBTX, shopID string, r *Run, def *Definition, st *Step, f *factSource, now time.Time) (stepResult, error) {
	if res, ok, err := flow(r, def, st, f); ok || err != nil {
		return res, err
	}
	res := stepResult{planned: r.StepAt, jump: -1}
	switch st.Type {
	case StepSend:
		return s.send(ctx, tx, shopID, r, st, f, now, res)
	case StepTask, StepCoupon:
		typ, key := EventTaskCreated, "task"
		if st.Type == StepCoupon {
			typ, key = EventCouponRequested, "campaign"
		}
		e, _, err := s.Events.Record(ctx, tx, event.RecordParams{
			ShopID: shopID, CustomerID: r.CustomerID, Type: typ, ExternalID: "run:" + r.ID + ":" + st.ID,
			OccurredAt: now, Now: now,
			Data: map[string]string{key: st.Title, "journey_id": r.JourneyID, "run_id": r.ID, "step_id": st.ID, "order_id": r.Context.OrderID},
		})
		if err != nil {
			return res, err
		}
		res.outcome, res.detail = "recorded", e.ID
	}
	return res, nil
}

// flow performs the steps that only move the run (wait, wait_until,
// branch, exit) and reports whether st was one; the dry-run shares it.
func flow(r *Run, def *Definition, st *Step, f *factSource) (stepResult, bool, error) {
	res := stepResult{planned: r.StepAt, jump: -1}
	switch st.Type {
	case StepWait:
		d, err := parseDuration(st.Duration)
		if err != nil {
			return res, true, err
		}
		r.StepAt = r.StepAt.Add(d)
		res.outcome, res.detail = "waited", r.StepAt.Format(time.RFC3339)
	case StepWaitUntil:
		target, ok, err := f.anchor(st)
		if err != nil {
			return res, true, err
		}
		if ok && target.After(r.StepAt) {
			r.StepAt = target
			res.outcome, res.detail = "waited", target.Format(time.RFC3339)
		} else {
			res.outcome = "no_wait" // the time has passed, or there is no anchor (no consumable)
		}
	case StepBranch:
		ok, err := f.holds(st.If)
		if err != nil {
			return res, true, err
		}
		target, taken := st.Else, "else"
		if ok {
			target, taken = st.Then, "then"
		}
		res.outcome, res.detail = "branched", taken
		if target != "" {
			// Validate guarantees the target exists and lies ahead.
			res.jump = def.stepIndex(target)
			res.detail = taken + ":" + target
		}
	case StepExit:
		res.outcome, res.end = "exited", true
	default:
		return res, false, nil
	}
	return res, true, nil
}

// send plans the step's message: scheduled, due at the step's planned time
// (or now, when that has passed), judged by the policy when due.
func (s *Service) send(ctx context.Context, tx db.DBTX, shopID string, r *Run, st *Step, f *factSource, now time.Time, res stepResult) (stepResult, error) {
	sku, ok, err := f.sendSKU(st)
	if err != nil {
		return res, err
	}
	if !ok {
		res.outcome = "skipped_no_consumable"
		return res, nil
	}
	due := r.StepAt
	if due.Before(now) {
		due = now
	}
	m, _, err := s.Messages.CreateTx(ctx, tx, message.CreateParams{
		ShopID: shopID, CustomerID: r.CustomerID, JourneyID: r.JourneyID, JourneyVersion: r.Version, RunID: r.ID,
		StepID: st.ID, OrderID: r.Context.OrderID, SKU: sku, TemplateKey: st.Template, Purpose: policy.Purpose(st.Purpose),
		Channel: st.Channel, DueAt: due, DedupeKey: "run:" + r.ID + ":" + st.ID,
	})
	if err != nil {
		return res, err
	}
	res.outcome, res.detail = "planned", m.ID
	return res, nil
}
