package journey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
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
//
// Jobs worked at the same time share transactions (batch.go): one commit
// and one statement per kind of write for many runs.
func (s *Service) workStep(ctx context.Context, j *jobs.Job) error {
	var a stepArgs
	if err := j.Decode(&a); err != nil {
		return jobs.Cancel(err)
	}
	return s.batcher().do(ctx, &stepCall{job: j, args: a}, s.workSteps)
}

// advanceRuns advances the runs of calls, all of one shop, in tx. It locks
// the customers before the runs, in the order every other writer of runs
// takes them (an order's transaction locks its customers, then its
// subscriber ends runs; erasure updates the customer, then the runs), so
// that PostgreSQL never sees the two wait on each other.
func (s *Service) advanceRuns(ctx context.Context, tx db.DBTX, shopID string, calls []*stepCall, w *stepWriter) error {
	runIDs := make([]string, 0, len(calls))
	var unknown []string // runs whose job does not name the customer
	for _, c := range calls {
		runIDs = append(runIDs, c.args.RunID)
		if c.args.CustomerID == "" {
			unknown = append(unknown, c.args.RunID)
		}
	}
	customers := make([]string, 0, len(calls))
	for _, c := range calls {
		if c.args.CustomerID != "" {
			customers = append(customers, c.args.CustomerID)
		}
	}
	if len(unknown) > 0 {
		m, err := runCustomers(ctx, tx, shopID, unknown)
		if err != nil {
			return err
		}
		for _, cid := range m {
			customers = append(customers, cid)
		}
	}
	slices.Sort(customers)
	if err := lockCustomers(ctx, tx, shopID, slices.Compact(customers)); err != nil {
		return err
	}
	runs, err := runsForUpdate(ctx, tx, shopID, runIDs)
	if err != nil {
		return err
	}
	for _, c := range calls {
		r, ok := runs[c.args.RunID]
		if !ok || r.Status != RunActive || r.StepIndex != c.args.Step {
			continue // gone, ended or moved on: a duplicate
		}
		if c.args.CustomerID != "" && c.args.CustomerID != r.CustomerID {
			return fmt.Errorf("run %s: job names customer %s, run has %s", r.ID, c.args.CustomerID, r.CustomerID)
		}
		if err := s.advance(ctx, tx, shopID, r, w); err != nil {
			return err
		}
	}
	return nil
}

// stepWriter collects what advancing runs writes in bulk: log rows and
// the next journey.step jobs.
type stepWriter struct {
	logs  []logRow
	sends []message.CreateParams
	// sendLogs[i] is the log row whose detail is the ID of sends[i].
	sendLogs []int
	saved    []savedRun
	next     []jobs.EnqueueParams
}

// advance executes the run's due steps, saves its position and schedules
// its next step (through w).
func (s *Service) advance(ctx context.Context, tx db.DBTX, shopID string, r *Run, w *stepWriter) error {
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
		out, err := s.execute(ctx, tx, shopID, r, def, st, f, now, w)
		if err != nil {
			return fmt.Errorf("run %s step %s: %w", r.ID, st.ID, err)
		}
		if out.send {
			w.sendLogs = append(w.sendLogs, len(w.logs))
		}
		w.logs = append(w.logs, logRow{shopID: shopID, runID: r.ID, customerID: r.CustomerID, stepIndex: r.StepIndex,
			e: LogEntry{StepID: st.ID, StepType: st.Type, PlannedAt: out.planned, DoneAt: now, Outcome: out.outcome, Detail: out.detail}})
		switch {
		case out.end:
			r.Status, r.ExitReason, r.EndedAt = RunCompleted, "exit_step:"+st.ID, &now
		case out.jump >= 0:
			r.StepIndex = out.jump
		default:
			r.StepIndex++
		}
	}
	w.saved = append(w.saved, savedRun{shopID: shopID, r: r, now: now})
	if r.Status == RunActive {
		w.next = append(w.next, stepJob(shopID, r, now))
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
	send    bool // planned a message (the stepWriter's last send)
}

