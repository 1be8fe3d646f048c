package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/order"
)

// Event types that start journeys of the built-in trigger types. The
// packages that record them own their data; the engine reads only the
// fields named in docs/journeys.md.
const (
	EventTicketResolved = "ticket.resolved"        // {ticket_id, kind}
	EventSurveyAnswered = "survey.answered"        // {score, ...}
	EventBandEntered    = "freshness.band_entered" // {band, previous}
	EventInvoiceOverdue = "invoice.overdue"        // {invoice_id, ...}
	EventRecallTargeted = "recall.targeted"        // {recall_id, ...}
	// EventTaskCreated is recorded by a task step: a staff task (title) on
	// the customer's timeline, for the call list.
	EventTaskCreated = "task.created"
	// EventCouponRequested is recorded by every coupon step: the step's
	// record on the timeline, with the code it issued (package coupon
	// records coupon.issued beside it) or why none was issued.
	EventCouponRequested = "coupon.requested"
)

// triggerOf maps an event type to the trigger type it fires.
var triggerOf = map[string]string{
	event.OrderPlaced:   TriggerOrderPlaced,
	EventTicketResolved: TriggerTicketResolved,
	EventSurveyAnswered: TriggerSurveyAnswered,
	EventBandEntered:    TriggerBandEntered,
	EventInvoiceOverdue: TriggerInvoiceOverdue,
	EventRecallTargeted: TriggerRecall,
}

// engineEvent reports whether events of type t are written by the engine
// itself or by messages. They start no run of an event trigger and end no
// run: a journey started by its own sends or tasks would loop for ever in
// one transaction.
func engineEvent(t string) bool {
	return strings.HasPrefix(t, "message.") || strings.HasPrefix(t, "journey.") || t == EventTaskCreated || t == EventCouponRequested ||
		t == coupon.EventIssued // a coupon step's own issue; coupon.redeemed is the customer's act and may start journeys
}

// HistoryLimit is how old a trigger event may be and still start a run:
// older ones (imports, the demo's year of orders) record but start nothing.
const HistoryLimit = 48 * time.Hour

// KindStep is the job kind that executes a run's steps.
const KindStep = "journey.step"

// stepArgs are the arguments of a journey.step job.
type stepArgs struct {
	RunID string `json:"run_id"`
	Step  int    `json:"step"`
	// CustomerID spares the worker a read of the run before it locks the
	// customer; jobs enqueued before it was added lack it.
	CustomerID string `json:"customer_id,omitempty"`
}

// Subscribe makes the engine start and end runs on the events r records,
// and apply the annoyance brake on consent withdrawals, in the recording
// transaction. Call it once during wiring.
func (s *Service) Subscribe(r *event.Recorder) {
	r.Subscribe(s.onEvent)
}

func (s *Service) onEvent(ctx context.Context, tx db.DBTX, e event.Event) error {
	if e.CustomerID == "" || engineEvent(e.Type) {
		return nil
	}
	if e.Type == event.ConsentChanged {
		return s.onConsentChanged(ctx, tx, e)
	}
	if e.Type == event.CustomerErased {
		return nil
	}
	var placed *order.PlacedData
	if e.Type == event.OrderPlaced {
		placed = &order.PlacedData{}
		if err := json.Unmarshal(e.Data, placed); err != nil {
			return fmt.Errorf("order.placed data: %w", err)
		}
	}
	if err := s.applyExits(ctx, tx, e, placed); err != nil {
		return err
	}
	now := s.Clock.Now()
	if now.Sub(e.OccurredAt) > HistoryLimit {
		return nil
	}
	trig, ok := triggerOf[e.Type]
	if !ok {
		trig = TriggerEvent
	}
	refs, err := activeByTrigger(ctx, tx, e.ShopID, trig)
	if err != nil || len(refs) == 0 {
		return err
	}
	var categories map[string]bool // of the order's products, loaded once
	for _, ref := range refs {
		def, err := s.definition(ctx, tx, e.ShopID, ref.ID, ref.Version)
		if err != nil {
			return err
		}
		if def.Trigger.Category != "" && categories == nil && placed != nil {
			if categories, err = s.categories(ctx, tx, e.ShopID, placed.SKUs); err != nil {
				return err
			}
		}
		if !matches(def.Trigger, e, placed, categories) {
			continue
		}
		if err := s.startRun(ctx, tx, e, placed, ref, def, now); err != nil {
			return err
		}
	}
	return nil
}

// categories returns the set of categories of the products among skus.
func (s *Service) categories(ctx context.Context, tx db.DBTX, shopID string, skus []string) (map[string]bool, error) {
	ps, err := s.Products.BySKUs(ctx, tx, shopID, skus)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range ps {
		out[p.Category] = true
	}
	return out, nil
}

