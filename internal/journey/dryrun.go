package journey

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/ticket"
)

// DryRunInput names the customer (and optionally the order) to simulate a
// journey for.
type DryRunInput struct {
	CustomerID string `json:"customer_id" openapi:"required"`
	OrderID    string `json:"order_id,omitempty" doc:"one of the customer's orders: the run starts at its time; default now"`
}

// DryRunItem is one message the customer would receive.
type DryRunItem struct {
	StepID      string     `json:"step_id"`
	At          time.Time  `json:"at" doc:"when the step plans it (its due time)"`
	Purpose     string     `json:"purpose"`
	TemplateKey string     `json:"template_key"`
	Channel     string     `json:"channel" doc:"the channel the policy would choose; empty when suppressed before choosing"`
	SKU         string     `json:"sku"`
	Subject     string     `json:"subject"`
	Body        string     `json:"body"`
	Decision    Decision   `json:"decision" doc:"the policy's verdict at the due time"`
	SendAt      *time.Time `json:"send_at" doc:"when it would go out after deferrals; null when it would not"`
	Error       string     `json:"error,omitempty" doc:"why it could not be rendered, e.g. template_not_found"`
}

// Decision is the care-first policy's verdict on a planned message.
type Decision struct {
	Outcome string     `json:"outcome" doc:"send, defer or suppress"`
	Reason  string     `json:"reason,omitempty"`
	Until   *time.Time `json:"until,omitempty" doc:"a deferral's end"`
}

// maxDeferrals bounds how often the dry-run follows a deferral.
const maxDeferrals = 10

// DryRun walks the journey's newest version for one customer, from the
// order's time (or now), and returns every message it would plan, rendered
// for the customer, with the policy's verdict at its due time against the
// customer's current state, each simulated send counting in the history of
// the later ones. It writes nothing.
func (s *Service) DryRun(ctx context.Context, shopID, journeyID string, in DryRunInput) ([]DryRunItem, error) {
	j, err := journeyByID(ctx, s.DB, shopID, journeyID)
	if err != nil {
		return nil, err
	}
	c, err := s.Customers.ByID(ctx, shopID, in.CustomerID)
	if errors.Is(err, errs.ErrNotFound) || in.CustomerID == "" {
		return nil, errs.Invalid("customer_id", "no such customer in this shop")
	}
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	r := Run{JourneyID: j.ID, Version: j.Version, CustomerID: c.ID, StepAt: now,
		Context: RunContext{EventType: triggerEventType(j.Definition.Trigger), OccurredAt: now}}
	if in.OrderID != "" {
		o, err := loadOrderInfo(ctx, s.DB, shopID, in.OrderID)
		if err != nil || !s.orderOf(ctx, shopID, in.OrderID, c.ID) {
			return nil, errs.Invalid("order_id", "no such order of this customer")
		}
		r.Context.OrderID, r.StepAt, r.Context.OccurredAt = in.OrderID, o.OrderedAt, o.OrderedAt
		for _, l := range o.Lines {
			r.Context.SKUs = append(r.Context.SKUs, l.SKU)
		}
	}
	pol, err := s.Policies.Get(ctx, s.DB, shopID)
	if err != nil {
		return nil, err
	}
	sh, err := shop.ByID(ctx, s.DB, shopID)
	if err != nil {
		return nil, err
	}
	hist, err := s.history(ctx, shopID, c.ID, now)
	if err != nil {
		return nil, err
	}
	consents := map[string]bool{}
	for ch, cn := range c.Consents {
		consents[ch] = cn.Granted
	}
	pc := policy.Customer{Contacts: policy.Contacts(c.Email, c.Phone, c.LineUserID, c.PostalAddress), Consents: consents, Preferred: c.PreferredChannel}

	def := &j.Definition
	f := &factSource{s: s, ctx: ctx, tx: s.DB, shopID: shopID, run: &r}
	items := []DryRunItem{}
	for steps := 0; r.StepIndex < len(def.Steps) && steps <= len(def.Steps); steps++ {
		st := &def.Steps[r.StepIndex]
		res, moved, err := flow(&r, def, st, f)
		if err != nil {
			return nil, err
		}
		if res.end {
			break
		}
		if st.Type == StepSend {
			item, err := s.dryRunSend(ctx, shopID, &r, st, f, dryRunEnv{pol: pol, loc: sh.Location(), cust: pc, hist: &hist, paused: j.Status == StatusPaused})
			if err != nil {
				return nil, err
			}
			if item != nil {
				items = append(items, *item)
			}
		}
		if moved && res.jump >= 0 {
			r.StepIndex = res.jump
		} else {
			r.StepIndex++
		}
	}
	return items, nil
}

// dryRunEnv is what the policy judges a simulated message against.
type dryRunEnv struct {
	pol    policy.Policy
	loc    *time.Location
	cust   policy.Customer
	hist   *policy.History
	paused bool
}

