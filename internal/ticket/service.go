package ticket

import (
	"context"
	"errors"
	"slices"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/policy"
)

// Service is the ticket use cases.
type Service struct {
	db        *db.DB
	clock     clock.Clock
	events    *event.Recorder
	customers *customer.Service
	policies  *policy.Service
	sendReply SendReplyFunc
}

// NewService returns a Service.
func NewService(d *db.DB, clk clock.Clock, events *event.Recorder, customers *customer.Service, policies *policy.Service) *Service {
	return &Service{db: d, clock: clk, events: events, customers: customers, policies: policies}
}

// eventData is the data of ticket.opened and ticket.resolved: no subject or
// body, which are personal.
type eventData struct {
	TicketID string `json:"ticket_id"`
	Kind     string `json:"kind"`
}

// Create opens a ticket for the shop's customer (status open, first
// response due after the policy's SLA) and records ticket.opened, in one
// transaction. An unknown or erased customer is a validation error naming
// the field that named it.
func (s *Service) Create(ctx context.Context, shopID string, in CreateInput) (Ticket, error) {
	var t Ticket
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		t, err = s.CreateTx(ctx, tx, shopID, in)
		return err
	})
	if err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// CreateTx is Create in the caller's transaction, so that what opens a
// ticket (a low survey score) and the ticket commit together.
func (s *Service) CreateTx(ctx context.Context, tx db.DBTX, shopID string, in CreateInput) (Ticket, error) {
	if err := in.Validate(); err != nil {
		return Ticket{}, err
	}
	customerID, err := s.resolveCustomer(ctx, tx, shopID, in)
	if err != nil {
		return Ticket{}, err
	}
	p, err := s.policies.Get(ctx, tx, shopID)
	if err != nil {
		return Ticket{}, err
	}
	now := s.clock.Now()
	t := Ticket{ID: id.New("tkt"), CustomerID: customerID, Kind: in.Kind, Status: StatusOpen, Subject: in.Subject,
		Body: in.Body, Assignee: in.Assignee, FirstResponseDueAt: now.Add(p.TicketSLA(in.Kind)), CreatedAt: now, UpdatedAt: now}
	if err := insert(ctx, tx, shopID, t); err != nil {
		return Ticket{}, err
	}
	if _, _, err := s.events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: customerID, Type: EventOpened,
		OccurredAt: now, Now: now, Data: eventData{TicketID: t.ID, Kind: t.Kind}}); err != nil {
		return Ticket{}, err
	}
	return t, nil
}

func (s *Service) resolveCustomer(ctx context.Context, tx db.DBTX, shopID string, in CreateInput) (string, error) {
	if in.CustomerExternalID != "" {
		c, err := s.customers.ByExternalIDTx(ctx, tx, shopID, in.CustomerExternalID)
		if errors.Is(err, errs.ErrNotFound) {
			return "", errs.Invalid("customer_external_id", "no customer has this external_id")
		}
		return c.ID, err
	}
	ok, err := customerExists(ctx, tx, shopID, in.CustomerID)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errs.Invalid("customer_id", "no such customer")
	}
	return in.CustomerID, nil
}

// ByID returns the shop's ticket.
func (s *Service) ByID(ctx context.Context, shopID, ticketID string) (Ticket, error) {
	return byID(ctx, s.db, shopID, ticketID, false)
}

// Update changes a ticket's status and/or assignee. Moving to resolved sets
// resolved_at and records ticket.resolved (once per resolution: resolving a
// resolved ticket changes nothing); reopening (open or pending) clears
// resolved_at; closing keeps it.
func (s *Service) Update(ctx context.Context, shopID, ticketID string, in UpdateInput) (Ticket, error) {
	if err := in.Validate(); err != nil {
		return Ticket{}, err
	}
	var t Ticket
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		t, err = s.UpdateTx(ctx, tx, shopID, ticketID, in)
		return err
	})
	if err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// UpdateTx is Update in the caller's transaction (the admin UI records
// its audit entry in the same one).
func (s *Service) UpdateTx(ctx context.Context, tx db.DBTX, shopID, ticketID string, in UpdateInput) (Ticket, error) {
	if err := in.Validate(); err != nil {
		return Ticket{}, err
	}
	t, err := byID(ctx, tx, shopID, ticketID, true)
	if err != nil {
		return Ticket{}, err
	}
	err = func() error {
		old := t
		now := s.clock.Now()
		if in.Assignee != nil {
			t.Assignee = *in.Assignee
		}
		resolved := false
		if in.Status != nil && *in.Status != t.Status {
			t.Status = *in.Status
			switch t.Status {
			case StatusResolved:
				t.ResolvedAt, resolved = &now, true
			case StatusOpen, StatusPending:
				t.ResolvedAt = nil
			}
		}
		if t.Status == old.Status && t.Assignee == old.Assignee {
			return nil // nothing changes: no write, no event
		}
		t.UpdatedAt = now
		if err := update(ctx, tx, shopID, t); err != nil {
			return err
		}
		if !resolved {
			return nil
		}
		_, _, err := s.events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: t.CustomerID, Type: EventResolved,
			OccurredAt: now, Now: now, Data: eventData{TicketID: t.ID, Kind: t.Kind}})
		return err
	}()
	if err != nil {
		return Ticket{}, err
	}
	return t, nil
}

// List returns a page of the shop's tickets, newest first, and whether more
// follow. Unknown status or kind filters are validation errors.
func (s *Service) List(ctx context.Context, p ListParams) ([]Ticket, bool, error) {
	var f errs.Fields
	if p.Status != "" && !slices.Contains(Statuses, p.Status) {
		f.Add("status", "one of open, pending, resolved, closed")
	}
	if p.Kind != "" && !slices.Contains(Kinds, p.Kind) {
		f.Add("kind", "one of question, defect, complaint, return, exchange, other")
	}
	if !line(p.CustomerID, maxRef) {
		f.Add("customer_id", "at most 100 characters, no control characters")
	}
	if !line(p.Assignee, maxAssignee) {
		f.Add("assignee", "at most 200 characters, no control characters")
	}
	if err := f.Err(); err != nil {
		return nil, false, err
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	limit := p.Limit
	p.Limit++
	out, err := list(ctx, s.db, p)
	if err != nil {
		return nil, false, err
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}