// matches reports whether event e fires trigger t.
func matches(t Trigger, e event.Event, placed *order.PlacedData, categories map[string]bool) bool {
	switch t.Type {
	case TriggerOrderPlaced:
		if placed == nil || t.FirstOrder && !placed.FirstOrder || t.SKU != "" && !slices.Contains(placed.SKUs, t.SKU) {
			return false
		}
		return t.Category == "" || categories[t.Category]
	case TriggerTicketResolved:
		var d struct {
			Kind string `json:"kind"`
		}
		_ = json.Unmarshal(e.Data, &d) // a ticket without a kind matches only an unfiltered trigger
		return len(t.Kinds) == 0 || slices.Contains(t.Kinds, d.Kind)
	case TriggerSurveyAnswered:
		var d struct {
			Score *float64 `json:"score"`
		}
		_ = json.Unmarshal(e.Data, &d)
		if d.Score == nil {
			return t.MinScore == nil && t.MaxScore == nil
		}
		return (t.MinScore == nil || *d.Score >= float64(*t.MinScore)) && (t.MaxScore == nil || *d.Score <= float64(*t.MaxScore))
	case TriggerBandEntered:
		var d struct {
			Band string `json:"band"`
		}
		_ = json.Unmarshal(e.Data, &d)
		return d.Band == t.Band
	case TriggerEvent:
		return e.Type == t.EventType
	default: // invoice_overdue, recall: every such event
		return true
	}
}

// triggerKey is what makes a run unique for its journey and customer: the
// order for orders, the ticket for tickets, else the event itself.
func triggerKey(e event.Event, placed *order.PlacedData) string {
	if placed != nil && placed.OrderID != "" {
		return placed.OrderID
	}
	if e.Type == EventTicketResolved {
		var d struct {
			TicketID string `json:"ticket_id"`
		}
		if json.Unmarshal(e.Data, &d) == nil && d.TicketID != "" {
			return d.TicketID
		}
	}
	return e.ID
}

// startRun creates the run (unless the trigger started one already) and
// its first journey.step job, due when the trigger occurred or now.
func (s *Service) startRun(ctx context.Context, tx db.DBTX, e event.Event, placed *order.PlacedData, ref activeRef, def *Definition, now time.Time) error {
	r := Run{
		ID: id.New("run"), JourneyID: ref.ID, Version: ref.Version, CustomerID: e.CustomerID,
		TriggerKey: triggerKey(e, placed), StepAt: e.OccurredAt,
		Context: RunContext{EventID: e.ID, EventType: e.Type, OccurredAt: e.OccurredAt},
	}
	if placed != nil {
		r.Context.OrderID, r.Context.SKUs, r.Context.FirstOrder = placed.OrderID, placed.SKUs, placed.FirstOrder
	}
	if def.readsEventData() {
		r.Context.Data = e.Data
	}
	created, err := insertRun(ctx, tx, e.ShopID, r, now)
	if err != nil || !created {
		return err
	}
	return s.enqueueStep(ctx, tx, e.ShopID, &r, now)
}

// enqueueStep schedules the journey.step job of the run's next step at its
// planned time (now if that has passed).
func (s *Service) enqueueStep(ctx context.Context, tx db.DBTX, shopID string, r *Run, now time.Time) error {
	_, _, err := s.Queue.Enqueue(ctx, tx, stepJob(shopID, r, now))
	return err
}

// stepJob is the journey.step job of the run's next step.
func stepJob(shopID string, r *Run, now time.Time) jobs.EnqueueParams {
	at := r.StepAt
	if at.Before(now) {
		at = now
	}
	return jobs.EnqueueParams{
		Kind: KindStep, ShopID: shopID, Args: stepArgs{RunID: r.ID, Step: r.StepIndex, CustomerID: r.CustomerID}, RunAt: at,
		UniqueKey: fmt.Sprintf("%s:%s:%d", KindStep, r.ID, r.StepIndex),
	}
}

// readsEventData reports whether a branch reads event.data.<key>.
func (d *Definition) readsEventData() bool {
	for _, s := range d.Steps {
		if s.If != nil && strings.HasPrefix(s.If.Fact, eventDataFact) {
			return true
		}
	}
	return false
}

// applyExits ends the customer's active runs whose exit conditions event e
// meets. Only events after a run's trigger count, and never the run's own
// trigger. A message a run planned before it ended is not withdrawn: it is
// judged by the policy when due like any other.
func (s *Service) applyExits(ctx context.Context, tx db.DBTX, e event.Event, placed *order.PlacedData) error {
	runs, err := activeRuns(ctx, tx, e.ShopID, e.CustomerID)
	if err != nil || len(runs) == 0 {
		return err
	}
	now := s.Clock.Now()
	for i := range runs {
		r := &runs[i]
		if r.Context.EventID == e.ID || e.OccurredAt.Before(r.StartedAt) || placed != nil && placed.OrderID == r.Context.OrderID {
			continue
		}
		def, err := s.definition(ctx, tx, e.ShopID, r.JourneyID, r.Version)
		if err != nil {
			return err
		}
		for _, rule := range def.ExitOn {
			if rule.Event != e.Type {
				continue
			}
			reason := "exit_on:" + rule.Event
			if rule.SameSKU {
				if placed == nil || !overlap(placed.SKUs, r.Context.SKUs) {
					continue
				}
				reason += ":same_sku"
			}
			r.Status, r.ExitReason, r.EndedAt = RunExited, reason, &now
			if err := saveRun(ctx, tx, e.ShopID, r, now); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

func overlap(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}
