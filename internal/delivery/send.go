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
// rate limiter's wait and the provider's own timeout.
type sendWorker struct{ s *Service }

func (w sendWorker) Kind() string                                { return SendKind }
func (w sendWorker) Timeout() time.Duration                      { return 3 * time.Minute }
func (w sendWorker) Work(ctx context.Context, j *jobs.Job) error { return w.s.workSend(ctx, j) }

// ledgerTimeout bounds the transaction that records a send's outcome. It
// runs on a context that outlives the job's: once the provider answered,
// the answer is recorded even when the process is shutting down.
const ledgerTimeout = 15 * time.Second

// workSend sends one message on one channel: it reads the message (only a
// message still sending on this channel is sent: a stale or repeated job
// does nothing), waits for the provider's rate, sends with the message id
// as idempotency key, and records the outcome and completes the job in one
// transaction. A crash between the send and that commit runs the job again
// with the same message id (see docs/delivery.md for which providers
// dedupe it).
func (s *Service) workSend(ctx context.Context, j *jobs.Job) error {
	var args sendArgs
	if err := j.Decode(&args); err != nil {
		return jobs.Cancel(err)
	}
	m, err := loadSendable(ctx, s.DB, j.ShopID, args.MessageID)
	if errors.Is(err, errNoMessage) || err == nil && (m.Status != message.StatusSending || m.Channel != args.Channel) {
		return s.DB.InTx(ctx, func(tx *db.Tx) error { return jobs.CompleteTx(ctx, tx, j) })
	}
	if err != nil {
		return err
	}
	sh, err := shop.ByID(ctx, s.DB, j.ShopID)
	if err != nil {
		return err
	}
	st, ok, err := s.settingsFor(ctx, s.DB, j.ShopID, args.Channel)
	if err != nil {
		return err
	}
	var (
		rec    channel.Receipt
		snd    channel.Sender
		reason = ReasonRejected
	)
	switch {
	case !ok:
		reason, err = ReasonNotConfigured, channel.Permanent(errors.New("channel not configured"))
	case m.Erased:
		err = channel.Permanent(errors.New("customer erased"))
	default:
		var e *senderEntry
		if e, err = s.sender(st); err == nil {
			snd = e.sender
			if err = e.wait(ctx); err == nil {
				rec, err = snd.Send(ctx, s.compose(sh, args.MessageID, m))
			}
		}
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
	defer cancel()
	return s.settle(lctx, j, args, m, snd, st.Provider, rec, err, reason)
}

// settle records a send's outcome (see workSend):
//   - accepted: sent, with the provider's id and segments;
//   - ambiguous from a provider that cannot dedupe: transactional messages
//     (recalls) are retried, accepting a possible duplicate; others fail
//     with reason ambiguous, never resent blindly;
//   - temporary (or ambiguous and deduped): retried with the runner's
//     backoff and jitter until the purpose's attempts run out;
//   - permanent, or attempts exhausted: the next reachable, consented
//     channel with a provider, or failed unreachable.
func (s *Service) settle(ctx context.Context, j *jobs.Job, args sendArgs, m sendable, snd channel.Sender, provider string,
	rec channel.Receipt, sendErr error, reason string) error {
	now := s.Clock.Now()
	switch {
	case sendErr == nil:
		return s.DB.InTx(ctx, func(tx *db.Tx) error {
			ok, err := exec(ctx, tx, "mark message sent", markSentSQL, j.ShopID, args.MessageID, args.Channel, now)
			if err != nil {
				return err
			}
			if ok {
				if err := upsertAttempt(ctx, tx, j.ShopID, attempt{MessageID: args.MessageID, Channel: args.Channel,
					Provider: snd.Name(), Status: message.StatusSent, ProviderID: rec.ProviderID, Segments: rec.Segments}, now); err != nil {
					return err
				}
				if err := s.record(ctx, tx, j.ShopID, args.MessageID, m, args.Channel, message.EventSent, "", now); err != nil {
					return err
				}
			}
			return jobs.CompleteTx(ctx, tx, j)
		})
	case channel.IsAmbiguous(sendErr) && !snd.Dedupes() && m.Purpose != string(policy.Transactional):
		return s.DB.InTx(ctx, func(tx *db.Tx) error {
			if err := s.fail(ctx, tx, j.ShopID, args.MessageID, m, args.Channel, snd.Name(), ReasonAmbiguous, now); err != nil {
				return err
			}
			return jobs.CompleteTx(ctx, tx, j)
		})
	case !channel.IsPermanent(sendErr) && j.Attempt < j.MaxAttempts:
		return fmt.Errorf("send %s: %w", args.Channel, sendErr)
	}
	if !channel.IsPermanent(sendErr) {
		reason = ReasonRetriesExhausted
	}
	name := providerName[provider]
	if snd != nil {
		name = snd.Name()
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if err := s.fallback(ctx, tx, j.ShopID, args.MessageID, m, args.Channel, name, reason, now); err != nil {
			return err
		}
		return jobs.CompleteTx(ctx, tx, j)
	})
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
