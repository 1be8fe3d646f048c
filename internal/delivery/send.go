package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/shop"
)

// SendKind is the job kind that sends one message on one channel.
const SendKind = "message.send"

// Reasons a message fails in delivery.
const (
	ReasonUnreachable      = "unreachable"       // every reachable, consented channel failed for good
	ReasonAmbiguous        = "ambiguous"         // a provider that cannot dedupe may or may not have it; not resent
	ReasonRejected         = "rejected"          // the provider refused it (an attempt's reason)
	ReasonRetriesExhausted = "retries_exhausted" // temporary failures until the attempts ran out (an attempt's reason)
	ReasonNotConfigured    = "not_configured"    // the channel's provider was removed meanwhile (an attempt's reason)
	ReasonDeliveryFailed   = "delivery_failed"   // the provider reported it undeliverable after accepting it
)

// sendArgs are the arguments of a message.send job.
type sendArgs struct {
	MessageID string `json:"message_id"`
	Channel   string `json:"channel"`
}

// sendWorker is the message.send worker; its timeout leaves room for the
// rate limiter's wait and the provider's own timeout. The jobs the runner
// claims together go through WorkBatch: sent concurrently, their outcomes
// recorded in one transaction.
type sendWorker struct{ s *Service }

func (w sendWorker) Kind() string                                { return SendKind }
func (w sendWorker) Timeout() time.Duration                      { return 3 * time.Minute }
func (w sendWorker) Work(ctx context.Context, j *jobs.Job) error { return w.s.workSend(ctx, j) }
func (w sendWorker) BatchSize() int {
	if w.s.DB.Dialect() == db.Postgres {
		return sendBatchPostgres
	}
	return sendBatchSQLite
}

// Sends per batch (see message's due batches): on PostgreSQL, several
// batches settle in parallel; SQLite's one writer prefers one larger batch.
const (
	sendBatchPostgres = 10
	sendBatchSQLite   = 50
)

func (w sendWorker) WorkBatch(ctx context.Context, js []*jobs.Job) []error {
	return w.s.workSendBatch(ctx, js)
}

// ledgerTimeout bounds the transaction that records a send's outcome. It
// runs on a context that outlives the job's: once the provider answered,
// the answer is recorded even when the process is shutting down.
const ledgerTimeout = 15 * time.Second

// sendContext is what sending needs of a job's shop: read once per batch.
type sendContext struct {
	shop     shop.Shop
	settings map[string]Settings
	err      error
}

// outcome is one send job's result, to be settled.
type outcome struct {
	j        *jobs.Job
	args     sendArgs
	m        sendable
	snd      channel.Sender
	provider string
	rec      channel.Receipt
	sendErr  error
	reason   string
	skip     bool  // nothing to send (stale or repeated job): only complete the job
	err      error // the job failed before any send (decode, storage): its result as is
}

