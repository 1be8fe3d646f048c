package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
)

// exportSections maps every table that holds data about a customer to the
// section of Export that carries it (APPI 開示). A test lists every table
// with a customer_id column and fails when one is missing here, so a new
// table cannot be forgotten: add it here and to Export in the same change.
var exportSections = map[string]string{
	"customers":          "customer",
	"customer_tags":      "customer",
	"customer_freshness": "customer", // Customer.Freshness
	"consents":           "consent_history",
	"orders":             "orders",
	"order_lines":        "orders",
	"events":             "events",
	"tickets":            "tickets",
	"ticket_entries":     "tickets", // ExportTicket.Conversation
	"messages":           "messages",
	"campaign_messages":  "messages", // a recall/broadcast's link to the customer's message, which the section holds
	"runs":               "runs",
	"run_log":            "runs",
	"survey_responses":   "survey_responses",
	"coupons":            "coupons",
}

// ExportSections returns a copy of the table → export section map.
func ExportSections() map[string]string {
	out := make(map[string]string, len(exportSections))
	for k, v := range exportSections {
		out[k] = v
	}
	return out
}

// Export is everything held on one customer (APPI 開示).
type Export struct {
	ExportedAt      time.Time              `json:"exported_at"`
	Customer        Customer               `json:"customer"`
	ConsentHistory  []ConsentRecord        `json:"consent_history"`
	Orders          []ExportOrder          `json:"orders"`
	Events          []event.Event          `json:"events"`
	Tickets         []ExportTicket         `json:"tickets"`
	Messages        []ExportMessage        `json:"messages"`
	Runs            []ExportRun            `json:"runs"`
	SurveyResponses []ExportSurveyResponse `json:"survey_responses"`
	Coupons         []ExportCoupon         `json:"coupons"`
}

