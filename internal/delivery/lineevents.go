package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/channel/line"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/ticket"
)

// Consent sources recorded from the LINE webhook.
const (
	SourceLineFollow   = "line_follow"
	SourceLineUnfollow = "line_unfollow"
)

// hookSourceLINE names LINE's webhookEventId space in hook_events.
const hookSourceLINE = "line"

const customerByLineSQL = `SELECT external_id FROM customers
WHERE shop_id = $1 AND line_user_id = $2 AND erased_at IS NULL ORDER BY id LIMIT 1`

// lineCustomer returns the external ID of the shop's customer with the
// LINE user ID, or "" for none.
func lineCustomer(ctx context.Context, d db.DBTX, shopID, userID string) (string, error) {
	var ext string
	err := d.QueryRowContext(ctx, customerByLineSQL, shopID, userID).Scan(&ext)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("customer by line user: %w", err)
	}
	return ext, nil
}

// ApplyLineEvents applies verified LINE webhook events, each once (by
// webhookEventId): follow grants LINE consent (source line_follow),
// unfollow withdraws it (line_unfollow), a text message opens a ticket of
// kind question with the text. A LINE user the shop does not know yet
// becomes a customer with external_id "line:<user id>" on follow or on
// their first message, so what they write lands in the inbox. Tickets have
// no notes yet, so every message opens its own ticket. Other message types
// (stickers, images) are acknowledged and not stored.
func (s *Service) ApplyLineEvents(ctx context.Context, shopID string, events []line.Event) error {
	for _, e := range events {
		if err := s.applyLineEvent(ctx, shopID, e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) applyLineEvent(ctx context.Context, shopID string, e line.Event) error {
	now := s.Clock.Now()
	var ext string
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if e.WebhookEventID != "" {
			fresh, err := claimHookEvent(ctx, tx, shopID, hookSourceLINE, e.WebhookEventID, now)
			if err != nil || !fresh {
				ext = ""
				return err
			}
		}
		var err error
		if ext, err = lineCustomer(ctx, tx, shopID, e.UserID); err != nil {
			return err
		}
		in := customer.Input{ExternalID: ext}
		switch {
		case e.Type == line.EventFollow:
			in.Consents = map[string]customer.ConsentInput{"line": {Granted: ptr(true), Source: SourceLineFollow}}
		case e.Type == line.EventUnfollow && ext != "":
			in.Consents = map[string]customer.ConsentInput{"line": {Granted: ptr(false), Source: SourceLineUnfollow}}
		case e.Type == line.EventMessage && e.MessageType == "text" && strings.TrimSpace(e.Text) != "":
			if ext != "" {
				return nil // the ticket is opened after this transaction
			}
		default:
			ext = ""
			return nil
		}
		if ext == "" {
			in.ExternalID, in.LineUserID = "line:"+e.UserID, ptr(e.UserID)
		}
		c, _, err := s.Customers.UpsertTx(ctx, tx, shopID, in)
		ext = c.ExternalID
		return err
	})
	if err != nil || ext == "" || e.Type != line.EventMessage {
		return err
	}
	_, err = s.Tickets.Create(ctx, shopID, ticket.CreateInput{CustomerExternalID: ext, Kind: "question",
		Subject: subjectOf(e.Text), Body: cut(e.Text, ticket.MaxBody)})
	if err != nil && e.WebhookEventID != "" {
		// Let LINE's redelivery try again.
		if rerr := releaseHookEvent(context.WithoutCancel(ctx), s.DB, shopID, hookSourceLINE, e.WebhookEventID); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

func ptr[T any](v T) *T { return &v }

// subjectOf is the first line of a customer's text, cut to a subject.
func subjectOf(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		line = "LINE"
	}
	return "LINE: " + cut(line, ticket.MaxSubject-6)
}

// cut keeps the first n characters of s.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
