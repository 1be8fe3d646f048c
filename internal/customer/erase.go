package customer

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
)

// erased replaces personal text that must stay non-empty (consent source).
const erased = "erased"

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
)

// Erase removes a customer's personal data (APPI 削除): name, contact
// points, address, attributes, tags, the source and wording of their consent
// history and the data of their events. The row stays, anonymised and
// marked erased, so orders and aggregates are unchanged; a customer.erased
// event without personal data records the erasure. An erased or unknown
// customer is not found.
//
// On SQLite the old values stay in free pages of the file until they are
// reused or the database is vacuumed; operators who need them gone at once
// run VACUUM.
func (s *Service) Erase(ctx context.Context, shopID, customerID string) error {
	return s.db.InTx(ctx, func(tx *db.Tx) error {
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
		for _, q := range []string{deleteTagsSQL, eraseConsentsSQL, eraseEventsSQL} {
			if _, err := tx.ExecContext(ctx, q, shopID, customerID); err != nil {
				return fmt.Errorf("erase customer data: %w", err)
			}
		}
		_, _, err = s.events.Record(ctx, tx, event.RecordParams{
			ShopID: shopID, CustomerID: customerID, Type: event.CustomerErased, OccurredAt: now, Now: now,
		})
		return err
	})
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
