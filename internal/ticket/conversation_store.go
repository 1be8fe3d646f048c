package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

const insertEntrySQL = `INSERT INTO ticket_entries (shop_id, id, ticket_id, customer_id, kind, author_id, channel, body, message_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

func insertEntry(ctx context.Context, tx db.DBTX, shopID, customerID string, e Entry) error {
	_, err := tx.ExecContext(ctx, insertEntrySQL, shopID, e.ID, e.TicketID, customerID, e.Kind, e.AuthorID, e.Channel, e.Body,
		e.MessageID, e.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert ticket entry: %w", err)
	}
	return nil
}

// maxEntries bounds one ticket's conversation as shown; a ticket that
// outgrows it is a conversation no one can read on one page anyway.
const maxEntries = 1000

const entriesSQL = `SELECT id, ticket_id, kind, author_id, channel, body, message_id, created_at FROM ticket_entries
WHERE shop_id = $1 AND ticket_id = $2 ORDER BY id LIMIT $3`

func entries(ctx context.Context, d db.DBTX, shopID, ticketID string) ([]Entry, error) {
	rows, err := d.QueryContext(ctx, entriesSQL, shopID, ticketID, maxEntries)
	if err != nil {
		return nil, fmt.Errorf("ticket entries: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.TicketID, &e.Kind, &e.AuthorID, &e.Channel, &e.Body, &e.MessageID, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan ticket entry: %w", err)
		}
		e.CreatedAt = e.CreatedAt.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ticket entries: %w", err)
	}
	return out, nil
}

// latestOpenSQL is the customer's newest open or pending ticket (the
// tickets_customer index serves it).
const latestOpenSQL = `SELECT ` + columns + ` FROM tickets
WHERE shop_id = $1 AND customer_id = $2 AND status IN ('open', 'pending') ORDER BY id DESC LIMIT 1`

func latestOpen(ctx context.Context, d db.DBTX, shopID, customerID string) (Ticket, error) {
	t, err := scan(d.QueryRowContext(ctx, latestOpenSQL, shopID, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, errNotFound
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("latest open ticket: %w", err)
	}
	return t, nil
}

// contactRow is the customer's reachability.
type contactRow struct{ email, phone, line, postal, preferred string }

const contactSQL = `SELECT email, phone, line_user_id, postal_address, preferred_channel FROM customers
WHERE shop_id = $1 AND id = $2 AND erased_at IS NULL`

// contactOf returns sql.ErrNoRows for an erased customer.
func contactOf(ctx context.Context, d db.DBTX, shopID, customerID string) (contactRow, error) {
	var c contactRow
	err := d.QueryRowContext(ctx, contactSQL, shopID, customerID).Scan(&c.email, &c.phone, &c.line, &c.postal, &c.preferred)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return contactRow{}, fmt.Errorf("ticket customer contact: %w", err)
	}
	return c, err
}

// The times the customer wrote on the ticket that message replies to: the
// ticket's opening and its customer messages. Times are selected as
// columns (never through MAX), so that SQLite hands them back typed.
const (
	replyTicketSQL = `SELECT t.id, t.created_at FROM ticket_entries e
JOIN tickets t ON t.shop_id = e.shop_id AND t.id = e.ticket_id
WHERE e.shop_id = $1 AND e.message_id = $2 AND e.kind = 'staff_reply'`
	lastCustomerEntrySQL = `SELECT created_at FROM ticket_entries
WHERE shop_id = $1 AND ticket_id = $2 AND kind = 'customer_message' ORDER BY id DESC LIMIT 1`
)

// customerWroteAt returns when the customer last wrote on the ticket that
// message messageID replies to; ok is false when it is no staff reply.
func customerWroteAt(ctx context.Context, d db.DBTX, shopID, messageID string) (time.Time, bool, error) {
	var ticketID string
	var at time.Time
	err := d.QueryRowContext(ctx, replyTicketSQL, shopID, messageID).Scan(&ticketID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reply's ticket: %w", err)
	}
	var last time.Time
	err = d.QueryRowContext(ctx, lastCustomerEntrySQL, shopID, ticketID).Scan(&last)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return time.Time{}, false, fmt.Errorf("customer's last message: %w", err)
	case last.After(at):
		at = last
	}
	return at.UTC(), true, nil
}
