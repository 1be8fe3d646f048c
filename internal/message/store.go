package message

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/policy"
)

const messageColumns = `id, shop_id, customer_id, channel, channel_requested, purpose, status, reason, journey_id,
journey_version, run_id, step_id, order_id, sku, template_key, locale, subject, body, dedupe_key, opted_out,
due_at, released_at, sent_at, created_at, updated_at`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var purpose string
	var released, sent sql.NullTime
	err := row.Scan(&m.ID, &m.ShopID, &m.CustomerID, &m.Channel, &m.ChannelRequested, &purpose, &m.Status, &m.Reason,
		&m.JourneyID, &m.JourneyVersion, &m.RunID, &m.StepID, &m.OrderID, &m.SKU, &m.TemplateKey, &m.Locale,
		&m.Subject, &m.Body, &m.DedupeKey, &m.OptedOut, &m.DueAt, &released, &sent, &m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return Message{}, err
	}
	m.Purpose = policy.Purpose(purpose)
	m.DueAt, m.CreatedAt, m.UpdatedAt = m.DueAt.UTC(), m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	if released.Valid {
		t := released.Time.UTC()
		m.ReleasedAt = &t
	}
	if sent.Valid {
		t := sent.Time.UTC()
		m.SentAt = &t
	}
	return m, nil
}

var errNotFound = errs.NotFound("message_not_found", "message not found")

const insertMessageSQL = `INSERT INTO messages (shop_id, id, customer_id, purpose, status, channel_requested,
template_key, journey_id, journey_version, run_id, step_id, order_id, sku, dedupe_key, due_at, created_at, updated_at,
subject, body)
VALUES ($1, $2, $3, $4, 'scheduled', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17)
ON CONFLICT (shop_id, dedupe_key) DO NOTHING
RETURNING ` + messageColumns

// insert stores a new scheduled message; ok is false when the dedupe key is taken.
func insert(ctx context.Context, tx db.DBTX, id string, p CreateParams, now time.Time) (Message, bool, error) {
	m, err := scanMessage(tx.QueryRowContext(ctx, insertMessageSQL, p.ShopID, id, p.CustomerID, string(p.Purpose),
		p.Channel, p.TemplateKey, p.JourneyID, p.JourneyVersion, p.RunID, p.StepID, p.OrderID, p.SKU, p.DedupeKey, p.DueAt, now,
		p.Subject, p.Body))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("insert message: %w", err)
	}
	return m, true, nil
}

const byDedupeKeySQL = `SELECT ` + messageColumns + ` FROM messages WHERE shop_id = $1 AND dedupe_key = $2`

