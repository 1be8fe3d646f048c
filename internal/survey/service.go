package survey

import (
	"context"
	"fmt"
	"slices"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/ticket"
)

// Service is the survey use cases: answers, results, recovery tickets.
type Service struct {
	db        *db.DB
	clock     clock.Clock
	events    *event.Recorder
	customers *customer.Service
	tickets   *ticket.Service
}

// NewService returns a Service.
func NewService(d *db.DB, clk clock.Clock, events *event.Recorder, customers *customer.Service, tickets *ticket.Service) *Service {
	return &Service{db: d, clock: clk, events: events, customers: customers, tickets: tickets}
}

// recoveryPending marks a response whose recovery ticket is being opened
// (within the answer's transaction: it never outlives it).
const recoveryPending = "pending"

// Submit stores the answer of the order's customer to a survey: the first
// submit creates the response (created=true) and records survey.answered,
// a later one edits it and records survey.updated. A low score opens the
// response's recovery ticket once (see the package doc). An unknown survey,
// an unknown order or an erased customer is not found; a bad answer is a
// validation error naming the form field, and changes nothing.
func (s *Service) Submit(ctx context.Context, shopID, surveyID, orderID string, a Answer) (Response, bool, error) {
	if !slices.Contains(Surveys, surveyID) {
		return Response{}, false, errNoSurvey
	}
	if err := a.Validate(); err != nil {
		return Response{}, false, err
	}
	var r Response
	var created, needTicket bool
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		customerID, err := orderCustomer(ctx, tx, shopID, orderID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		want := Response{ID: id.New("srv"), SurveyID: surveyID, OrderID: orderID, CustomerID: customerID,
			CSAT: a.CSAT, NPS: a.NPS, Comment: a.Comment, Locale: a.Locale, AnsweredAt: now}
		low := Low(a.CSAT, a.NPS)
		if low {
			want.RecoveryTicketID = recoveryPending
		}
		r, created, err = insert(ctx, tx, shopID, want)
		if err != nil {
			return err
		}
		needTicket = created && low
		if !created {
			old, err := byOrder(ctx, tx, shopID, surveyID, orderID)
			if err != nil {
				return err
			}
			want.ID, want.RecoveryTicketID = old.ID, old.RecoveryTicketID
			if low && old.RecoveryTicketID == "" {
				want.RecoveryTicketID, needTicket = recoveryPending, true
			}
			if r, err = update(ctx, tx, shopID, want, now); err != nil {
				return err
			}
		}
		p := event.RecordParams{ShopID: shopID, CustomerID: customerID, Type: EventUpdated, OccurredAt: now, Now: now,
			Data: EventData{SurveyID: surveyID, OrderID: orderID, CSAT: r.CSAT, NPS: r.NPS, Score: r.CSAT}}
		if created {
			p.Type, p.ExternalID = EventAnswered, "survey:"+surveyID+":"+orderID
		}
		if _, _, err = s.events.Record(ctx, tx, p); err != nil {
			return err
		}
		if needTicket {
			r.RecoveryTicketID, err = s.openRecovery(ctx, tx, shopID, r)
		}
		return err
	})
	if err != nil {
		return Response{}, false, err
	}
	return r, created, nil
}

// openRecovery opens the recovery ticket of a response that claimed it, and
// stores its ID, in the answer's transaction.
func (s *Service) openRecovery(ctx context.Context, tx db.DBTX, shopID string, r Response) (string, error) {
	body := fmt.Sprintf("アンケート（%s）で低い評価をいただきました。お客さまにご連絡ください。\n注文: %s\n満足度 (CSAT): %d / 5\n", r.SurveyID, r.OrderID, r.CSAT)
	if r.NPS != nil {
		body += fmt.Sprintf("おすすめ度 (NPS): %d / 10\n", *r.NPS)
	}
	if r.Comment != "" {
		body += "\nコメント:\n" + r.Comment + "\n"
	}
	t, err := s.tickets.CreateTx(ctx, tx, shopID, ticket.CreateInput{CustomerID: r.CustomerID, Kind: RecoveryKind(r.Comment),
		Subject: RecoverySubject, Body: body})
	if err != nil {
		return "", fmt.Errorf("open recovery ticket: %w", err)
	}
	return t.ID, setRecovery(ctx, tx, shopID, r.ID, t.ID)
}

// ByOrder returns the answer given for the order's survey; not found when
// there is none yet.
func (s *Service) ByOrder(ctx context.Context, shopID, surveyID, orderID string) (Response, error) {
	return byOrder(ctx, s.db, shopID, surveyID, orderID)
}