// ExportMessage is a message to the customer in an Export (the messages
// table belongs to package message, which imports this one, so it is read
// here directly).
type ExportMessage struct {
	ID          string     `json:"id"`
	Channel     string     `json:"channel"`
	Purpose     string     `json:"purpose"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"`
	JourneyID   string     `json:"journey_id"`
	TemplateKey string     `json:"template_key"`
	Subject     string     `json:"subject"`
	Body        string     `json:"body"`
	DueAt       time.Time  `json:"due_at"`
	SentAt      *time.Time `json:"sent_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

// ExportOrder is an order in an Export.
type ExportOrder struct {
	ID         string       `json:"id"`
	ExternalID string       `json:"external_id"`
	OrderedAt  time.Time    `json:"ordered_at"`
	Channel    string       `json:"channel"`
	Store      string       `json:"store"`
	Total      int64        `json:"total"`
	Currency   string       `json:"currency"`
	Lines      []ExportLine `json:"lines"`
	CreatedAt  time.Time    `json:"created_at"`
}

// ExportLine is an order line in an Export.
type ExportLine struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
}

const exportOrdersSQL = `SELECT id, external_id, ordered_at, channel, store, total, currency, created_at
FROM orders WHERE shop_id = $1 AND customer_id = $2 ORDER BY ordered_at, id`

const exportLinesSQL = `SELECT l.order_id, l.sku, l.quantity, l.unit_price FROM order_lines l
JOIN orders o ON o.shop_id = l.shop_id AND o.id = l.order_id
WHERE o.shop_id = $1 AND o.customer_id = $2 ORDER BY l.order_id, l.line_no`

// Export returns everything held on the shop's customer.
func (s *Service) Export(ctx context.Context, shopID, customerID string) (Export, error) {
	c, err := s.ByID(ctx, shopID, customerID)
	if err != nil {
		return Export{}, err
	}
	x := Export{ExportedAt: s.clock.Now(), Customer: c, ConsentHistory: []ConsentRecord{}, Orders: []ExportOrder{}, Events: []event.Event{}}
	history, err := consentHistory(ctx, s.db, shopID, []string{customerID})
	if err != nil {
		return Export{}, err
	}
	for _, r := range history {
		x.ConsentHistory = append(x.ConsentHistory, r.ConsentRecord)
	}
	if x.Orders, err = exportOrders(ctx, s.db, shopID, customerID); err != nil {
		return Export{}, err
	}
	if x.Messages, err = exportMessages(ctx, s.db, shopID, customerID); err != nil {
		return Export{}, err
	}
	if x.Runs, err = exportRuns(ctx, s.db, shopID, customerID); err != nil {
		return Export{}, err
	}
	if x.Tickets, err = exportTickets(ctx, s.db, shopID, customerID); err != nil {
		return Export{}, err
	}
	if err := addTicketConversations(ctx, s.db, shopID, customerID, x.Tickets); err != nil {
		return Export{}, err
	}
	if x.SurveyResponses, err = exportSurveyResponses(ctx, s.db, shopID, customerID); err != nil {
		return Export{}, err
	}
	if x.Coupons, err = exportCoupons(ctx, s.db, shopID, customerID); err != nil {
		return Export{}, err
	}
	p := event.ListParams{ShopID: shopID, CustomerID: customerID, Limit: 500}
	for {
		page, err := event.List(ctx, s.db, p)
		if err != nil {
			return Export{}, err
		}
		x.Events = append(x.Events, page...)
		if len(page) < p.Limit {
			break
		}
		last := page[len(page)-1]
		p.Before, p.BeforeID = last.OccurredAt, last.ID
	}
	return x, nil
}

func exportOrders(ctx context.Context, d db.DBTX, shopID, customerID string) ([]ExportOrder, error) {
	rows, err := d.QueryContext(ctx, exportOrdersSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("export orders: %w", err)
	}
	defer rows.Close()
	out := []ExportOrder{}
	idx := map[string]int{}
	for rows.Next() {
		var o ExportOrder
		if err := rows.Scan(&o.ID, &o.ExternalID, &o.OrderedAt, &o.Channel, &o.Store, &o.Total, &o.Currency, &o.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan order: %w", err)
		}
		o.OrderedAt, o.CreatedAt, o.Lines = o.OrderedAt.UTC(), o.CreatedAt.UTC(), []ExportLine{}
		idx[o.ID] = len(out)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export orders: %w", err)
	}
	lines, err := d.QueryContext(ctx, exportLinesSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("export order lines: %w", err)
	}
	defer lines.Close()
	for lines.Next() {
		var orderID string
		var l ExportLine
		if err := lines.Scan(&orderID, &l.SKU, &l.Quantity, &l.UnitPrice); err != nil {
			return nil, fmt.Errorf("scan order line: %w", err)
		}
		if i, ok := idx[orderID]; ok {
			out[i].Lines = append(out[i].Lines, l)
		}
	}
	if err := lines.Err(); err != nil {
		return nil, fmt.Errorf("export order lines: %w", err)
	}
	return out, nil
}

const exportMessagesSQL = `SELECT id, channel, purpose, status, reason, journey_id, template_key, subject, body,
due_at, sent_at, created_at FROM messages WHERE shop_id = $1 AND customer_id = $2 ORDER BY id`

func exportMessages(ctx context.Context, d db.DBTX, shopID, customerID string) ([]ExportMessage, error) {
	rows, err := d.QueryContext(ctx, exportMessagesSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("export messages: %w", err)
	}
	defer rows.Close()
	out := []ExportMessage{}
	for rows.Next() {
		var m ExportMessage
		var sent sql.NullTime
		if err := rows.Scan(&m.ID, &m.Channel, &m.Purpose, &m.Status, &m.Reason, &m.JourneyID, &m.TemplateKey,
			&m.Subject, &m.Body, &m.DueAt, &sent, &m.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan message: %w", err)
		}
		m.DueAt, m.CreatedAt = m.DueAt.UTC(), m.CreatedAt.UTC()
		if sent.Valid {
			t := sent.Time.UTC()
			m.SentAt = &t
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export messages: %w", err)
	}
	return out, nil
}

// ExportTicket is a ticket of the customer in an Export (the tickets table
// belongs to package ticket, which imports this one, so it is read here).
type ExportTicket struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Status     string     `json:"status"`
	Subject    string     `json:"subject"`
	Body       string     `json:"body"`
	CreatedAt  time.Time  `json:"created_at"`
	ResolvedAt *time.Time `json:"resolved_at"`
	// Conversation is what followed the opening: the customer's later
	// messages, staff replies and internal notes, oldest first.
	Conversation []ExportTicketEntry `json:"conversation"`
}

const exportTicketsSQL = `SELECT id, kind, status, subject, body, created_at, resolved_at
FROM tickets WHERE shop_id = $1 AND customer_id = $2 ORDER BY id`

func exportTickets(ctx context.Context, d db.DBTX, shopID, customerID string) ([]ExportTicket, error) {
	rows, err := d.QueryContext(ctx, exportTicketsSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("export tickets: %w", err)
	}
	defer rows.Close()
	out := []ExportTicket{}
	for rows.Next() {
		var t ExportTicket
		if err := rows.Scan(&t.ID, &t.Kind, &t.Status, &t.Subject, &t.Body, &t.CreatedAt, &t.ResolvedAt); err != nil {
			return nil, fmt.Errorf("scan ticket: %w", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		if t.ResolvedAt != nil {
			r := t.ResolvedAt.UTC()
			t.ResolvedAt = &r
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export tickets: %w", err)
	}
	return out, nil
}

// ExportRun is a journey run of the customer in an Export, with its log
// (the runs and run_log tables belong to package journey, which imports
// this one, so they are read here directly).
type ExportRun struct {
	ID         string          `json:"id"`
	JourneyID  string          `json:"journey_id"`
	Version    int             `json:"version"`
	TriggerKey string          `json:"trigger_key"`
	Status     string          `json:"status"`
	StepIndex  int             `json:"step_index"`
	StepAt     time.Time       `json:"step_at"`
	Context    json.RawMessage `json:"context"`
	ExitReason string          `json:"exit_reason"`
	StartedAt  time.Time       `json:"started_at"`
	EndedAt    *time.Time      `json:"ended_at"`
	Log        []ExportRunStep `json:"log"`
}

// ExportRunStep is one executed step of an ExportRun.
type ExportRunStep struct {
	StepID    string    `json:"step_id"`
	StepType  string    `json:"step_type"`
	PlannedAt time.Time `json:"planned_at"`
	DoneAt    time.Time `json:"done_at"`
	Outcome   string    `json:"outcome"`
	Detail    string    `json:"detail"`
}

const (
	exportRunsSQL = `SELECT id, journey_id, version, trigger_key, status, step_index, step_at, context, exit_reason, started_at, ended_at
FROM runs WHERE shop_id = $1 AND customer_id = $2 ORDER BY id`
	exportRunLogSQL = `SELECT run_id, step_id, step_type, planned_at, done_at, outcome, detail
FROM run_log WHERE shop_id = $1 AND customer_id = $2 ORDER BY run_id, step_index`
)

func exportRuns(ctx context.Context, d db.DBTX, shopID, customerID string) ([]ExportRun, error) {
	rows, err := d.QueryContext(ctx, exportRunsSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("export runs: %w", err)
	}
	defer rows.Close()
	out := []ExportRun{}
	idx := map[string]int{}
	for rows.Next() {
		var r ExportRun
		var c string
		var ended sql.NullTime
		if err := rows.Scan(&r.ID, &r.JourneyID, &r.Version, &r.TriggerKey, &r.Status, &r.StepIndex, &r.StepAt, &c,
			&r.ExitReason, &r.StartedAt, &ended); err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		r.Context, r.Log = json.RawMessage(c), []ExportRunStep{}
		r.StepAt, r.StartedAt = r.StepAt.UTC(), r.StartedAt.UTC()
		if ended.Valid {
			t := ended.Time.UTC()
			r.EndedAt = &t
		}
		idx[r.ID] = len(out)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export runs: %w", err)
	}
	steps, err := d.QueryContext(ctx, exportRunLogSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("export run log: %w", err)
	}
	defer steps.Close()
	for steps.Next() {
		var runID string
		var e ExportRunStep
		if err := steps.Scan(&runID, &e.StepID, &e.StepType, &e.PlannedAt, &e.DoneAt, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan run log: %w", err)
		}
		e.PlannedAt, e.DoneAt = e.PlannedAt.UTC(), e.DoneAt.UTC()
		if i, ok := idx[runID]; ok {
			out[i].Log = append(out[i].Log, e)
		}
	}
	if err := steps.Err(); err != nil {
		return nil, fmt.Errorf("export run log: %w", err)
	}
	return out, nil
}

// ExportSurveyResponse is an answer of the customer to a survey in an
// Export (the survey_responses table belongs to package survey, which
// imports this one, so it is read here directly).
type ExportSurveyResponse struct {
	ID         string    `json:"id"`
	SurveyID   string    `json:"survey_id"`
	OrderID    string    `json:"order_id"`
	CSAT       int       `json:"csat"`
	NPS        *int      `json:"nps"`
	Comment    string    `json:"comment"`
	AnsweredAt time.Time `json:"answered_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

const exportSurveyResponsesSQL = `SELECT id, survey_id, order_id, csat, nps, comment, answered_at, updated_at
FROM survey_responses WHERE shop_id = $1 AND customer_id = $2 ORDER BY id`

func exportSurveyResponses(ctx context.Context, d db.DBTX, shopID, customerID string) ([]ExportSurveyResponse, error) {
	rows, err := d.QueryContext(ctx, exportSurveyResponsesSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("export survey responses: %w", err)
	}
	defer rows.Close()
	out := []ExportSurveyResponse{}
	for rows.Next() {
		var r ExportSurveyResponse
		var nps sql.NullInt64
		if err := rows.Scan(&r.ID, &r.SurveyID, &r.OrderID, &r.CSAT, &nps, &r.Comment, &r.AnsweredAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("scan survey response: %w", err)
		}
		if nps.Valid {
			n := int(nps.Int64)
			r.NPS = &n
		}
		r.AnsweredAt, r.UpdatedAt = r.AnsweredAt.UTC(), r.UpdatedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export survey responses: %w", err)
	}
	return out, nil
}
