package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/ticket"
)

// feedback writes survey answers and tickets through a survey and a ticket
// service that run on a step clock, so that each carries its planned time.
type feedback struct {
	db        *db.DB
	clk       *stepClock
	customers *customer.Service
	surveys   *survey.Service
	tickets   *ticket.Service
	shopID    string
}

func newFeedback(deps Deps, shopID string) *feedback {
	clk := &stepClock{}
	customers := customer.NewService(deps.DB, clk, deps.Events)
	tickets := ticket.NewService(deps.DB, clk, deps.Events, customers, deps.Policies)
	return &feedback{db: deps.DB, clk: clk, customers: customers, tickets: tickets, shopID: shopID,
		surveys: survey.NewService(deps.DB, clk, deps.Events, customers, tickets)}
}

// putAnswers submits the planned survey answers that are not stored yet (a
// second submit would edit the answer and record survey.updated) and
// carries out the recovery of each low score's ticket that is not resolved
// yet. The survey service opens those tickets itself.
func (f *feedback) putAnswers(ctx context.Context, planned []SurveyAnswer, orderIDs map[string]string) error {
	for _, a := range planned {
		orderID, ok := orderIDs[a.OrderExternalID]
		if !ok {
			return fmt.Errorf("survey answer: order %s is not stored", a.OrderExternalID)
		}
		r, err := f.surveys.ByOrder(ctx, f.shopID, survey.PostPurchase, orderID)
		if errors.Is(err, errs.ErrNotFound) {
			f.clk.set(a.At)
			r, _, err = f.surveys.Submit(ctx, f.shopID, survey.PostPurchase, orderID,
				survey.Answer{CSAT: a.CSAT, NPS: a.NPS, Comment: a.Comment, Locale: a.Locale})
		}
		if err != nil {
			return fmt.Errorf("survey answer of order %s: %w", a.OrderExternalID, err)
		}
		if r.RecoveryTicketID == "" || len(a.Recovery) == 0 {
			continue
		}
		t, err := f.tickets.ByID(ctx, f.shopID, r.RecoveryTicketID)
		if err != nil {
			return fmt.Errorf("recovery ticket of order %s: %w", a.OrderExternalID, err)
		}
		if t.Status == a.Recovery[len(a.Recovery)-1].Status {
			continue // done by an earlier run
		}
		if err := f.db.InTx(ctx, func(tx *db.Tx) error { return f.steps(ctx, tx, t.ID, a.Recovery) }); err != nil {
			return fmt.Errorf("recovery ticket of order %s: %w", a.OrderExternalID, err)
		}
	}
	return nil
}

// putTickets opens the planned support tickets that are not stored yet,
// each with what staff did on it in one transaction: a ticket of the
// customer with the planned subject is the planned one, complete.
func (f *feedback) putTickets(ctx context.Context, planned []Ticket) error {
	for _, pt := range planned {
		exists, err := f.hasTicket(ctx, pt)
		if err != nil {
			return err
		}
		if exists {
			continue
		}
		err = f.db.InTx(ctx, func(tx *db.Tx) error {
			f.clk.set(pt.OpenedAt)
			t, err := f.tickets.CreateTx(ctx, tx, f.shopID, ticket.CreateInput{CustomerExternalID: pt.CustomerExternalID,
				Kind: pt.Kind, Subject: pt.Subject, Body: pt.Body})
			if err != nil {
				return err
			}
			return f.steps(ctx, tx, t.ID, pt.Steps)
		})
		if err != nil {
			return fmt.Errorf("ticket %q of %s: %w", pt.Subject, pt.CustomerExternalID, err)
		}
	}
	return nil
}

func (f *feedback) hasTicket(ctx context.Context, pt Ticket) (bool, error) {
	c, err := f.customers.ByExternalIDTx(ctx, f.db, f.shopID, pt.CustomerExternalID)
	if err != nil {
		return false, fmt.Errorf("customer %s of a ticket: %w", pt.CustomerExternalID, err)
	}
	// A demo customer has a few tickets at most: the first page holds them.
	ts, _, err := f.tickets.List(ctx, ticket.ListParams{ShopID: f.shopID, CustomerID: c.ID, Limit: 100})
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if t.Subject == pt.Subject {
			return true, nil
		}
	}
	return false, nil
}

// steps carries out what staff did on a ticket, each at its time.
func (f *feedback) steps(ctx context.Context, tx db.DBTX, ticketID string, steps []TicketStep) error {
	for _, s := range steps {
		f.clk.set(s.At)
		if s.Note != "" {
			if _, err := f.tickets.AddNoteTx(ctx, tx, f.shopID, ticketID, ticket.NoteInput{Body: s.Note}); err != nil {
				return err
			}
		}
		if s.Status != "" {
			status := s.Status
			if _, err := f.tickets.UpdateTx(ctx, tx, f.shopID, ticketID, ticket.UpdateInput{Status: &status}); err != nil {
				return err
			}
		}
	}
	return nil
}
