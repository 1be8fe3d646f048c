package customer

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
)

// eraseSQL blanks every personal column of the customer and unlinks the
// shop's own ID ("erased:<id>"), keeping the row so that orders, totals and
// aggregates stay as they were.
const eraseSQL = `UPDATE customers SET
	external_id = 'erased:' || id, name = '', email = '', phone = '', line_user_id = '',
	postal_address = '', attributes = '{}', preferred_channel = '', erased_at = $3, updated_at = $3
WHERE shop_id = $1 AND id = $2 AND erased_at IS NULL`

const (
	eraseConsentsSQL = `UPDATE consents SET source = 'erased', text = 'erased' WHERE shop_id = $1 AND customer_id = $2`
	eraseEventsSQL   = `UPDATE events SET data = '{}' WHERE shop_id = $1 AND customer_id = $2`
	// Rendered messages carry the name and more; what, when and why stay.
	eraseMessagesSQL = `UPDATE messages SET subject = '', body = '' WHERE shop_id = $1 AND customer_id = $2`
	// What the customer wrote to the shop; kind, status and times stay.
	eraseTicketsSQL = `UPDATE tickets SET subject = '', body = '' WHERE shop_id = $1 AND customer_id = $2`
	// The tickets' conversations (customer messages, replies and notes).
	eraseTicketEntriesSQL = `UPDATE ticket_entries SET body = '' WHERE shop_id = $1 AND customer_id = $2`
	// Survey comments are the customer's words; the scores stay for aggregates.
	eraseSurveyCommentsSQL = `UPDATE survey_responses SET comment = '' WHERE shop_id = $1 AND customer_id = $2`
)

// eraseRunsSQL blanks the customer's journey runs' context (it may hold
// the trigger event's data) and ends their active runs: their pending step
// jobs then do nothing.
const eraseRunsSQL = `UPDATE runs SET context = '{}',
	status = CASE WHEN status = 'active' THEN 'exited' ELSE status END,
	exit_reason = CASE WHEN status = 'active' THEN 'customer_erased' ELSE exit_reason END,
	ended_at = COALESCE(ended_at, $3), updated_at = $3
WHERE shop_id = $1 AND customer_id = $2`

// Erase removes a customer's personal data (APPI 削除): name, contact
// points, address, attributes, tags, the source and wording of their consent
// history, their stored freshness, the data of their events, the text of
// their messages and of their tickets, and their survey comments; their
// unredeemed coupon codes expire. The row stays, anonymised and
// marked erased, so orders and aggregates are unchanged; a customer.erased
// event without personal data records the erasure. An erased or unknown customer is not found.
//
// On SQLite the old values stay in free pages of the file until they are
// reused or the database is vacuumed; operators who need them gone at once
// run VACUUM.
func (s *Service) Erase(ctx context.Context, shopID, customerID string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error { return s.EraseTx(ctx, tx, shopID, customerID) })
}

// EraseTx is Erase in the caller's transaction (the admin UI records its
// audit entry in the same one).
func (s *Service) EraseTx(ctx context.Context, tx db.DBTX, shopID, customerID string) error {
	now := s.clock.Now()
	res, err := tx.ExecContext(ctx, eraseSQL, shopID, customerID, now)
	if err != nil {
		return fmt.Errorf("erase customer: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("erase customer: %w", err)
	} else if n == 0 {
		return errNotFound
	}
	for _, q := range []string{deleteTagsSQL, deleteFreshnessSQL, eraseConsentsSQL, eraseEventsSQL, eraseMessagesSQL, eraseTicketsSQL, eraseTicketEntriesSQL, eraseSurveyCommentsSQL} {
		if _, err := tx.ExecContext(ctx, q, shopID, customerID); err != nil {
			return fmt.Errorf("erase customer data: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, eraseRunsSQL, shopID, customerID, now); err != nil {
		return fmt.Errorf("erase customer runs: %w", err)
	}
	if _, err := tx.ExecContext(ctx, eraseCouponsSQL, shopID, customerID, now); err != nil {
		return fmt.Errorf("erase customer coupons: %w", err)
	}
	_, _, err = s.events.Record(ctx, tx, event.RecordParams{
		ShopID: shopID, CustomerID: customerID, Type: event.CustomerErased, OccurredAt: now, Now: now,
	})
	return err
}

// TimelineParams selects a page of a customer's events, newest first.
type TimelineParams struct {
	ShopID     string
	CustomerID string
	Before     time.Time // keyset cursor (with BeforeID); zero for the first page
	BeforeID   string
	Limit      int // default 50
}

// Timeline returns a page of the customer's events, newest first, and
// whether more follow.
func (s *Service) Timeline(ctx context.Context, p TimelineParams) ([]event.Event, bool, error) {
	if _, err := byID(ctx, s.db, p.ShopID, p.CustomerID); err != nil {
		return nil, false, err
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	evs, err := event.List(ctx, s.db, event.ListParams{
		ShopID: p.ShopID, CustomerID: p.CustomerID, Before: p.Before, BeforeID: p.BeforeID, Limit: p.Limit + 1,
	})
	if err != nil {
		return nil, false, err
	}
	if len(evs) > p.Limit {
		return evs[:p.Limit], true, nil
	}
	return evs, false, nil
}
