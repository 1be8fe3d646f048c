package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

const settingsColumns = `shop_id, channel, provider, config, secrets, version, updated_at`

const settingsSQL = `SELECT ` + settingsColumns + ` FROM channel_settings WHERE shop_id = $1`

// storedSettings is a channel_settings row before its secrets are opened.
type storedSettings struct {
	shopID, channel, provider, config, secrets string
	version                                    int64
	updatedAt                                  time.Time
}

// loadSettings returns the shop's stored settings by channel, secrets
// opened.
func (s *Service) loadSettings(ctx context.Context, d db.DBTX, shopID string) (map[string]Settings, error) {
	rows, err := d.QueryContext(ctx, settingsSQL, shopID)
	if err != nil {
		return nil, fmt.Errorf("channel settings: %w", err)
	}
	defer rows.Close()
	var raw []storedSettings
	for rows.Next() {
		var r storedSettings
		if err := rows.Scan(&r.shopID, &r.channel, &r.provider, &r.config, &r.secrets, &r.version, &r.updatedAt); err != nil {
			return nil, fmt.Errorf("scan channel settings: %w", err)
		}
		raw = append(raw, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("channel settings: %w", err)
	}
	out := make(map[string]Settings, len(raw))
	for _, r := range raw {
		st := Settings{ShopID: r.shopID, Channel: r.channel, Version: r.version, UpdatedAt: r.updatedAt.UTC()}
		if err := json.Unmarshal([]byte(r.config), &st.config); err != nil {
			return nil, fmt.Errorf("channel settings %s: %w", r.channel, err)
		}
		plain, err := s.sealer.open(r.shopID, r.channel, r.secrets)
		if err != nil {
			return nil, err
		}
		if len(plain) > 0 {
			if err := json.Unmarshal(plain, &st.secrets); err != nil {
				return nil, fmt.Errorf("channel secrets %s: %w", r.channel, err)
			}
		}
		out[r.channel] = st
	}
	return out, nil
}

const upsertSettingsSQL = `INSERT INTO channel_settings (shop_id, channel, provider, config, secrets, version, updated_at)
VALUES ($1, $2, $3, $4, $5, 1, $6)
ON CONFLICT (shop_id, channel) DO UPDATE SET provider = $3, config = $4, secrets = $5,
	version = channel_settings.version + 1, updated_at = $6
RETURNING version`

// storeSettings writes st, sealing its secrets.
func (s *Service) storeSettings(ctx context.Context, tx db.DBTX, st *Settings) error {
	cfg, err := json.Marshal(st.config)
	if err != nil {
		return fmt.Errorf("channel settings: %w", err)
	}
	plain, err := json.Marshal(st.secrets)
	if err != nil {
		return fmt.Errorf("channel secrets: %w", err)
	}
	sealed, err := s.sealer.seal(st.ShopID, st.Channel, plain)
	if err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, upsertSettingsSQL, st.ShopID, st.Channel, st.Provider, string(cfg), sealed, st.UpdatedAt).Scan(&st.Version); err != nil {
		return fmt.Errorf("store channel settings: %w", err)
	}
	return nil
}

// attempt is one channel a message was handed to.
type attempt struct {
	MessageID  string
	Channel    string
	Provider   string
	Status     string
	Reason     string
	ProviderID string
	Segments   int
}

const upsertAttemptSQL = `INSERT INTO message_attempts (shop_id, message_id, channel, provider, status, reason, provider_id,
segments, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
ON CONFLICT (shop_id, message_id, channel) DO UPDATE SET provider = $4, status = $5, reason = $6,
	provider_id = $7, segments = $8, updated_at = $9`

func upsertAttempt(ctx context.Context, tx db.DBTX, shopID string, a attempt, now time.Time) error {
	_, err := tx.ExecContext(ctx, upsertAttemptSQL, shopID, a.MessageID, a.Channel, a.Provider, a.Status, a.Reason,
		a.ProviderID, a.Segments, now)
	if err != nil {
		return fmt.Errorf("message attempt: %w", err)
	}
	return nil
}

const attemptsSQL = `SELECT channel, provider, status, reason, provider_id, segments FROM message_attempts
WHERE shop_id = $1 AND message_id = $2 ORDER BY created_at, channel`

