package message

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/ticket"
)

// Workers returns the message.due worker, for the job runner.
func (s *Service) Workers() []jobs.Worker {
	return []jobs.Worker{dueWorker{s: s}}
}

// dueWorker is the message.due worker: one job with workDue, the jobs
// claimed together with workDueBatch.
type dueWorker struct{ s *Service }

func (w dueWorker) Kind() string                                { return DueKind }
func (w dueWorker) Work(ctx context.Context, j *jobs.Job) error { return w.s.workDue(ctx, j) }

// BatchSize: SQLite has one writer, so one transaction for many messages
// is best; PostgreSQL runs several transactions at once, and a statement
// costs a round trip, so smaller batches keep the runner's parallelism.
func (w dueWorker) BatchSize() int {
	if w.s.DB.Dialect() == db.Postgres {
		return dueBatchPostgres
	}
	return dueBatchSQLite
}

const (
	dueBatchPostgres = 5
	dueBatchSQLite   = 50
)

func (w dueWorker) WorkBatch(ctx context.Context, js []*jobs.Job) []error {
	return w.s.workDueBatch(ctx, js)
}

// workDueBatch judges many due messages in one transaction (a commit per
// message capped a recall at a few hundred messages a second). Each is
// judged exactly as workDue would, one after the other, holding its
// customer's lock: the locks are taken in customer order (two batches never
// wait on each other in a cycle) and held to the commit, and a later
// message of the same customer sees what the earlier one changed, so the
// caps hold as they do one message per transaction. If the transaction
// fails, each job is worked again on its own, so that one bad message
// fails only its own job.
func (s *Service) workDueBatch(ctx context.Context, js []*jobs.Job) []error {
	out := make([]error, len(js))
	type due struct {
		j    *jobs.Job
		m    Message
		gone bool
	}
	var todo []due
	for i, j := range js {
		var args dueArgs
		if err := j.Decode(&args); err != nil {
			out[i] = jobs.Cancel(err)
			continue
		}
		todo = append(todo, due{j: j, m: Message{ShopID: j.ShopID, ID: args.MessageID}})
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		reads := newShopReads()
		for i := range todo {
			m, err := byID(ctx, tx, todo[i].m.ShopID, todo[i].m.ID)
			if errors.Is(err, errNotFound) {
				todo[i].gone = true
				continue
			}
			if err != nil {
				return err
			}
			todo[i].m = m
		}
		slices.SortStableFunc(todo, func(a, b due) int {
			if c := strings.Compare(a.m.ShopID, b.m.ShopID); c != 0 {
				return c
			}
			return strings.Compare(a.m.CustomerID, b.m.CustomerID)
		})
		for _, d := range todo {
			if !d.gone {
				if err := policy.LockCustomer(ctx, tx, d.m.ShopID, d.m.CustomerID); err != nil {
					return err
				}
				m, err := byID(ctx, tx, d.m.ShopID, d.m.ID)
				if err != nil {
					return err
				}
				now := s.Clock.Now()
				if (m.Status == StatusScheduled || m.Status == StatusDeferred) && !m.DueAt.After(now) {
					if err := s.judge(ctx, tx, reads, &m, now); err != nil {
						return err
					}
				}
			}
		}
		done := make([]*jobs.Job, len(todo))
		for i, d := range todo {
			done[i] = d.j
		}
		return jobs.CompleteManyTx(ctx, tx, done)
	})
	if err == nil {
		return out
	}
	if ctx.Err() != nil {
		for i := range out {
			if out[i] == nil {
				out[i] = err
			}
		}
		return out
	}
	for i, j := range js {
		if out[i] == nil {
			out[i] = s.workDue(ctx, j)
		}
	}
	return out
}

// workDue judges one message at its due time, in one transaction that holds
// the customer's lock: reload, ask the policy, then suppress, defer (with a
// new job at the deferral's end) or render and deliver, record the event
// and complete the job. Holding the lock while counting and changing the
// status is what keeps the caps true when many messages of one customer
// come due at once.
func (s *Service) workDue(ctx context.Context, j *jobs.Job) error {
	var args dueArgs
	if err := j.Decode(&args); err != nil {
		return jobs.Cancel(err)
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		m, err := byID(ctx, tx, j.ShopID, args.MessageID)
		if errors.Is(err, errNotFound) {
			return jobs.CompleteTx(ctx, tx, j)
		}
		if err != nil {
			return err
		}
		if err := policy.LockCustomer(ctx, tx, m.ShopID, m.CustomerID); err != nil {
			return err
		}
		if m, err = byID(ctx, tx, m.ShopID, m.ID); err != nil {
			return err
		}
		now := s.Clock.Now()
		// Only a waiting message is judged, and only when its time has come:
		// a job left from an earlier due time (the message was deferred
		// since) finds another job scheduled at the new one.
		if (m.Status == StatusScheduled || m.Status == StatusDeferred) && !m.DueAt.After(now) {
			if err := s.judge(ctx, tx, newShopReads(), &m, now); err != nil {
				return err
			}
		}
		return jobs.CompleteTx(ctx, tx, j)
	})
}

