package delivery

import (
	"context"
	"fmt"
	"strings"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/message"
)

// EventOpened is recorded once per message when its open pixel loads.
const EventOpened = "message.opened"

// EventDelivered is recorded when a provider reports a message delivered.
const EventDelivered = "message.delivered"

// Status updates reported after a message went out only move it forward:
// sent → delivered or failed → opened → clicked. A status never goes back
// (a late "delivered" after "opened" changes nothing), delivered and
// failed do not replace each other (the first report wins), and a repeated
// report changes nothing, so duplicated and reordered callbacks are
// harmless.
var from = map[string][]string{
	message.StatusDelivered: {message.StatusSending, message.StatusSent},
	message.StatusFailed:    {message.StatusSending, message.StatusSent},
	message.StatusOpened:    {message.StatusSent, message.StatusDelivered, message.StatusFailed},
}

// Report is a provider's status report about one message.
type Report struct {
	ShopID     string
	MessageID  string // our id; or empty with ProviderID
	Provider   string // provider name ("sms_generic", "twilio") when finding by ProviderID
	ProviderID string
	Status     string // message.StatusDelivered or message.StatusFailed
}

// ApplyReport applies a delivery-status callback, monotonically (see
// from). An unknown message is ignored (reported as false): a gateway
// must not learn which ids exist, and a retry of it would not help.
func (s *Service) ApplyReport(ctx context.Context, r Report) (bool, error) {
	if _, ok := from[r.Status]; !ok || r.Status == message.StatusOpened {
		return false, fmt.Errorf("report status %q unknown", r.Status)
	}
	changed := false
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		id := r.MessageID
		if id == "" {
			var err error
			if id, err = messageIDByProviderID(ctx, tx, r.ShopID, r.Provider, r.ProviderID); err != nil || id == "" {
				return err
			}
		}
		reason, typ := "", EventDelivered
		if r.Status == message.StatusFailed {
			reason, typ = ReasonDeliveryFailed, message.EventFailed
		}
		var err error
		changed, err = s.advance(ctx, tx, r.ShopID, id, r.Status, reason, typ, "")
		return err
	})
	return changed, err
}

// Opened records that a message's open pixel loaded: status opened (from
// sent, delivered or failed; a clicked message stays clicked) and
// message.opened once.
func (s *Service) Opened(ctx context.Context, shopID, messageID string) error {
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		_, err := s.advance(ctx, tx, shopID, messageID, message.StatusOpened, "", EventOpened, "open:"+messageID)
		return err
	})
}

const messageCustomerSQL = `SELECT customer_id, purpose, channel, journey_id FROM messages WHERE shop_id = $1 AND id = $2`

// advance moves the message to status when it stands in one of the
// statuses status may follow, and records typ (once per externalID when
// given). It reports whether the status changed.
func (s *Service) advance(ctx context.Context, tx db.DBTX, shopID, id, status, reason, typ, externalID string) (bool, error) {
	prev := from[status]
	args := []any{shopID, id, status, reason, s.Clock.Now()}
	marks := make([]string, len(prev))
	for i, p := range prev {
		args = append(args, p)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	ok, err := exec(ctx, tx, "message status", fmt.Sprintf(advanceSQL, strings.Join(marks, ", ")), args...)
	if err != nil || !ok || s.Events == nil {
		return ok, err
	}
	var d message.EventData
	var customerID string
	if err := tx.QueryRowContext(ctx, messageCustomerSQL, shopID, id).Scan(&customerID, &d.Purpose, &d.Channel, &d.JourneyID); err != nil {
		return false, fmt.Errorf("message of report: %w", err)
	}
	d.MessageID, d.Reason = id, reason
	now := s.Clock.Now()
	_, _, err = s.Events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: customerID, Type: typ,
		ExternalID: externalID, OccurredAt: now, Now: now, Data: d})
	return true, err
}
