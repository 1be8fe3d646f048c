package customer

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// ExportTicketEntry is one step of a ticket's conversation in an Export
// (the ticket_entries table belongs to package ticket, which imports this
// one, so it is read here).
type ExportTicketEntry struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Channel   string    `json:"channel"`
	Body      string    `json:"body"`
	MessageID string    `json:"message_id"`
	CreatedAt time.Time `json:"created_at"`
}

const exportTicketEntriesSQL = `SELECT ticket_id, id, kind, channel, body, message_id, created_at
FROM ticket_entries WHERE shop_id = $1 AND customer_id = $2 ORDER BY id`

// addTicketConversations fills the conversation of each of ts.
func addTicketConversations(ctx context.Context, d db.DBTX, shopID, customerID string, ts []ExportTicket) error {
	byTicket := make(map[string]int, len(ts))
	for i := range ts {
		ts[i].Conversation = []ExportTicketEntry{}
		byTicket[ts[i].ID] = i
	}
	rows, err := d.QueryContext(ctx, exportTicketEntriesSQL, shopID, customerID)
	if err != nil {
		return fmt.Errorf("export ticket entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ticketID string
		var e ExportTicketEntry
		if err := rows.Scan(&ticketID, &e.ID, &e.Kind, &e.Channel, &e.Body, &e.MessageID, &e.CreatedAt); err != nil {
			return fmt.Errorf("scan ticket entry: %w", err)
		}
		e.CreatedAt = e.CreatedAt.UTC()
		if i, ok := byTicket[ticketID]; ok {
			ts[i].Conversation = append(ts[i].Conversation, e)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export ticket entries: %w", err)
	}
	return nil
}
