package customer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
)

type consentRow struct {
	ConsentRecord
	customerID string
}

const consentHistorySQL = `SELECT customer_id, id, channel, granted, at, source, text FROM consents
WHERE shop_id = $1 AND customer_id IN (%s) ORDER BY at, id`

// consentHistory returns every consent row of the customers, oldest first.
func consentHistory(ctx context.Context, d db.DBTX, shopID string, customerIDs []string) ([]consentRow, error) {
	args := []any{shopID}
	rows, err := d.QueryContext(ctx, fmt.Sprintf(consentHistorySQL, inList(&args, customerIDs)), args...)
	if err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	defer rows.Close()
	var out []consentRow
	for rows.Next() {
		var r consentRow
		if err := rows.Scan(&r.customerID, &r.ID, &r.Channel, &r.Granted, &r.At, &r.Source, &r.Text); err != nil {
			return nil, fmt.Errorf("scan consent: %w", err)
		}
		r.At = r.At.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	return out, nil
}

// ConsentsTx returns the customer's current consent per channel (the latest
// record of each channel that has one), read in tx. Channels without any
// record are absent: no consent.
func (s *Service) ConsentsTx(ctx context.Context, tx db.DBTX, shopID, customerID string) (map[string]Consent, error) {
	history, err := consentHistory(ctx, tx, shopID, []string{customerID})
	if err != nil {
		return nil, err
	}
	out := map[string]Consent{}
	for _, r := range history {
		out[r.Channel] = Consent{Granted: r.Granted, At: r.At, Source: r.Source}
	}
	return out, nil
}

const insertConsentSQL = `INSERT INTO consents (shop_id, id, customer_id, channel, granted, at, source, text, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6)`

// applyConsents appends one history row per channel of changes and records
// a consent.changed event for each channel whose state changes (a first
// record counts as a change). Repeating the current state appends history
// only. changes must be validated.
func (s *Service) applyConsents(ctx context.Context, tx db.DBTX, shopID, customerID string, changes map[string]ConsentInput, onlyChanges bool, now time.Time) error {
	if len(changes) == 0 {
		return nil
	}
	current, err := s.ConsentsTx(ctx, tx, shopID, customerID)
	if err != nil {
		return err
	}
	for _, ch := range slices.Sorted(maps.Keys(changes)) { // a stable order of rows and events
		in := changes[ch]
		granted := *in.Granted
		prev, had := current[ch]
		if onlyChanges && had && prev.Granted == granted {
			continue
		}
		if _, err := tx.ExecContext(ctx, insertConsentSQL, shopID, id.New("cns"), customerID, ch, granted, now, in.Source, in.Text); err != nil {
			return fmt.Errorf("insert consent: %w", err)
		}
		if had && prev.Granted == granted {
			continue
		}
		_, _, err := s.events.Record(ctx, tx, event.RecordParams{
			ShopID: shopID, CustomerID: customerID, Type: event.ConsentChanged, OccurredAt: now, Now: now,
			Data: map[string]any{"channel": ch, "granted": granted, "source": in.Source},
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SetConsent records a consent change of one channel of a customer and
// returns the customer as it now stands.
func (s *Service) SetConsent(ctx context.Context, shopID, customerID, channel string, in ConsentInput) (Customer, error) {
	if !ValidChannel(channel) {
		return Customer{}, errs.Invalid("channel", "one of email, sms, line, postal, phone")
	}
	if err := in.Validate(); err != nil {
		return Customer{}, err
	}
	var c Customer
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		if _, err := byID(ctx, tx, shopID, customerID); err != nil {
			return err
		}
		if err := s.applyConsents(ctx, tx, shopID, customerID, map[string]ConsentInput{channel: in}, false, s.clock.Now()); err != nil {
			return err
		}
		var err error
		c, err = s.loadTx(ctx, tx, shopID, customerID)
		return err
	})
	if err != nil {
		return Customer{}, err
	}
	return s.withFreshness(ctx, shopID, c)
}
