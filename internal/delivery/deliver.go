package delivery

import (
	"context"
	"slices"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

// ProviderOutbox is the provider name of a message delivered to the
// shop's outbox (no provider configured for its channel).
const ProviderOutbox = "outbox"

// providerName is the channel.Sender name of a settings provider.
var providerName = map[string]string{ProviderSMTP: "smtp", ProviderGeneric: "sms_generic", ProviderTwilio: "twilio", ProviderLINE: "line"}

// Attempts per purpose of one channel before it counts as failed and the
// next channel is tried: with the runner's attempt⁴ s backoff, 8 attempts
// span about 80 minutes, 12 about 9 hours (a recall outlives an outage).
const (
	maxAttempts              = 8
	maxAttemptsTransactional = 12
)

// shortChannels get the short text of a template.
var shortChannels = []string{"sms", "line"}

// Deliver hands a message the policy released to its channel, in the
// transaction that released it (message.Deliverer). A shop with no
// provider for the message's channel gets it in the outbox: status sent
// at once. Otherwise, for a message whose channel was chosen as "best",
// the best channel that has a provider is taken; the message stays
// sending, and a message.send job is enqueued in the same transaction, so
// the message and its send commit together or not at all.
func (s *Service) Deliver(ctx context.Context, tx db.DBTX, m *message.Message) error {
	all, err := s.loadSettings(ctx, tx, m.ShopID)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	ch := m.Channel
	if _, ok := all[ch]; !ok && len(all) > 0 && isBest(m.ChannelRequested) {
		c, err := s.contactOf(ctx, tx, m.ShopID, m.CustomerID)
		if err != nil {
			return err
		}
		cands, err := s.candidates(ctx, tx, m.ShopID, c, string(m.Purpose), nil)
		if err != nil {
			return err
		}
		for _, cand := range cands {
			if _, ok := all[cand]; ok {
				ch = cand
				break
			}
		}
		if ch != m.Channel {
			subject, body, err := s.rerender(ctx, m.ShopID, c, m.TemplateKey, m.OrderID, m.Locale, ch)
			if err != nil {
				subject, body = m.Subject, m.Body // keep the text already rendered
			}
			if _, err := exec(ctx, tx, "switch channel", switchChannelSQL, m.ShopID, m.ID, m.Channel, ch, subject, body, now); err != nil {
				return err
			}
			m.Channel, m.Subject, m.Body = ch, subject, body
		}
	}
	st, ok := all[ch]
	if !ok {
		if err := upsertAttempt(ctx, tx, m.ShopID, attempt{MessageID: m.ID, Channel: ch, Provider: ProviderOutbox, Status: message.StatusSent}, now); err != nil {
			return err
		}
		return message.MarkSentTx(ctx, tx, m, now)
	}
	m.Status = message.StatusSending
	return s.enqueueSend(ctx, tx, m.ShopID, m.ID, ch, st.Provider, string(m.Purpose), now)
}

func isBest(requested string) bool { return requested == "" || requested == "best" }

// enqueueSend records the attempt on ch and enqueues its message.send job.
// The job's unique key is per message and channel: a second enqueue of the
// same attempt is a no-op while the first job exists.
func (s *Service) enqueueSend(ctx context.Context, tx db.DBTX, shopID, messageID, ch, provider, purpose string, now time.Time) error {
	if err := upsertAttempt(ctx, tx, shopID, attempt{MessageID: messageID, Channel: ch, Provider: providerName[provider],
		Status: message.StatusSending}, now); err != nil {
		return err
	}
	attempts := maxAttempts
	if purpose == string(policy.Transactional) {
		attempts = maxAttemptsTransactional
	}
	_, _, err := s.Queue.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: SendKind, ShopID: shopID,
		Args: sendArgs{MessageID: messageID, Channel: ch}, UniqueKey: sendKey(messageID, ch), MaxAttempts: attempts})
	return err
}

// sendKey is the unique key of a message's send job on one channel.
func sendKey(messageID, ch string) string { return SendKind + ":" + messageID + ":" + ch }

// contact is what channel choice needs of a customer.
type contact struct {
	ID, Name, Email, Phone, LineUserID, PostalAddress, Preferred, Locale string
}

const contactSQL = `SELECT id, name, email, phone, line_user_id, postal_address, preferred_channel, locale
FROM customers WHERE shop_id = $1 AND id = $2`

func (s *Service) contactOf(ctx context.Context, d db.DBTX, shopID, customerID string) (contact, error) {
	var c contact
	err := d.QueryRowContext(ctx, contactSQL, shopID, customerID).Scan(&c.ID, &c.Name, &c.Email, &c.Phone, &c.LineUserID,
		&c.PostalAddress, &c.Preferred, &c.Locale)
	return c, err
}

// candidates returns the channels a message may go out on, best first
// (SPEC §5): the customer's preferred channel, then the shop's order,
// among channels with a contact point and, unless transactional, consent;
// channels in tried are left out.
func (s *Service) candidates(ctx context.Context, tx db.DBTX, shopID string, c contact, purpose string, tried []string) ([]string, error) {
	pol, err := s.Policies.Get(ctx, tx, shopID)
	if err != nil {
		return nil, err
	}
	consents := map[string]bool{}
	if purpose != string(policy.Transactional) {
		cs, err := s.Customers.ConsentsTx(ctx, tx, shopID, c.ID)
		if err != nil {
			return nil, err
		}
		for ch, cn := range cs {
			consents[ch] = cn.Granted
		}
	}
	order := pol.ChannelOrder
	if slices.Contains(order, c.Preferred) {
		order = append([]string{c.Preferred}, order...)
	}
	reach := policy.Contacts(c.Email, c.Phone, c.LineUserID, c.PostalAddress)
	var out []string
	for _, ch := range order {
		if !reach[ch] || slices.Contains(tried, ch) || slices.Contains(out, ch) {
			continue
		}
		if purpose == string(policy.Transactional) || consents[ch] {
			out = append(out, ch)
		}
	}
	return out, nil
}