func (s *Service) dryRunSend(ctx context.Context, shopID string, r *Run, st *Step, f *factSource, env dryRunEnv) (*DryRunItem, error) {
	sku, ok, err := f.sendSKU(st)
	if err != nil || !ok {
		return nil, err
	}
	item := &DryRunItem{StepID: st.ID, At: r.StepAt, Purpose: st.Purpose, TemplateKey: st.Template, SKU: sku}
	rendered, err := s.Messages.Preview(ctx, shopID, st.Template, message.PreviewParams{CustomerID: r.CustomerID, OrderID: r.Context.OrderID, SKU: sku})
	var e *errs.Error
	switch {
	case errors.As(err, &e) && (errors.Is(err, errs.ErrNotFound) || errors.Is(err, errs.ErrInvalid)):
		item.Error = e.Code
	case err != nil:
		return nil, err
	default:
		item.Subject, item.Body = rendered.Subject, rendered.Body
	}
	m := policy.Message{Purpose: policy.Purpose(st.Purpose), Channel: st.Channel, JourneyPaused: env.paused}
	at := r.StepAt
	d := policy.Decide(env.pol, env.loc, m, env.cust, *env.hist, at)
	item.Decision, item.Channel = Decision{Outcome: string(d.Outcome), Reason: d.Reason}, d.Channel
	if d.Outcome == policy.Defer {
		until := d.Until
		item.Decision.Until = &until
	}
	for i := 0; d.Outcome == policy.Defer && i < maxDeferrals; i++ {
		at = d.Until
		d = policy.Decide(env.pol, env.loc, m, env.cust, *env.hist, at)
	}
	if d.Outcome == policy.Send {
		sendAt := at
		item.SendAt, item.Channel = &sendAt, d.Channel
		if m.Purpose != policy.Transactional {
			env.hist.Sent = append(env.hist.Sent, policy.Sent{At: at, Purpose: m.Purpose})
		}
		if m.Purpose == policy.Care {
			env.hist.CareSinceLatestOrder++
		}
	}
	return item, nil
}

// triggerEventType is the event type a trigger reacts to, for the
// event.type fact of a dry run.
func triggerEventType(t Trigger) string {
	if t.Type == TriggerEvent {
		return t.EventType
	}
	for typ, trig := range triggerOf {
		if trig == t.Type {
			return typ
		}
	}
	return ""
}

const orderOfSQL = `SELECT 1 FROM orders WHERE shop_id = $1 AND id = $2 AND customer_id = $3`

func (s *Service) orderOf(ctx context.Context, shopID, orderID, customerID string) bool {
	var one int
	return s.DB.QueryRowContext(ctx, orderOfSQL, shopID, orderID, customerID).Scan(&one) == nil
}

// The policy's view of a customer's history, as the message service
// builds it when a message comes due (internal/message/store.go); the dry
// run reads it the same way without a transaction.
const (
	dryHistorySQL = `SELECT purpose, sent_at, released_at FROM messages
WHERE shop_id = $1 AND customer_id = $2 AND purpose <> 'transactional'
AND status IN ('sending', 'sent', 'delivered', 'opened', 'clicked')
AND (sent_at >= $3 OR (sent_at IS NULL AND released_at >= $3))`
	dryLatestOrderSQL = `SELECT ordered_at FROM orders WHERE shop_id = $1 AND customer_id = $2 ORDER BY ordered_at DESC LIMIT 1`
	dryCareSinceSQL   = `SELECT COUNT(*) FROM messages
WHERE shop_id = $1 AND customer_id = $2 AND purpose = 'care'
AND status IN ('sending', 'sent', 'delivered', 'opened', 'clicked')
AND (sent_at > $3 OR (sent_at IS NULL AND released_at > $3))`
)

func (s *Service) history(ctx context.Context, shopID, customerID string, now time.Time) (policy.History, error) {
	var h policy.History
	rows, err := s.DB.QueryContext(ctx, dryHistorySQL, shopID, customerID, now.Add(-policy.SalesShareWindow))
	if err != nil {
		return h, fmt.Errorf("dry run history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var purpose string
		var sentAt, released sql.NullTime
		if err := rows.Scan(&purpose, &sentAt, &released); err != nil {
			return h, fmt.Errorf("scan dry run history: %w", err)
		}
		at := released.Time
		if sentAt.Valid {
			at = sentAt.Time
		}
		h.Sent = append(h.Sent, policy.Sent{At: at.UTC(), Purpose: policy.Purpose(purpose)})
	}
	if err := rows.Err(); err != nil {
		return h, fmt.Errorf("dry run history: %w", err)
	}
	var since time.Time
	if err := s.DB.QueryRowContext(ctx, dryLatestOrderSQL, shopID, customerID).Scan(&since); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("dry run latest order: %w", err)
	}
	if err := s.DB.QueryRowContext(ctx, dryCareSinceSQL, shopID, customerID, since).Scan(&h.CareSinceLatestOrder); err != nil {
		return h, fmt.Errorf("dry run care count: %w", err)
	}
	if h.OpenComplaint, err = ticket.HasOpenComplaint(ctx, s.DB, shopID, customerID); err != nil {
		return h, err
	}
	return h, nil
}
