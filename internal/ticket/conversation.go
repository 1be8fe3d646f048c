package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/policy"
)

// The kinds of conversation entry.
const (
	EntryCustomer = "customer_message" // the customer wrote (LINE, contact form, ...)
	EntryReply    = "staff_reply"      // staff answered; sent to the customer as a transactional message
	EntryNote     = "internal_note"    // staff wrote for staff only; never sent
)

// Channels a customer message names as where it came from (a reply names
// the channel it is sent by, as chosen when it was written).
const (
	ChannelForm = "form" // the public contact form
	ChannelLine = "line" // a LINE message
)

// ReplyWindow is how recently the customer must have written for a staff
// reply to go out during quiet hours (SPEC §4 rule 6).
const ReplyWindow = time.Hour

// Entry is one step of a ticket's conversation after it was opened (the
// ticket's own subject and body are the customer's first words).
type Entry struct {
	ID        string    `json:"id"`
	TicketID  string    `json:"ticket_id"`
	Kind      string    `json:"kind" doc:"customer_message, staff_reply or internal_note"`
	AuthorID  string    `json:"author_id" doc:"the staff user who wrote a reply or note; empty for the customer or an integration"`
	Channel   string    `json:"channel" doc:"a customer message: where it came from (line, form, ...); a reply: the channel chosen to send it by (line, sms, email, postal)"`
	Body      string    `json:"body"`
	MessageID string    `json:"message_id" doc:"a reply's message (GET /messages/{id}); empty otherwise"`
	CreatedAt time.Time `json:"created_at"`
}

// Detail is a ticket with its conversation, oldest entry first.
type Detail struct {
	Ticket
	Conversation []Entry `json:"conversation"`
}

// ReplyInput is a staff reply (POST /tickets/{id}/replies).
type ReplyInput struct {
	Body string `json:"body" openapi:"required" doc:"1 to 20,000 characters; sent to the customer as written"`
	// AuthorID is set by the admin UI (the signed-in user); the API leaves
	// it empty.
	AuthorID string `json:"-"`
}

// NoteInput is an internal note.
type NoteInput struct {
	Body     string `json:"body" openapi:"required" doc:"1 to 20,000 characters; staff only, never sent"`
	AuthorID string `json:"-"`
}

// validBody checks a reply's or note's text, trimmed in place.
func validBody(body *string) error {
	*body = strings.TrimSpace(*body)
	switch {
	case *body == "":
		return errs.Invalid("body", "required")
	case !text(*body, MaxBody):
		return errs.Invalid("body", fmt.Sprintf("at most %d characters of text", MaxBody))
	}
	return nil
}

// OutgoingReply is what SendReplyFunc plans as a message.
type OutgoingReply struct {
	ShopID, CustomerID, TicketID, EntryID string
	Subject, Body                         string
}

// SendReplyFunc plans a staff reply as a transactional message to the
// customer's best channel, in tx, and returns the message's ID. The
// message package provides it (it imports this one, so it comes in as a
// function).
type SendReplyFunc func(ctx context.Context, tx db.DBTX, r OutgoingReply) (string, error)

// SetSendReplyFunc tells the service how to send replies; wiring only.
func (s *Service) SetSendReplyFunc(f SendReplyFunc) { s.sendReply = f }

// errUnreachable is a reply to a customer who has no contact point left.
var errUnreachable = &errs.Error{Kind: errs.ErrInvalid, Code: "customer_unreachable",
	Message: "the customer has no email, phone, LINE or postal address to send a reply to",
	Fields:  map[string]string{"customer_id": "the customer has no reachable channel"}}

// IsUnreachable reports whether err is a reply refused because the
// customer cannot be reached on any channel.
func IsUnreachable(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Code == errUnreachable.Code
}