func attempts(ctx context.Context, d db.DBTX, shopID, messageID string) ([]attempt, error) {
	rows, err := d.QueryContext(ctx, attemptsSQL, shopID, messageID)
	if err != nil {
		return nil, fmt.Errorf("message attempts: %w", err)
	}
	defer rows.Close()
	var out []attempt
	for rows.Next() {
		a := attempt{MessageID: messageID}
		if err := rows.Scan(&a.Channel, &a.Provider, &a.Status, &a.Reason, &a.ProviderID, &a.Segments); err != nil {
			return nil, fmt.Errorf("scan message attempt: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("message attempts: %w", err)
	}
	return out, nil
}

const attemptByProviderIDSQL = `SELECT message_id FROM message_attempts
WHERE shop_id = $1 AND provider = $2 AND provider_id = $3`

// messageIDByProviderID finds the message a provider's id belongs to.
func messageIDByProviderID(ctx context.Context, d db.DBTX, shopID, provider, providerID string) (string, error) {
	var id string
	err := d.QueryRowContext(ctx, attemptByProviderIDSQL, shopID, provider, providerID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("message by provider id: %w", err)
	}
	return id, nil
}

// The message rows belong to package message; these are the status changes
// that only delivery makes (message exports MarkSentTx alone). Every one is
// conditional on the status it leaves, so a stale job or a late callback
// changes nothing.
const (
	// sendingMessageSQL reads what the send worker needs of a message.
	sendingMessageSQL = `SELECT m.customer_id, m.channel, m.channel_requested, m.purpose, m.status, m.locale, m.subject,
m.body, m.template_key, m.sku, m.order_id, m.journey_id, c.name, c.email, c.phone, c.line_user_id, c.postal_address, c.preferred_channel,
c.locale, c.erased_at IS NOT NULL
FROM messages m JOIN customers c ON c.shop_id = m.shop_id AND c.id = m.customer_id
WHERE m.shop_id = $1 AND m.id = $2`
	markSentSQL = `UPDATE messages SET status = 'sent', reason = '', sent_at = $4, updated_at = $4
WHERE shop_id = $1 AND id = $2 AND status = 'sending' AND channel = $3`
	markFailedSQL = `UPDATE messages SET status = 'failed', reason = $4, updated_at = $5
WHERE shop_id = $1 AND id = $2 AND status = 'sending' AND channel = $3`
	switchChannelSQL = `UPDATE messages SET channel = $4, subject = $5, body = $6, updated_at = $7
WHERE shop_id = $1 AND id = $2 AND status = 'sending' AND channel = $3`
	// advanceSQL moves a message that went out to a later status: $3 is
	// the new status, $4 the statuses it may leave (a JSON-free IN list is
	// built by the caller from a fixed table).
	advanceSQL = `UPDATE messages SET status = $3, reason = $4, updated_at = $5
WHERE shop_id = $1 AND id = $2 AND status IN (%s)`
)

// sendable is what the send worker reads of a message and its customer.
type sendable struct {
	CustomerID, Channel, ChannelRequested, Purpose, Status, Locale, Subject, Body, TemplateKey, SKU, OrderID, JourneyID string
	Name, Email, Phone, LineUserID, PostalAddress, Preferred, CustomerLocale                                            string
	Erased                                                                                                              bool
}

var errNoMessage = errors.New("message not found")

func loadSendable(ctx context.Context, d db.DBTX, shopID, messageID string) (sendable, error) {
	var m sendable
	err := d.QueryRowContext(ctx, sendingMessageSQL, shopID, messageID).Scan(&m.CustomerID, &m.Channel, &m.ChannelRequested,
		&m.Purpose, &m.Status, &m.Locale, &m.Subject, &m.Body, &m.TemplateKey, &m.SKU, &m.OrderID, &m.JourneyID, &m.Name, &m.Email, &m.Phone,
		&m.LineUserID, &m.PostalAddress, &m.Preferred, &m.CustomerLocale, &m.Erased)
	if errors.Is(err, sql.ErrNoRows) {
		return sendable{}, errNoMessage
	}
	if err != nil {
		return sendable{}, fmt.Errorf("message to send: %w", err)
	}
	return m, nil
}

// exec runs a conditional update and reports whether it changed a row.
func exec(ctx context.Context, tx db.DBTX, what, q string, args ...any) (bool, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return n > 0, nil
}

const insertHookEventSQL = `INSERT INTO hook_events (shop_id, source, event_id, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (shop_id, source, event_id) DO NOTHING`

// claimHookEvent records a webhook event id and reports whether it is new.
func claimHookEvent(ctx context.Context, tx db.DBTX, shopID, source, eventID string, now time.Time) (bool, error) {
	return exec(ctx, tx, "hook event", insertHookEventSQL, shopID, source, eventID, now)
}
