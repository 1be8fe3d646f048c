package engagement

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

const byIDSQL = `SELECT id, customer_id, purpose, status, channel, journey_id, subject, body, acknowledged_at
FROM messages WHERE shop_id = $1 AND id = $2`

func byID(ctx context.Context, d db.DBTX, shopID, messageID string) (Message, error) {
	var m Message
	var ack sql.NullTime
	err := d.QueryRowContext(ctx, byIDSQL, shopID, messageID).Scan(&m.ID, &m.CustomerID, &m.Purpose, &m.Status,
		&m.Channel, &m.JourneyID, &m.Subject, &m.Body, &ack)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, errNotFound
	}
	if err != nil {
		return Message{}, wrap("engagement message", err)
	}
	if ack.Valid {
		t := ack.Time.UTC()
		m.AcknowledgedAt = &t
	}
	return m, nil
}

const setAcknowledgedSQL = `UPDATE messages SET acknowledged_at = $3, updated_at = $3
WHERE shop_id = $1 AND id = $2 AND acknowledged_at IS NULL`

func setAcknowledged(ctx context.Context, tx db.DBTX, shopID, messageID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, setAcknowledgedSQL, shopID, messageID, now); err != nil {
		return wrap("acknowledge message", err)
	}
	return nil
}

// setClickedSQL sets status clicked and the first click's time; the time
// is selected as a column (CASE, not COALESCE) so SQLite keeps it typed.
const setClickedSQL = `UPDATE messages SET status = 'clicked',
clicked_at = CASE WHEN clicked_at IS NULL THEN $3 ELSE clicked_at END, updated_at = $3
WHERE shop_id = $1 AND id = $2`

func setClicked(ctx context.Context, tx db.DBTX, shopID, messageID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, setClickedSQL, shopID, messageID, now); err != nil {
		return wrap("click message", err)
	}
	return nil
}