// Reply records a staff reply and plans it as a transactional message to
// the customer's best channel, in one transaction; the first reply meets
// the first-response SLA (first_response_at). A customer with no contact
// point is refused (customer_unreachable) and nothing is stored.
func (s *Service) Reply(ctx context.Context, shopID, ticketID string, in ReplyInput) (Entry, error) {
	var e Entry
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		e, err = s.ReplyTx(ctx, tx, shopID, ticketID, in)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return e, nil
}

// ReplyTx is Reply in the caller's transaction (the admin UI records its
// audit entry in the same one).
func (s *Service) ReplyTx(ctx context.Context, tx db.DBTX, shopID, ticketID string, in ReplyInput) (Entry, error) {
	if err := validBody(&in.Body); err != nil {
		return Entry{}, err
	}
	if s.sendReply == nil {
		return Entry{}, errors.New("ticket: no reply sender wired")
	}
	t, err := byID(ctx, tx, shopID, ticketID, true)
	if err != nil {
		return Entry{}, err
	}
	ch, err := s.replyChannel(ctx, tx, shopID, t.CustomerID)
	if err != nil {
		return Entry{}, err
	}
	if ch == "" {
		return Entry{}, errUnreachable
	}
	now := s.clock.Now()
	e := Entry{ID: id.New("tke"), TicketID: t.ID, Kind: EntryReply, AuthorID: in.AuthorID, Channel: ch, Body: in.Body, CreatedAt: now}
	if e.MessageID, err = s.sendReply(ctx, tx, OutgoingReply{ShopID: shopID, CustomerID: t.CustomerID, TicketID: t.ID,
		EntryID: e.ID, Subject: replySubject(t.Subject), Body: in.Body}); err != nil {
		return Entry{}, err
	}
	if err := insertEntry(ctx, tx, shopID, t.CustomerID, e); err != nil {
		return Entry{}, err
	}
	if t.FirstResponseAt == nil {
		t.FirstResponseAt = &now
	}
	t.UpdatedAt = now
	if err := update(ctx, tx, shopID, t); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// replySubject is the subject of a reply's email: "Re: " and the ticket's.
func replySubject(subject string) string {
	if strings.HasPrefix(strings.ToLower(subject), "re:") {
		return subject
	}
	return "Re: " + subject
}

// AddNote records an internal note (never sent).
func (s *Service) AddNote(ctx context.Context, shopID, ticketID string, in NoteInput) (Entry, error) {
	var e Entry
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		e, err = s.AddNoteTx(ctx, tx, shopID, ticketID, in)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return e, nil
}

// AddNoteTx is AddNote in the caller's transaction.
func (s *Service) AddNoteTx(ctx context.Context, tx db.DBTX, shopID, ticketID string, in NoteInput) (Entry, error) {
	if err := validBody(&in.Body); err != nil {
		return Entry{}, err
	}
	t, err := byID(ctx, tx, shopID, ticketID, true)
	if err != nil {
		return Entry{}, err
	}
	now := s.clock.Now()
	e := Entry{ID: id.New("tke"), TicketID: t.ID, Kind: EntryNote, AuthorID: in.AuthorID, Body: in.Body, CreatedAt: now}
	if err := insertEntry(ctx, tx, shopID, t.CustomerID, e); err != nil {
		return Entry{}, err
	}
	t.UpdatedAt = now
	if err := update(ctx, tx, shopID, t); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// OpenOrAppend takes what a customer wrote on a channel: appended to
// their latest open or pending ticket as a customer message (a pending
// ticket, which waited on the customer, opens again), or a new ticket
// (in.Kind, in.Subject, in.Body) when they have none. appended says which.
// The caller's transaction keeps the two from racing (LINE webhook events
// of one user arrive in order).
func (s *Service) OpenOrAppend(ctx context.Context, shopID, channel string, in CreateInput) (t Ticket, appended bool, err error) {
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		t, appended, err = s.OpenOrAppendTx(ctx, tx, shopID, channel, in)
		return err
	})
	return t, appended, err
}

