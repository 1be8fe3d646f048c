package message

import (
	"context"
	"errors"
	"strings"

	"github.com/osteele/liquid"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

// Deps are what the message service needs.
type Deps struct {
	DB        *db.DB
	Clock     clock.Clock
	Queue     *jobs.Queue
	Events    *event.Recorder
	Customers *customer.Service
	Products  *product.Service
	Orders    *order.Service
	Tickets   *ticket.Service
	Policies  *policy.Service
	Signer    *token.Signer
	BaseURL   string
}

// Deliverer hands a message the policy released to a channel, in the
// transaction that released it. It must set m.Status: the outbox marks it
// sent at once; a channel sender marks it sending and sends it later.
type Deliverer interface {
	Deliver(ctx context.Context, tx db.DBTX, m *Message) error
}

// JourneyPausedFunc tells whether a journey is paused (read in tx).
type JourneyPausedFunc func(ctx context.Context, tx db.DBTX, shopID, journeyID string) (bool, error)

// Service is the message and template use cases.
type Service struct {
	Deps
	engine        *liquid.Engine
	deliverer     Deliverer
	journeyPaused JourneyPausedFunc
}

// NewService returns a Service whose deliverer is the outbox.
func NewService(d Deps) *Service {
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	s := &Service{Deps: d, engine: newEngine()}
	s.deliverer = Outbox{Clock: d.Clock}
	return s
}

// SetDeliverer replaces the outbox; call it during start-up wiring only.
func (s *Service) SetDeliverer(d Deliverer) { s.deliverer = d }

// SetJourneyPausedFunc tells the service how to ask whether a journey is
// paused; without it no journey counts as paused. Wiring only.
func (s *Service) SetJourneyPausedFunc(f func(ctx context.Context, tx db.DBTX, shopID, journeyID string) (bool, error)) {
	s.journeyPaused = f
}

// Outbox is the default Deliverer (SPEC §5): with no provider configured a
// message is "delivered" to the shop's outbox, i.e. marked sent at once and
// visible through the API.
type Outbox struct {
	Clock clock.Clock
}

// Deliver marks m sent now.
func (o Outbox) Deliver(ctx context.Context, tx db.DBTX, m *Message) error {
	return MarkSentTx(ctx, tx, m, o.Clock.Now())
}

// dueArgs are the arguments of a message.due job.
type dueArgs struct {
	MessageID string `json:"message_id"`
}

// DueKind is the job kind that judges a message when it comes due.
const DueKind = "message.due"

// CreateTx plans a message in tx: status scheduled, and a message.due job
// at DueAt. A dedupe key the shop already used returns that message with
// created=false and enqueues nothing, so a journey step run twice plans
// one message.
func (s *Service) CreateTx(ctx context.Context, tx db.DBTX, p CreateParams) (Message, bool, error) {
	if err := p.validate(); err != nil {
		return Message{}, false, err
	}
	now := s.Clock.Now()
	if p.DueAt.IsZero() {
		p.DueAt = now
	}
	m, created, err := insert(ctx, tx, id.New("msg"), p, now)
	if err != nil {
		return Message{}, false, err
	}
	if !created {
		m, err = byDedupeKey(ctx, tx, p.ShopID, p.DedupeKey)
		return m, false, err
	}
	if err := s.enqueueDue(ctx, tx, m); err != nil {
		return Message{}, false, err
	}
	return m, true, nil
}

func (s *Service) enqueueDue(ctx context.Context, tx db.DBTX, m Message) error {
	_, _, err := s.Queue.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: DueKind, ShopID: m.ShopID,
		Args: dueArgs{MessageID: m.ID}, RunAt: m.DueAt})
	return err
}

// ByID returns the shop's message.
func (s *Service) ByID(ctx context.Context, shopID, messageID string) (Message, error) {
	return byID(ctx, s.DB, shopID, messageID)
}

// List returns a page of the shop's messages, newest first, and whether
// more follow. An impossible status or purpose filter is a 400.
func (s *Service) List(ctx context.Context, p ListParams) ([]Message, bool, error) {
	if err := p.validate(); err != nil {
		return nil, false, err
	}
	want := p.Limit
	p.Limit++
	ms, err := list(ctx, s.DB, p)
	if err != nil {
		return nil, false, err
	}
	if len(ms) > want {
		return ms[:want], true, nil
	}
	return ms, false, nil
}

// PreviewParams say for whom to preview a template.
type PreviewParams struct {
	CustomerID string `json:"customer_id" openapi:"required"`
	OrderID    string `json:"order_id,omitempty" doc:"one of the customer's orders (product, total, date and links come from it)"`
	SKU        string `json:"sku,omitempty" doc:"the product to speak of (default: the order's first catalogued line)"`
	Locale     string `json:"locale,omitempty" doc:"ja or en (default: the customer's)"`
}

// Preview renders the shop's template for one customer (and order) as the
// message would be rendered when sent, writing nothing.
func (s *Service) Preview(ctx context.Context, shopID, key string, p PreviewParams) (Rendered, error) {
	t, err := s.GetTemplate(ctx, shopID, key)
	if err != nil {
		return Rendered{}, err
	}
	return s.previewFor(ctx, shopID, t, p)
}

// previewFor renders t for p's customer (Preview and PreviewInput).
func (s *Service) previewFor(ctx context.Context, shopID string, t Template, p PreviewParams) (Rendered, error) {
	var f errs.Fields
	if p.Locale != "" && p.Locale != "ja" && p.Locale != "en" {
		f.Add("locale", "ja or en")
	}
	if p.CustomerID == "" {
		f.Add("customer_id", "required")
	}
	if err := f.Err(); err != nil {
		return Rendered{}, err
	}
	sh, err := shop.ByID(ctx, s.DB, shopID)
	if err != nil {
		return Rendered{}, err
	}
	c, err := customerByID(ctx, s.DB, shopID, p.CustomerID)
	if errors.Is(err, errCustomerGone) {
		return Rendered{}, errs.Invalid("customer_id", "no such customer in this shop")
	}
	if err != nil {
		return Rendered{}, err
	}
	locale := p.Locale
	if locale == "" {
		locale = c.Locale
	}
	locale = chooseLocale(t, locale)
	v, err := s.vars(ctx, s.DB, varsParams{Shop: sh, CustomerID: p.CustomerID, CustomerName: c.Name,
		OrderID: p.OrderID, SKU: p.SKU, Locale: locale})
	if errors.Is(err, errOrderNotFound) {
		return Rendered{}, errs.Invalid("order_id", "no such order of this customer")
	}
	if err != nil {
		return Rendered{}, err
	}
	return s.renderFor(ctx, t, locale, v)
}