func byDedupeKey(ctx context.Context, d db.DBTX, shopID, key string) (Message, error) {
	m, err := scanMessage(d.QueryRowContext(ctx, byDedupeKeySQL, shopID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, errNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("message by dedupe key: %w", err)
	}
	return m, nil
}

const byIDSQL = `SELECT ` + messageColumns + ` FROM messages WHERE shop_id = $1 AND id = $2`

func byID(ctx context.Context, d db.DBTX, shopID, id string) (Message, error) {
	m, err := scanMessage(d.QueryRowContext(ctx, byIDSQL, shopID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, errNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("message: %w", err)
	}
	return m, nil
}

// list builds its WHERE clause from fixed column names only; the values go
// in as parameters.
func list(ctx context.Context, d db.DBTX, p ListParams) ([]Message, error) {
	var b strings.Builder
	b.WriteString(`SELECT ` + messageColumns + ` FROM messages WHERE shop_id = $1`)
	args := []any{p.ShopID}
	for _, f := range []struct{ col, v string }{{"customer_id", p.CustomerID}, {"status", p.Status},
		{"purpose", p.Purpose}, {"journey_id", p.JourneyID}, {"reason", p.Reason}, {"channel", p.Channel}} {
		if f.v == "" {
			continue
		}
		args = append(args, f.v)
		b.WriteString(" AND " + f.col + " = $" + strconv.Itoa(len(args)))
	}
	if p.BeforeID != "" {
		args = append(args, p.BeforeID)
		b.WriteString(" AND id < $" + strconv.Itoa(len(args)))
	}
	args = append(args, p.Limit)
	b.WriteString(" ORDER BY id DESC LIMIT $" + strconv.Itoa(len(args)))
	rows, err := d.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return out, nil
}

const updateJudgedSQL = `UPDATE messages SET status = $3, reason = $4, due_at = $5, updated_at = $6
WHERE shop_id = $1 AND id = $2`

// setJudged stores a deferral or suppression.
func setJudged(ctx context.Context, tx db.DBTX, m *Message, now time.Time) error {
	if _, err := tx.ExecContext(ctx, updateJudgedSQL, m.ShopID, m.ID, m.Status, m.Reason, m.DueAt, now); err != nil {
		return fmt.Errorf("update message %s: %w", m.Status, err)
	}
	m.UpdatedAt = now
	return nil
}

const updateReleasedSQL = `UPDATE messages SET status = $3, reason = $4, channel = $5, locale = $6, subject = $7, body = $8,
released_at = $9, updated_at = $9 WHERE shop_id = $1 AND id = $2`

// setReleased stores what the policy released: channel and rendered text.
func setReleased(ctx context.Context, tx db.DBTX, m *Message, now time.Time) error {
	_, err := tx.ExecContext(ctx, updateReleasedSQL, m.ShopID, m.ID, m.Status, m.Reason, m.Channel, m.Locale, m.Subject, m.Body, now)
	if err != nil {
		return fmt.Errorf("release message: %w", err)
	}
	m.ReleasedAt, m.UpdatedAt = &now, now
	return nil
}

const markSentSQL = `UPDATE messages SET status = 'sent', sent_at = $3, updated_at = $3 WHERE shop_id = $1 AND id = $2`

// MarkSentTx records that m went out at now (status sent, sent_at). The
// outbox does this at once; channel senders when their provider accepts.
func MarkSentTx(ctx context.Context, tx db.DBTX, m *Message, now time.Time) error {
	if _, err := tx.ExecContext(ctx, markSentSQL, m.ShopID, m.ID, now); err != nil {
		return fmt.Errorf("mark message sent: %w", err)
	}
	m.Status, m.SentAt, m.UpdatedAt = StatusSent, &now, now
	return nil
}

// customerRow is what the due worker needs of a customer.
type customerRow struct {
	Name, Email, Phone, LineUserID, PostalAddress, Locale, Preferred string
}

const customerSQL = `SELECT name, email, phone, line_user_id, postal_address, locale, preferred_channel
FROM customers WHERE shop_id = $1 AND id = $2 AND erased_at IS NULL`

// errCustomerGone is an erased or missing customer.
var errCustomerGone = errs.NotFound("customer_not_found", "customer not found")

func customerByID(ctx context.Context, d db.DBTX, shopID, customerID string) (customerRow, error) {
	var c customerRow
	err := d.QueryRowContext(ctx, customerSQL, shopID, customerID).Scan(&c.Name, &c.Email, &c.Phone, &c.LineUserID,
		&c.PostalAddress, &c.Locale, &c.Preferred)
	if errors.Is(err, sql.ErrNoRows) {
		return customerRow{}, errCustomerGone
	}
	if err != nil {
		return customerRow{}, fmt.Errorf("message customer: %w", err)
	}
	return c, nil
}

// The policy's history. Times are selected as columns (never through
// COALESCE or MAX), so that SQLite hands them back typed as times.
const (
	historySQL = `SELECT purpose, sent_at, released_at FROM messages
WHERE shop_id = $1 AND customer_id = $2 AND purpose <> 'transactional'
AND %sstatus IN ('sending', 'sent', 'delivered', 'opened', 'clicked')
AND (sent_at >= $3 OR (sent_at IS NULL AND released_at >= $3))`
	latestOrderSQL = `SELECT ordered_at FROM orders WHERE shop_id = $1 AND customer_id = $2 ORDER BY ordered_at DESC LIMIT 1`
	careSinceSQL   = `SELECT COUNT(*) FROM messages
WHERE shop_id = $1 AND customer_id = $2 AND purpose = 'care'
AND %sstatus IN ('sending', 'sent', 'delivered', 'opened', 'clicked')
AND (sent_at > $3 OR (sent_at IS NULL AND released_at > $3))`
)

// The history queries must search a customer's messages (messages_customer)
// whatever their number. Without statistics SQLite's planner prefers
// messages_status, which during a recall holds every message of the shop
// being sent: a scan per judged message, quadratic in the recall's size.
// "+status" (SQLite only) keeps the planner off that index.
var (
	historySQLs   = [2]string{fmt.Sprintf(historySQL, ""), fmt.Sprintf(historySQL, "+")}
	careSinceSQLs = [2]string{fmt.Sprintf(careSinceSQL, ""), fmt.Sprintf(careSinceSQL, "+")}
)

// historyWindow is how far back the policy looks (the sales share's 90 days).
const historyWindow = 90 * 24 * time.Hour

// sentHistory returns the customer's counted non-transactional messages of
// the last 90 days and the care messages counted since their latest order.
func sentHistory(ctx context.Context, d db.DBTX, shopID, customerID string, now time.Time) ([]policy.Sent, int, error) {
	rows, err := d.QueryContext(ctx, d.Dialect().Pick(historySQLs[0], historySQLs[1]), shopID, customerID, now.Add(-historyWindow))
	if err != nil {
		return nil, 0, fmt.Errorf("message history: %w", err)
	}
	defer rows.Close()
	var sent []policy.Sent
	for rows.Next() {
		var purpose string
		var sentAt, released sql.NullTime
		if err := rows.Scan(&purpose, &sentAt, &released); err != nil {
			return nil, 0, fmt.Errorf("scan message history: %w", err)
		}
		at := released.Time
		if sentAt.Valid {
			at = sentAt.Time
		}
		sent = append(sent, policy.Sent{At: at.UTC(), Purpose: policy.Purpose(purpose)})
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("message history: %w", err)
	}
	var since time.Time // no order: every care message counts
	err = d.QueryRowContext(ctx, latestOrderSQL, shopID, customerID).Scan(&since)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, fmt.Errorf("latest order: %w", err)
	}
	var care int
	if err := d.QueryRowContext(ctx, d.Dialect().Pick(careSinceSQLs[0], careSinceSQLs[1]), shopID, customerID, since).Scan(&care); err != nil {
		return nil, 0, fmt.Errorf("care since latest order: %w", err)
	}
	return sent, care, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

const insertMessagesHead = `INSERT INTO messages (shop_id, id, customer_id, purpose, status, channel_requested,
template_key, journey_id, journey_version, run_id, step_id, order_id, sku, dedupe_key, due_at, created_at, updated_at) VALUES `

// insertMany stores new scheduled messages with one statement (ids[i] for
// ps[i]) and returns those inserted by shop and dedupe key; a taken key
// is left out.
func insertMany(ctx context.Context, tx db.DBTX, ids []string, ps []CreateParams, now time.Time) (map[[2]string]Message, error) {
	var b strings.Builder
	b.WriteString(insertMessagesHead)
	args := make([]any, 0, 15*len(ps))
	for i, p := range ps {
		if i > 0 {
			b.WriteString(", ")
		}
		if n := len(args); tx.Dialect() == db.Postgres {
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, 'scheduled', $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12, n+13, n+14, n+15, n+15)
		} else {
			// Plain "?" (SQLite resolves each "$N" by a linear search of
			// the names seen so far): created_at and updated_at take now twice.
			b.WriteString("(?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		}
		args = append(args, p.ShopID, ids[i], p.CustomerID, string(p.Purpose), p.Channel, p.TemplateKey, p.JourneyID,
			p.JourneyVersion, p.RunID, p.StepID, p.OrderID, p.SKU, p.DedupeKey, p.DueAt, now)
		if tx.Dialect() != db.Postgres {
			args = append(args, now)
		}
	}
	b.WriteString(" ON CONFLICT (shop_id, dedupe_key) DO NOTHING RETURNING " + messageColumns)
	rows, err := tx.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("insert %d messages: %w", len(ps), err)
	}
	defer rows.Close()
	out := make(map[[2]string]Message, len(ps))
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		out[[2]string{m.ShopID, m.DedupeKey}] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert %d messages: %w", len(ps), err)
	}
	return out, nil
}