// execute performs one step. Waits move the run's planned time; every
// other step happens at the planned time it was reached at.
func (s *Service) execute(ctx context.Context, tx db.DBTX, shopID string, r *Run, def *Definition, st *Step, f *factSource, now time.Time, w *stepWriter) (stepResult, error) {
	if res, ok, err := flow(r, def, st, f); ok || err != nil {
		return res, err
	}
	res := stepResult{planned: r.StepAt, jump: -1}
	switch st.Type {
	case StepSend:
		return s.send(shopID, r, st, f, now, res, w)
	case StepCoupon:
		return s.issueCoupon(ctx, tx, shopID, r, st, now, res)
	case StepTask:
		e, _, err := s.Events.Record(ctx, tx, event.RecordParams{
			ShopID: shopID, CustomerID: r.CustomerID, Type: EventTaskCreated, ExternalID: "run:" + r.ID + ":" + st.ID,
			OccurredAt: now, Now: now,
			Data: map[string]string{"task": st.Title, "journey_id": r.JourneyID, "run_id": r.ID, "step_id": st.ID, "order_id": r.Context.OrderID},
		})
		if err != nil {
			return res, err
		}
		res.outcome, res.detail = "recorded", e.ID
	}
	return res, nil
}

// issueCoupon performs a coupon step: it issues a code of the step's
// campaign to the run's customer, linked to the run's order, in the step's
// transaction (idempotent on run:<run>:<step>), and records
// coupon.requested. A refusal (the campaign ended or reached a limit, or
// is gone) does not stop the run: the step is logged "coupon_refused"
// with the error code, and the event says so. A step without a campaign
// (stored before campaigns existed) only records coupon.requested.
func (s *Service) issueCoupon(ctx context.Context, tx db.DBTX, shopID string, r *Run, st *Step, now time.Time, res stepResult) (stepResult, error) {
	key := "run:" + r.ID + ":" + st.ID
	data := map[string]string{"campaign": st.Title, "campaign_id": st.CampaignID, "journey_id": r.JourneyID, "run_id": r.ID,
		"step_id": st.ID, "order_id": r.Context.OrderID}
	res.outcome = "recorded"
	if st.CampaignID != "" && s.Coupons != nil {
		k, _, err := s.Coupons.IssueTx(ctx, tx, shopID, st.CampaignID, coupon.IssueInput{CustomerID: r.CustomerID,
			OrderID: r.Context.OrderID, IssueKey: key})
		var e *errs.Error
		switch {
		case err == nil:
			res.outcome, res.detail, data["code"] = "issued", k.Code, k.Code
		case errors.As(err, &e) && e.Kind != nil:
			// A refusal writes nothing (coupon.Service.IssueTx), so the
			// transaction goes on.
			res.outcome, res.detail, data["refused"] = "coupon_refused", refusalCode(e), refusalCode(e)
		default:
			return res, err
		}
	}
	ev, _, err := s.Events.Record(ctx, tx, event.RecordParams{
		ShopID: shopID, CustomerID: r.CustomerID, Type: EventCouponRequested, ExternalID: key, OccurredAt: now, Now: now, Data: data,
	})
	if err != nil {
		return res, err
	}
	if res.detail == "" {
		res.detail = ev.ID
	}
	return res, nil
}

// refusalCode is the stable code of a refused issue; a validation error
// names its field (order_id when the run's order is no longer the
// customer's).
func refusalCode(e *errs.Error) string {
	for f := range e.Fields {
		return "invalid_" + f
	}
	return e.Code
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
// (or now, when that has passed), judged by the policy when due. The
// message is written with the batch's others (writeSteps), and its ID then
// becomes the log row's detail.
func (s *Service) send(shopID string, r *Run, st *Step, f *factSource, now time.Time, res stepResult, w *stepWriter) (stepResult, error) {
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
	w.sends = append(w.sends, message.CreateParams{
		ShopID: shopID, CustomerID: r.CustomerID, JourneyID: r.JourneyID, JourneyVersion: r.Version, RunID: r.ID,
		StepID: st.ID, OrderID: r.Context.OrderID, SKU: sku, TemplateKey: st.Template, Purpose: policy.Purpose(st.Purpose),
		Channel: st.Channel, DueAt: due, DedupeKey: "run:" + r.ID + ":" + st.ID,
	})
	res.outcome, res.send = "planned", true
	return res, nil
}

// writeSteps writes what advancing a batch's runs collected in w: the
// messages (their IDs into the log), the log rows, the runs' positions
// and their next jobs.
func (s *Service) writeSteps(ctx context.Context, tx db.DBTX, w *stepWriter) error {
	if len(w.sends) > 0 {
		ms, _, err := s.Messages.CreateManyTx(ctx, tx, w.sends)
		if err != nil {
			return err
		}
		for i, m := range ms {
			w.logs[w.sendLogs[i]].e.Detail = m.ID
		}
	}
	if err := insertLogs(ctx, tx, w.logs); err != nil {
		return err
	}
	if err := saveRuns(ctx, tx, w.saved); err != nil {
		return err
	}
	if len(w.next) > 0 {
		if _, err := s.Queue.EnqueueMany(ctx, tx, w.next); err != nil {
			return err
		}
	}
	return nil
}
