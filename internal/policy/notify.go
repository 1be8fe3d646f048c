package policy

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/id"
)

// Notification kinds written by the engine.
const (
	// NotifyJourneyPaused: the annoyance brake paused a journey.
	NotifyJourneyPaused = "journey.paused"
)

// Notification is a message to the shop itself, shown in the admin UI and
// listed by GET /notifications.
type Notification struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind" doc:"e.g. journey.paused"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

// Limits of a notification's text; longer text is cut (at a character
// boundary), since notifications are written by the engine, not by users.
const (
	maxNotifyKind  = 100
	maxNotifyTitle = 200
	maxNotifyBody  = 5000
)

const insertNotificationSQL = `INSERT INTO notifications (shop_id, id, kind, title, body, created_at)
VALUES ($1, $2, $3, $4, $5, $6)`

// Notify tells the shop something in the caller's transaction (so the
// notification commits with the change it reports), e.g. that a journey was
// paused and why. Texts must not hold a customer's personal data.
func Notify(ctx context.Context, tx db.DBTX, shopID, kind, title, body string, now time.Time) error {
	if kind == "" || title == "" {
		return fmt.Errorf("notify: kind and title are required")
	}
	_, err := tx.ExecContext(ctx, insertNotificationSQL, shopID, id.New("ntf"),
		cut(kind, maxNotifyKind), cut(title, maxNotifyTitle), cut(body, maxNotifyBody), now)
	if err != nil {
		return fmt.Errorf("insert notification: %w", err)
	}
	return nil
}

// cut shortens s to at most n characters.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// NotificationParams selects a page of the shop's notifications, newest first.
type NotificationParams struct {
	ShopID   string
	BeforeID string // keyset cursor: the last ID of the previous page
	Limit    int    // default 50
}

const listNotificationsSQL = `SELECT id, kind, title, body, created_at, read_at FROM notifications
WHERE shop_id = $1 AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3`

// Notifications returns a page of the shop's notifications, newest first,
// and whether more follow.
func Notifications(ctx context.Context, d db.DBTX, p NotificationParams) ([]Notification, bool, error) {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	rows, err := d.QueryContext(ctx, listNotificationsSQL, p.ShopID, p.BeforeID, p.Limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		if err := rows.Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.CreatedAt, &n.ReadAt); err != nil {
			return nil, false, fmt.Errorf("scan notification: %w", err)
		}
		n.CreatedAt = n.CreatedAt.UTC()
		if n.ReadAt != nil {
			t := n.ReadAt.UTC()
			n.ReadAt = &t
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("list notifications: %w", err)
	}
	if len(out) > p.Limit {
		return out[:p.Limit], true, nil
	}
	return out, false, nil
}
