package message

import (
	"context"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/ticket"
)

// PlanTicketReplyTx plans a staff reply as a transactional message to the
// customer's best channel, due now, with its text inline (no template):
// ticket.SendReplyFunc. One message per reply (dedupe key
// ticket_reply:<entry>). Whether it may go out in quiet hours is judged
// when it is due (ticket.StaffReplyExempt).
func (s *Service) PlanTicketReplyTx(ctx context.Context, tx db.DBTX, r ticket.OutgoingReply) (string, error) {
	m, _, err := s.CreateTx(ctx, tx, CreateParams{ShopID: r.ShopID, CustomerID: r.CustomerID, Purpose: policy.Transactional,
		Channel: "best", Subject: r.Subject, Body: r.Body, DedupeKey: "ticket_reply:" + r.EntryID})
	if err != nil {
		return "", err
	}
	return m.ID, nil
}
