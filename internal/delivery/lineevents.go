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
// unfollow withdraws it (line_unfollow), a text message joins the
// customer's open (or pending) ticket as a customer message, or opens a
// ticket of kind question with the text when they have none. A LINE user
// the shop does not know yet becomes a customer with external_id
// "line:<user id>" on follow or on their first message, so what they write
// lands in the inbox. Other message types (stickers, images) are
// acknowledged and not stored. Each event commits in one transaction with
// its claim, so a failure lets LINE's redelivery try it again.
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
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		if e.WebhookEventID != "" {
			fresh, err := claimHookEvent(ctx, tx, shopID, hookSourceLINE, e.WebhookEventID, now)
			if err != nil || !fresh {
				return err
			}
		}
		ext, err := lineCustomer(ctx, tx, shopID, e.UserID)
		if err != nil {
			return err
		}
		in := customer.Input{ExternalID: ext}
		text := e.Type == line.EventMessage && e.MessageType == "text" && strings.TrimSpace(e.Text) != ""
		switch {
		case e.Type == line.EventFollow:
			in.Consents = map[string]customer.ConsentInput{"line": {Granted: ptr(true), Source: SourceLineFollow}}
		case e.Type == line.EventUnfollow && ext != "":
			in.Consents = map[string]customer.ConsentInput{"line": {Granted: ptr(false), Source: SourceLineUnfollow}}
		case text:
		default:
			return nil
		}
		if ext == "" || in.Consents != nil {
			if ext == "" {
				in.ExternalID, in.LineUserID = "line:"+e.UserID, ptr(e.UserID)
			}
			c, _, err := s.Customers.UpsertTx(ctx, tx, shopID, in)
			if err != nil {
				return err
			}
			ext = c.ExternalID
		}
		if !text {
			return nil
		}
		_, _, err = s.Tickets.OpenOrAppendTx(ctx, tx, shopID, ticket.ChannelLine, ticket.CreateInput{CustomerExternalID: ext,
			Kind: "question", Subject: subjectOf(e.Text), Body: cut(e.Text, ticket.MaxBody)})
		return err
	})
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