// workSend sends one message on one channel: it reads the message (only a
// message still sending on this channel is sent: a stale or repeated job
// does nothing), waits for the provider's rate, sends with the message id
// as idempotency key, and records the outcome and completes the job in one
// transaction. A crash between the send and that commit runs the job again
// with the same message id (see docs/delivery.md for which providers
// dedupe it).
func (s *Service) workSend(ctx context.Context, j *jobs.Job) error {
	sc := s.sendContexts(ctx, []*jobs.Job{j})
	o := s.send(ctx, j, sc[j.ShopID])
	if o.err != nil {
		return o.err
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
	defer cancel()
	return s.settleOne(lctx, o)
}

// workSendBatch is workSend for the jobs claimed together: the sends run
// concurrently (each waiting for its provider's rate), then every outcome
// that changes the ledger is recorded, and its job completed, in one
// transaction. A crash before that commit runs the batch's jobs again with
// the same message ids: what a crash can repeat stays the messages in
// flight (at most the runner's concurrency). If the transaction fails,
// each outcome is recorded on its own.
func (s *Service) workSendBatch(ctx context.Context, js []*jobs.Job) []error {
	sc := s.sendContexts(ctx, js)
	outs := jobs.Each(ctx, js, 0, func(ctx context.Context, j *jobs.Job) outcome { return s.send(ctx, j, sc[j.ShopID]) })
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
	defer cancel()
	res := make([]error, len(js))
	var settle []int
	for i, o := range outs {
		switch {
		case o.err != nil:
			res[i] = o.err
		case !o.skip && s.retry(o):
			res[i] = fmt.Errorf("send %s: %w", o.args.Channel, o.sendErr)
		default:
			settle = append(settle, i)
		}
	}
	if len(settle) == 0 {
		return res
	}
	err := s.DB.InTx(lctx, func(tx *db.Tx) error {
		done := make([]*jobs.Job, 0, len(settle))
		for _, i := range settle {
			if err := s.settleTx(lctx, tx, outs[i]); err != nil {
				return err
			}
			done = append(done, outs[i].j)
		}
		return jobs.CompleteManyTx(lctx, tx, done)
	})
	if err != nil {
		for _, i := range settle {
			res[i] = s.settleOne(lctx, outs[i])
		}
	}
	return res
}

// sendContexts reads the shop and channel settings of each shop of js.
func (s *Service) sendContexts(ctx context.Context, js []*jobs.Job) map[string]*sendContext {
	out := map[string]*sendContext{}
	for _, j := range js {
		if _, ok := out[j.ShopID]; ok {
			continue
		}
		sc := &sendContext{}
		if sc.shop, sc.err = shop.ByID(ctx, s.DB, j.ShopID); sc.err == nil {
			sc.settings, sc.err = s.loadSettings(ctx, s.DB, j.ShopID)
		}
		out[j.ShopID] = sc
	}
	return out
}

// send reads j's message and, when it is still to be sent, sends it.
func (s *Service) send(ctx context.Context, j *jobs.Job, sc *sendContext) outcome {
	o := outcome{j: j, reason: ReasonRejected}
	if err := j.Decode(&o.args); err != nil {
		o.err = jobs.Cancel(err)
		return o
	}
	m, err := loadSendable(ctx, s.DB, j.ShopID, o.args.MessageID)
	if errors.Is(err, errNoMessage) || err == nil && (m.Status != message.StatusSending || m.Channel != o.args.Channel) {
		o.skip = true
		return o
	}
	if err != nil {
		o.err = err
		return o
	}
	if sc.err != nil {
		o.err = sc.err
		return o
	}
	o.m = m
	st, ok := sc.settings[o.args.Channel]
	o.provider = st.Provider
	switch {
	case !ok:
		o.reason, o.sendErr = ReasonNotConfigured, channel.Permanent(errors.New("channel not configured"))
	case m.Erased:
		o.sendErr = channel.Permanent(errors.New("customer erased"))
	default:
		e, err := s.sender(st)
		if err != nil {
			o.sendErr = err
			break
		}
		o.snd = e.sender
		if o.sendErr = e.wait(ctx); o.sendErr == nil {
			o.rec, o.sendErr = o.snd.Send(ctx, s.compose(sc.shop, o.args.MessageID, m))
		}
	}
	return o
}

// retry reports whether the outcome is a temporary failure the runner
// retries (with its backoff and jitter) rather than one to record.
func (s *Service) retry(o outcome) bool {
	if o.sendErr == nil || channel.IsPermanent(o.sendErr) || o.j.Attempt >= o.j.MaxAttempts {
		return false
	}
	return !(channel.IsAmbiguous(o.sendErr) && !o.snd.Dedupes() && o.m.Purpose != string(policy.Transactional))
}

// settleOne records one outcome and completes its job in a transaction of
// its own, or returns the error that makes the runner retry it.
func (s *Service) settleOne(ctx context.Context, o outcome) error {
	if !o.skip && s.retry(o) {
		return fmt.Errorf("send %s: %w", o.args.Channel, o.sendErr)
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := s.settleTx(ctx, tx, o); err != nil {
			return err
		}
		return jobs.CompleteTx(ctx, tx, o.j)
	})
}