// shopReads are the reads of judging that depend on the shop, not on the
// customer (its policy, its row, its templates), made once per transaction:
// the messages of a batch are judged against the shop as it stood when the
// batch first read it, as one message's transaction is. Nothing judging
// writes changes them.
type shopReads struct {
	policies  map[string]policy.Policy
	shops     map[string]shop.Shop
	templates map[[2]string]Template
}

func newShopReads() *shopReads {
	return &shopReads{policies: map[string]policy.Policy{}, shops: map[string]shop.Shop{}, templates: map[[2]string]Template{}}
}

func (r *shopReads) policy(ctx context.Context, s *Service, tx db.DBTX, shopID string) (policy.Policy, error) {
	if p, ok := r.policies[shopID]; ok {
		return p, nil
	}
	p, err := s.Policies.Get(ctx, tx, shopID)
	if err != nil {
		return policy.Policy{}, err
	}
	r.policies[shopID] = p
	return p, nil
}

func (r *shopReads) shop(ctx context.Context, tx db.DBTX, shopID string) (shop.Shop, error) {
	if sh, ok := r.shops[shopID]; ok {
		return sh, nil
	}
	sh, err := shop.ByID(ctx, tx, shopID)
	if err != nil {
		return shop.Shop{}, err
	}
	r.shops[shopID] = sh
	return sh, nil
}

// template returns the shop's template; a missing one is read again each
// time (it fails its message, which is rare).
func (r *shopReads) template(ctx context.Context, tx db.DBTX, shopID, key string) (Template, error) {
	k := [2]string{shopID, key}
	if t, ok := r.templates[k]; ok {
		return t, nil
	}
	t, err := templateTx(ctx, tx, shopID, key)
	if err != nil {
		return Template{}, err
	}
	r.templates[k] = t
	return t, nil
}

// judge applies the policy's decision to m.
func (s *Service) judge(ctx context.Context, tx db.DBTX, reads *shopReads, m *Message, now time.Time) error {
	pol, err := reads.policy(ctx, s, tx, m.ShopID)
	if err != nil {
		return err
	}
	sh, err := reads.shop(ctx, tx, m.ShopID)
	if err != nil {
		return err
	}
	c, err := customerByID(ctx, tx, m.ShopID, m.CustomerID)
	if err != nil && !errors.Is(err, errCustomerGone) {
		return err
	}
	// An erased customer has no contact points left: the policy answers
	// unreachable.
	consents := map[string]bool{}
	if err == nil {
		cs, err := s.Customers.ConsentsTx(ctx, tx, m.ShopID, m.CustomerID)
		if err != nil {
			return err
		}
		for ch, cn := range cs {
			consents[ch] = cn.Granted
		}
	}
	sent, care, err := sentHistory(ctx, tx, m.ShopID, m.CustomerID, now)
	if err != nil {
		return err
	}
	complaint, err := ticket.HasOpenComplaint(ctx, tx, m.ShopID, m.CustomerID)
	if err != nil {
		return err
	}
	paused := false
	if m.JourneyID != "" && s.journeyPaused != nil {
		if paused, err = s.journeyPaused(ctx, tx, m.ShopID, m.JourneyID); err != nil {
			return err
		}
	}
	// A staff reply (an inline transactional message) to a customer who
	// wrote within the hour ignores quiet hours (SPEC §4 rule 6).
	exempt := false
	if m.Purpose == policy.Transactional && m.TemplateKey == "" {
		if exempt, err = ticket.StaffReplyExempt(ctx, tx, m.ShopID, m.ID, now); err != nil {
			return err
		}
	}
	d := policy.Decide(pol, sh.Location(),
		policy.Message{Purpose: m.Purpose, Channel: m.ChannelRequested, JourneyPaused: paused, StaffReplyExempt: exempt},
		policy.Customer{Contacts: policy.Contacts(c.Email, c.Phone, c.LineUserID, c.PostalAddress), Consents: consents, Preferred: c.Preferred},
		policy.History{OpenComplaint: complaint, CareSinceLatestOrder: care, Sent: sent}, now)

	switch d.Outcome {
	case policy.Suppress:
		m.Status, m.Reason = StatusSuppressed, d.Reason
		if err := setJudged(ctx, tx, m, now); err != nil {
			return err
		}
		return s.record(ctx, tx, m, EventSuppressed, now)
	case policy.Defer:
		until := d.Until
		if !until.After(now) {
			until = now.Add(time.Second) // never a job that is due again at once
		}
		m.Status, m.Reason, m.DueAt = StatusDeferred, d.Reason, until.UTC()
		if err := setJudged(ctx, tx, m, now); err != nil {
			return err
		}
		if err := s.enqueueDue(ctx, tx, *m); err != nil {
			return err
		}
		return s.record(ctx, tx, m, EventDeferred, now)
	case policy.Send:
		return s.release(ctx, tx, reads, m, sh, c, d.Channel, now)
	}
	return fmt.Errorf("policy outcome %q unknown", d.Outcome)
}

