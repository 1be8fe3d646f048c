package event

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

// Limits of a custom event.
const (
	MaxData       = 64 << 10 // bytes of data
	maxExternalID = 100      // characters
	maxFuture     = 24 * time.Hour
)

// ReservedPrefixes are Kizukai's own event namespaces: an integrator
// posting order.placed would start journeys for an order that does not exist.
var ReservedPrefixes = []string{"order.", "consent.", "customer.", "message.", "ticket.", "survey.", "coupon.",
	"lottery.", "recall.", "invoice.", "journey.", "return."}

// CustomerLookup is what Service needs of the customer package. The event
// package cannot import customer (customer records its events here), so it
// names the two look-ups itself; *customer.Service provides
// IDsByExternalIDTx, and the wiring adapts its ByID to CustomerExists.
type CustomerLookup interface {
	// CustomerExists returns nil when the shop has a live (not erased)
	// customer with this Kizukai ID, and an error wrapping errs.ErrNotFound
	// when it has not.
	CustomerExists(ctx context.Context, shopID, customerID string) error
	// IDsByExternalIDTx maps the external IDs of the shop's live customers
	// among externalIDs to their Kizukai IDs; unknown ones are absent.
	IDsByExternalIDTx(ctx context.Context, tx db.DBTX, shopID string, externalIDs []string) (map[string]string, error)
}

// Service is the use case of custom events posted by integrators.
type Service struct {
	db        *db.DB
	clock     clock.Clock
	rec       *Recorder
	customers CustomerLookup
}

// NewService returns a Service that records through rec.
func NewService(d *db.DB, clk clock.Clock, rec *Recorder, customers CustomerLookup) *Service {
	return &Service{db: d, clock: clk, rec: rec, customers: customers}
}

// PostInput is a custom event as an integrator posts it.
type PostInput struct {
	Type               string          `json:"type" openapi:"required" doc:"dotted lower-case words such as app.coupon_viewed; Kizukai's own prefixes (order., customer., message., ...) are reserved"`
	CustomerID         string          `json:"customer_id,omitempty" doc:"the customer's Kizukai ID; or customer_external_id; or neither for a shop-wide event"`
	CustomerExternalID string          `json:"customer_external_id,omitempty"`
	ExternalID         string          `json:"external_id,omitempty" doc:"your ID of the event: posting it again records nothing (at most 100 characters)"`
	OccurredAt         string          `json:"occurred_at,omitempty" doc:"RFC 3339 (default now); at most one day ahead"`
	Data               json.RawMessage `json:"data,omitempty" doc:"a JSON object of at most 64 KiB"`
}

// Validate checks in against now, normalises it in place (trimmed text,
// absent data as {}) and returns when the event occurred (now by default).
// Problems are reported by JSON field name.
func (in *PostInput) Validate(now time.Time) (time.Time, error) {
	var f errs.Fields
	in.Type = strings.TrimSpace(in.Type)
	switch {
	case in.Type == "":
		f.Add("type", "required")
	case !ValidType(in.Type):
		f.Add("type", "dotted lower-case words such as app.coupon_viewed (at most 100 characters)")
	default:
		for _, p := range ReservedPrefixes {
			if strings.HasPrefix(in.Type, p) {
				f.Add("type", "the prefix "+p+" is reserved for Kizukai's own events; use your own, such as app.")
			}
		}
	}
	in.CustomerID, in.CustomerExternalID = strings.TrimSpace(in.CustomerID), strings.TrimSpace(in.CustomerExternalID)
	if in.CustomerID != "" && in.CustomerExternalID != "" {
		f.Add("customer_id", "give customer_id or customer_external_id, not both")
	}
	in.ExternalID = strings.TrimSpace(in.ExternalID)
	if utf8.RuneCountInString(in.ExternalID) > maxExternalID || !utf8.ValidString(in.ExternalID) ||
		strings.ContainsFunc(in.ExternalID, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		f.Add("external_id", "at most 100 characters, no control characters")
	}
	at := now
	if s := strings.TrimSpace(in.OccurredAt); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		switch {
		case err != nil:
			f.Add("occurred_at", "an RFC 3339 time such as 2026-11-23T10:00:00+09:00")
		case t.After(now.Add(maxFuture)):
			f.Add("occurred_at", "more than one day in the future")
		default:
			at = t.UTC()
		}
	}
	data := bytes.TrimSpace(in.Data)
	switch {
	case len(data) == 0 || bytes.Equal(data, []byte("null")):
		in.Data = json.RawMessage("{}")
	case data[0] != '{' || !json.Valid(data):
		f.Add("data", "must be a JSON object")
	case len(data) > MaxData:
		f.Add("data", "at most 64 KiB")
	}
	return at, f.Err()
}

// Post records a custom event of the shop: validated (422 naming the
// field), its customer looked up by ID or external ID (an unknown one is a
// 422 of that field), then recorded with the subscribers called, in one
// transaction. created is false when the shop has an event with the same
// external ID already: that stored event is returned and nothing is written.
func (s *Service) Post(ctx context.Context, shopID string, in PostInput) (Event, bool, error) {
	now := s.clock.Now()
	at, err := in.Validate(now)
	if err != nil {
		return Event{}, false, err
	}
	if in.CustomerID != "" {
		if err := s.customers.CustomerExists(ctx, shopID, in.CustomerID); errors.Is(err, errs.ErrNotFound) {
			return Event{}, false, errs.Invalid("customer_id", "no customer with this ID")
		} else if err != nil {
			return Event{}, false, err
		}
	}
	var e Event
	var created bool
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		customerID := in.CustomerID
		if in.CustomerExternalID != "" {
			ids, err := s.customers.IDsByExternalIDTx(ctx, tx, shopID, []string{in.CustomerExternalID})
			if err != nil {
				return err
			}
			var ok bool
			if customerID, ok = ids[in.CustomerExternalID]; !ok {
				return errs.Invalid("customer_external_id", "no customer with this external_id")
			}
		}
		var err error
		e, created, err = s.rec.Record(ctx, tx, RecordParams{ShopID: shopID, CustomerID: customerID, Type: in.Type,
			ExternalID: in.ExternalID, OccurredAt: at, Data: in.Data, Now: now})
		return err
	})
	if err != nil {
		return Event{}, false, err
	}
	return e, created, nil
}