// OpenOrAppendTx is OpenOrAppend in the caller's transaction.
func (s *Service) OpenOrAppendTx(ctx context.Context, tx db.DBTX, shopID, channel string, in CreateInput) (Ticket, bool, error) {
	if err := in.Validate(); err != nil {
		return Ticket{}, false, err
	}
	customerID, err := s.resolveCustomer(ctx, tx, shopID, in)
	if err != nil {
		return Ticket{}, false, err
	}
	if err := policy.LockCustomer(ctx, tx, shopID, customerID); err != nil {
		return Ticket{}, false, err
	}
	t, err := latestOpen(ctx, tx, shopID, customerID)
	if errors.Is(err, errNotFound) {
		in.CustomerID, in.CustomerExternalID = customerID, ""
		t, err := s.CreateTx(ctx, tx, shopID, in)
		return t, false, err
	}
	if err != nil {
		return Ticket{}, false, err
	}
	body := in.Body
	if strings.TrimSpace(body) == "" {
		body = in.Subject
	}
	now := s.clock.Now()
	e := Entry{ID: id.New("tke"), TicketID: t.ID, Kind: EntryCustomer, Channel: channel, Body: body, CreatedAt: now}
	if err := insertEntry(ctx, tx, shopID, customerID, e); err != nil {
		return Ticket{}, false, err
	}
	if t.Status == StatusPending {
		t.Status = StatusOpen
	}
	t.UpdatedAt = now
	if err := update(ctx, tx, shopID, t); err != nil {
		return Ticket{}, false, err
	}
	return t, true, nil
}

// Detail returns the shop's ticket with its conversation.
func (s *Service) Detail(ctx context.Context, shopID, ticketID string) (Detail, error) {
	t, err := byID(ctx, s.db, shopID, ticketID, false)
	if err != nil {
		return Detail{}, err
	}
	es, err := entries(ctx, s.db, shopID, ticketID)
	if err != nil {
		return Detail{}, err
	}
	return Detail{Ticket: t, Conversation: es}, nil
}

// ReplyChannel is the channel a reply to the ticket would go by now (the
// customer's preferred channel, else the shop's order, among those with a
// contact point: SPEC §5 best channel, no consent needed for a reply), or
// "" when the customer cannot be reached.
func (s *Service) ReplyChannel(ctx context.Context, shopID, ticketID string) (string, error) {
	t, err := byID(ctx, s.db, shopID, ticketID, false)
	if err != nil {
		return "", err
	}
	return s.replyChannel(ctx, s.db, shopID, t.CustomerID)
}

func (s *Service) replyChannel(ctx context.Context, d db.DBTX, shopID, customerID string) (string, error) {
	p, err := s.policies.Get(ctx, d, shopID)
	if err != nil {
		return "", err
	}
	c, err := contactOf(ctx, d, shopID, customerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil // erased: nothing to reach
	}
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	dec := policy.Decide(p, time.UTC, policy.Message{Purpose: policy.Transactional, Channel: "best", StaffReplyExempt: true},
		policy.Customer{Contacts: policy.Contacts(c.email, c.phone, c.line, c.postal), Preferred: c.preferred}, policy.History{}, now)
	if dec.Outcome == policy.Suppress {
		return "", nil
	}
	return dec.Channel, nil
}

// StaffReplyExempt reports whether message messageID is a staff reply to a
// ticket whose customer wrote within ReplyWindow before now (opening the
// ticket or a later customer message): such a reply ignores quiet hours
// (SPEC §4 rule 6). The message worker asks it in its judging transaction.
func StaffReplyExempt(ctx context.Context, d db.DBTX, shopID, messageID string, now time.Time) (bool, error) {
	if messageID == "" {
		return false, nil
	}
	last, ok, err := customerWroteAt(ctx, d, shopID, messageID)
	if err != nil || !ok {
		return false, err
	}
	return !last.Before(now.Add(-ReplyWindow)), nil
}