// shortChannels get the short (SMS) text of a template.
var shortChannels = []string{"sms", "line"}

// release renders m for its customer now, stores the text and hands it to
// the deliverer. A template that cannot be rendered fails the message (it
// would fail again on every retry) rather than the job.
func (s *Service) release(ctx context.Context, tx db.DBTX, reads *shopReads, m *Message, sh shop.Shop, c customerRow, channel string, now time.Time) error {
	r, err := s.renderMessage(ctx, tx, reads, m, sh, c)
	if err != nil {
		if ctx.Err() != nil || !isTemplateProblem(err) {
			return err
		}
		m.Status, m.Reason = StatusFailed, "template_error"
		if err := setJudged(ctx, tx, m, now); err != nil {
			return err
		}
		return s.record(ctx, tx, m, EventFailed, now)
	}
	m.Channel, m.Locale, m.Subject, m.Body = channel, r.Locale, r.Subject, r.Body
	if slices.Contains(shortChannels, channel) && m.TemplateKey != "" {
		m.Subject, m.Body = "", r.SMS
	}
	m.Status, m.Reason = StatusSending, ""
	if err := setReleased(ctx, tx, m, now); err != nil {
		return err
	}
	if err := s.deliverer.Deliver(ctx, tx, m); err != nil {
		return err
	}
	if m.Status == StatusSent {
		return s.record(ctx, tx, m, EventSent, now)
	}
	return nil
}

// templateProblem marks errors of the merchant's template (not of storage).
type templateProblem struct{ err error }

func (e templateProblem) Error() string { return e.err.Error() }
func (e templateProblem) Unwrap() error { return e.err }

func isTemplateProblem(err error) bool {
	var tp templateProblem
	return errors.As(err, &tp) || errors.Is(err, errTemplateNotFound) || errors.Is(err, errOrderNotFound)
}

func (s *Service) renderMessage(ctx context.Context, tx db.DBTX, reads *shopReads, m *Message, sh shop.Shop, c customerRow) (Rendered, error) {
	if m.TemplateKey == "" {
		// An inline text (a staff reply) goes out as written; it keeps its
		// subject on every channel, so a fallback to email still has one.
		return Rendered{Subject: m.Subject, Body: m.Body, SMS: m.Body, Locale: c.Locale}, nil
	}
	t, err := reads.template(ctx, tx, m.ShopID, m.TemplateKey)
	if err != nil {
		return Rendered{}, err
	}
	locale := chooseLocale(t, c.Locale)
	v, err := s.vars(ctx, tx, varsParams{Shop: sh, CustomerID: m.CustomerID, CustomerName: c.Name,
		OrderID: m.OrderID, SKU: m.SKU, Locale: locale})
	if err != nil {
		return Rendered{}, err
	}
	r, err := s.renderFor(ctx, t, locale, v)
	if err != nil {
		return Rendered{}, templateProblem{err}
	}
	return r, nil
}

// record adds the message's event to the customer's timeline: what and
// why, never the text.
func (s *Service) record(ctx context.Context, tx db.DBTX, m *Message, typ string, now time.Time) error {
	_, _, err := s.Events.Record(ctx, tx, event.RecordParams{ShopID: m.ShopID, CustomerID: m.CustomerID, Type: typ,
		OccurredAt: now, Now: now, Data: EventData{MessageID: m.ID, Purpose: string(m.Purpose), Reason: m.Reason,
			JourneyID: m.JourneyID, Channel: m.Channel}})
	return err
}