// settleTx records a send's outcome in tx (the caller completes the job in
// the same transaction):
//   - accepted: sent, with the provider's id and segments;
//   - ambiguous from a provider that cannot dedupe: transactional messages
//     (recalls) are retried, accepting a possible duplicate; others fail
//     with reason ambiguous, never resent blindly;
//   - temporary (or ambiguous and deduped): retried with the runner's
//     backoff and jitter until the purpose's attempts run out (see retry:
//     those never reach settleTx);
//   - permanent, or attempts exhausted: the next reachable, consented
//     channel with a provider, or failed unreachable.
func (s *Service) settleTx(ctx context.Context, tx db.DBTX, o outcome) error {
	if o.skip {
		return nil
	}
	now := s.Clock.Now()
	shopID, args, m := o.j.ShopID, o.args, o.m
	switch {
	case o.sendErr == nil:
		ok, err := exec(ctx, tx, "mark message sent", markSentSQL, shopID, args.MessageID, args.Channel, now)
		if err != nil || !ok {
			return err
		}
		if err := upsertAttempt(ctx, tx, shopID, attempt{MessageID: args.MessageID, Channel: args.Channel,
			Provider: o.snd.Name(), Status: message.StatusSent, ProviderID: o.rec.ProviderID, Segments: o.rec.Segments}, now); err != nil {
			return err
		}
		return s.record(ctx, tx, shopID, args.MessageID, m, args.Channel, message.EventSent, "", now)
	case channel.IsAmbiguous(o.sendErr) && !o.snd.Dedupes() && m.Purpose != string(policy.Transactional):
		return s.fail(ctx, tx, shopID, args.MessageID, m, args.Channel, o.snd.Name(), ReasonAmbiguous, now)
	}
	reason := o.reason
	if !channel.IsPermanent(o.sendErr) {
		reason = ReasonRetriesExhausted
	}
	name := providerName[o.provider]
	if o.snd != nil {
		name = o.snd.Name()
	}
	return s.fallback(ctx, tx, shopID, args.MessageID, m, args.Channel, name, reason, now)
}

// fallback records that ch failed for good and hands the message to the
// next reachable, consented channel that has a provider (only for a
// message whose channel was "best"; one message id throughout), or fails
// it as unreachable when none is left.
func (s *Service) fallback(ctx context.Context, tx db.DBTX, shopID, messageID string, m sendable, ch, provider, reason string, now time.Time) error {
	if err := upsertAttempt(ctx, tx, shopID, attempt{MessageID: messageID, Channel: ch, Provider: provider,
		Status: message.StatusFailed, Reason: reason}, now); err != nil {
		return err
	}
	next, st := "", Settings{}
	if isBest(m.ChannelRequested) && !m.Erased {
		tried, err := attempts(ctx, tx, shopID, messageID)
		if err != nil {
			return err
		}
		var done []string
		for _, a := range tried {
			done = append(done, a.Channel)
		}
		c := contact{ID: m.CustomerID, Name: m.Name, Email: m.Email, Phone: m.Phone, LineUserID: m.LineUserID,
			PostalAddress: m.PostalAddress, Preferred: m.Preferred, Locale: m.CustomerLocale}
		cands, err := s.candidates(ctx, tx, shopID, c, m.Purpose, done)
		if err != nil {
			return err
		}
		all, err := s.loadSettings(ctx, tx, shopID)
		if err != nil {
			return err
		}
		for _, cand := range cands {
			if cs, ok := all[cand]; ok {
				next, st = cand, cs
				break
			}
		}
		if next != "" {
			subject, body, err := s.rerender(ctx, shopID, c, m.TemplateKey, m.OrderID, m.Locale, next)
			if err != nil {
				subject, body = m.Subject, m.Body // keep the text already rendered
			}
			ok, err := exec(ctx, tx, "switch channel", switchChannelSQL, shopID, messageID, ch, next, subject, body, now)
			if err != nil || !ok {
				return err
			}
			return s.enqueueSend(ctx, tx, shopID, messageID, next, st.Provider, m.Purpose, now)
		}
	}
	return s.fail(ctx, tx, shopID, messageID, m, ch, provider, ReasonUnreachable, now)
}

// fail marks the message failed with reason and records message.failed.
func (s *Service) fail(ctx context.Context, tx db.DBTX, shopID, messageID string, m sendable, ch, provider, reason string, now time.Time) error {
	ok, err := exec(ctx, tx, "mark message failed", markFailedSQL, shopID, messageID, ch, reason, now)
	if err != nil || !ok {
		return err
	}
	if reason == ReasonAmbiguous {
		if err := upsertAttempt(ctx, tx, shopID, attempt{MessageID: messageID, Channel: ch, Provider: provider,
			Status: message.StatusFailed, Reason: reason}, now); err != nil {
			return err
		}
	}
	return s.record(ctx, tx, shopID, messageID, m, ch, message.EventFailed, reason, now)
}

// record adds a message event to the customer's timeline (never the text).
func (s *Service) record(ctx context.Context, tx db.DBTX, shopID, messageID string, m sendable, ch, typ, reason string, now time.Time) error {
	if s.Events == nil {
		return nil
	}
	_, _, err := s.Events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: m.CustomerID, Type: typ,
		OccurredAt: now, Now: now, Data: message.EventData{MessageID: messageID, Purpose: m.Purpose, Reason: reason,
			Channel: ch, JourneyID: m.JourneyID}})
	return err
}
