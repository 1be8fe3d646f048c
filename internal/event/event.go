// Package event records what happened to customers and tells subscribers.
//
// An event is a fact: an order was placed, consent changed, a message was
// sent, an integrator posted a custom event. Record writes it in the
// caller's transaction and calls every subscriber in that same transaction,
// so whatever hangs on an event (a journey run, a job) commits with it or not
// at all. The customer timeline is read from here.
//
// It imports only db, errs and id: every other domain package may use it.
package event

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
)

// Well-known event types. Integrators may post others (see ValidType).
const (
	OrderPlaced    = "order.placed"
	ConsentChanged = "consent.changed"
	CustomerErased = "customer.erased"
)

// Event is one fact about a customer (CustomerID may be empty for shop-wide facts).
type Event struct {
	ID         string          `json:"id"`
	ShopID     string          `json:"-"`
	CustomerID string          `json:"customer_id,omitempty"`
	Type       string          `json:"type"`
	ExternalID string          `json:"external_id,omitempty"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	CreatedAt  time.Time       `json:"created_at"`
}

// SubscriberFunc is called in the transaction that records an event.
// An error rolls the whole transaction back.
type SubscriberFunc func(ctx context.Context, tx db.DBTX, e Event) error

// Recorder records events and calls subscribers. Create one per process.
type Recorder struct {
	subs []SubscriberFunc
}

// Subscribe adds f; call it during start-up wiring only.
func (r *Recorder) Subscribe(f SubscriberFunc) { r.subs = append(r.subs, f) }

var typeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// ValidType reports whether t is a well-formed event type: dotted lower-case
// words such as "order.placed" or "app.coupon_viewed".
func ValidType(t string) bool { return len(t) <= 100 && typeRE.MatchString(t) }

// RecordParams is the input of Record.
type RecordParams struct {
	ShopID     string
	CustomerID string
	Type       string
	ExternalID string    // optional: the same external ID is recorded once
	OccurredAt time.Time // required
	Data       any       // marshalled to a JSON object; nil is {}
	Now        time.Time // created_at
}

// Record stores an event and calls the subscribers, all in tx. When an event
// with the same ExternalID exists, Record stores nothing, calls nobody and
// returns the existing event with created=false.
func (r *Recorder) Record(ctx context.Context, tx db.DBTX, p RecordParams) (e Event, created bool, err error) {
	data := json.RawMessage("{}")
	if p.Data != nil {
		if data, err = json.Marshal(p.Data); err != nil {
			return Event{}, false, fmt.Errorf("event data: %w", err)
		}
	}
	e = Event{
		ID: id.New("evt"), ShopID: p.ShopID, CustomerID: p.CustomerID, Type: p.Type,
		ExternalID: p.ExternalID, OccurredAt: p.OccurredAt.UTC(), Data: data, CreatedAt: p.Now.UTC(),
	}
	const q = `INSERT INTO events (shop_id, id, customer_id, type, external_id, occurred_at, data, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`
	res, err := tx.ExecContext(ctx, q, e.ShopID, e.ID, nullable(e.CustomerID), e.Type, nullable(e.ExternalID),
		e.OccurredAt, string(e.Data), e.CreatedAt)
	if err != nil {
		return Event{}, false, fmt.Errorf("insert event: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return Event{}, false, fmt.Errorf("insert event: %w", err)
	} else if n == 0 {
		existing, err := ByExternalID(ctx, tx, p.ShopID, p.ExternalID)
		return existing, false, err
	}
	for _, f := range r.subs {
		if err := f(ctx, tx, e); err != nil {
			return Event{}, false, fmt.Errorf("event %s subscriber: %w", e.Type, err)
		}
	}
	return e, true, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const columns = `id, shop_id, COALESCE(customer_id, ''), type, COALESCE(external_id, ''), occurred_at, data, created_at`

func scan(row interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var data string
	if err := row.Scan(&e.ID, &e.ShopID, &e.CustomerID, &e.Type, &e.ExternalID, &e.OccurredAt, &data, &e.CreatedAt); err != nil {
		return Event{}, err
	}
	e.Data = json.RawMessage(data)
	return e, nil
}

// ByExternalID returns the shop's event with the given external ID.
func ByExternalID(ctx context.Context, d db.DBTX, shopID, externalID string) (Event, error) {
	e, err := scan(d.QueryRowContext(ctx, `SELECT `+columns+` FROM events WHERE shop_id = $1 AND external_id = $2`, shopID, externalID))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, errs.NotFound("event_not_found", "event not found")
	}
	if err != nil {
		return Event{}, fmt.Errorf("event by external id: %w", err)
	}
	return e, nil
}

// ListParams selects a customer's events, newest first.
type ListParams struct {
	ShopID     string
	CustomerID string
	Types      []string  // optional filter
	Before     time.Time // optional: only events that occurred before (keyset)
	BeforeID   string    // with Before: tie-breaker
	Limit      int
}

// List returns a customer's events, newest first.
func List(ctx context.Context, d db.DBTX, p ListParams) ([]Event, error) {
	q := `SELECT ` + columns + ` FROM events WHERE shop_id = $1 AND customer_id = $2`
	args := []any{p.ShopID, p.CustomerID}
	if !p.Before.IsZero() {
		args = append(args, p.Before, p.BeforeID)
		q += fmt.Sprintf(` AND (occurred_at < $%d OR (occurred_at = $%d AND id < $%d))`, len(args)-1, len(args)-1, len(args))
	}
	if len(p.Types) > 0 {
		ph := make([]string, len(p.Types))
		for i, t := range p.Types {
			args = append(args, t)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND type IN (` + strings.Join(ph, ", ") + `)`
	}
	if p.Limit <= 0 {
		p.Limit = 100
	}
	args = append(args, p.Limit)
	q += fmt.Sprintf(` ORDER BY occurred_at DESC, id DESC LIMIT $%d`, len(args))
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
