package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/httpx"
)

func (h *Handler) eventRoutes() []route {
	return []route{
		{method: "POST", path: "/events", h: h.createEvent,
			doc: op{summary: "Record a custom event (for journeys with a custom-event trigger and the customer timeline). " +
				"201 when recorded; 200 with the stored event when its external_id was posted before (nothing is recorded twice).",
				tag: "events", body: eventRequest{}, resp: event.Event{}, status: http.StatusCreated, errors: []int{422}}},
	}
}

// Limits of a custom event.
const (
	maxEventData       = 64 << 10
	maxEventExternalID = 100
	maxEventFuture     = 24 * time.Hour
)

// reservedEventPrefixes are Kizukai's own event namespaces: an integrator
// posting order.placed would start journeys for an order that does not exist.
var reservedEventPrefixes = []string{"order.", "consent.", "customer.", "message.", "ticket.", "survey.", "coupon.",
	"lottery.", "recall.", "invoice.", "journey.", "return."}

type eventRequest struct {
	Type               string          `json:"type" openapi:"required" doc:"dotted lower-case words such as app.coupon_viewed; Kizukai's own prefixes (order., customer., message., ...) are reserved"`
	CustomerID         string          `json:"customer_id,omitempty" doc:"the customer's Kizukai ID; or customer_external_id; or neither for a shop-wide event"`
	CustomerExternalID string          `json:"customer_external_id,omitempty"`
	ExternalID         string          `json:"external_id,omitempty" doc:"your ID of the event: posting it again records nothing (at most 100 characters)"`
	OccurredAt         string          `json:"occurred_at,omitempty" doc:"RFC 3339 (default now); at most one day ahead"`
	Data               json.RawMessage `json:"data,omitempty" doc:"a JSON object of at most 64 KiB"`
}

// validate checks the request and returns occurred_at.
func (q *eventRequest) validate(now time.Time) (time.Time, error) {
	var f errs.Fields
	q.Type = strings.TrimSpace(q.Type)
	switch {
	case q.Type == "":
		f.Add("type", "required")
	case !event.ValidType(q.Type):
		f.Add("type", "dotted lower-case words such as app.coupon_viewed (at most 100 characters)")
	default:
		for _, p := range reservedEventPrefixes {
			if strings.HasPrefix(q.Type, p) {
				f.Add("type", "the prefix "+p+" is reserved for Kizukai's own events; use your own, such as app.")
			}
		}
	}
	q.CustomerID, q.CustomerExternalID = strings.TrimSpace(q.CustomerID), strings.TrimSpace(q.CustomerExternalID)
	if q.CustomerID != "" && q.CustomerExternalID != "" {
		f.Add("customer_id", "give customer_id or customer_external_id, not both")
	}
	q.ExternalID = strings.TrimSpace(q.ExternalID)
	if utf8.RuneCountInString(q.ExternalID) > maxEventExternalID || !utf8.ValidString(q.ExternalID) ||
		strings.ContainsFunc(q.ExternalID, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		f.Add("external_id", "at most 100 characters, no control characters")
	}
	at := now
	if s := strings.TrimSpace(q.OccurredAt); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		switch {
		case err != nil:
			f.Add("occurred_at", "an RFC 3339 time such as 2026-11-23T10:00:00+09:00")
		case t.After(now.Add(maxEventFuture)):
			f.Add("occurred_at", "more than one day in the future")
		default:
			at = t.UTC()
		}
	}
	data := bytes.TrimSpace(q.Data)
	switch {
	case len(data) == 0 || bytes.Equal(data, []byte("null")):
		q.Data = json.RawMessage("{}")
	case data[0] != '{':
		f.Add("data", "must be a JSON object")
	case len(data) > maxEventData:
		f.Add("data", "at most 64 KiB")
	}
	return at, f.Err()
}

// createEvent records a custom event. The customer is looked up first, by
// ID or external ID; an unknown one is a validation error of that field.
func (h *Handler) createEvent(w http.ResponseWriter, r *http.Request) error {
	var req eventRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx, shopID := r.Context(), shopFrom(r.Context()).ID
	now := h.Clock.Now()
	at, err := req.validate(now)
	if err != nil {
		return err
	}
	customerID := req.CustomerID
	switch {
	case req.CustomerID != "":
		if _, err := h.Customers.ByID(ctx, shopID, req.CustomerID); errors.Is(err, errs.ErrNotFound) {
			return errs.Invalid("customer_id", "no customer with this ID")
		} else if err != nil {
			return err
		}
	case req.CustomerExternalID != "":
		c, err := h.Customers.ByExternalIDTx(ctx, h.DB, shopID, req.CustomerExternalID)
		if errors.Is(err, errs.ErrNotFound) {
			return errs.Invalid("customer_external_id", "no customer with this external_id")
		} else if err != nil {
			return err
		}
		customerID = c.ID
	}
	var e event.Event
	var created bool
	err = h.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		e, created, err = h.Events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: customerID, Type: req.Type,
			ExternalID: req.ExternalID, OccurredAt: at, Data: req.Data, Now: now})
		return err
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return httpx.WriteJSON(w, status, e)
}
