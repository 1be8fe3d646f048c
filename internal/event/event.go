package event

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/kizukai/kizukai/internal/db"
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

// BatchSubscriberFunc is called once per Record or RecordMany call with
// the events it stored (never none), in their order, in the same
// transaction. An error rolls the whole transaction back. A subscriber that
// needs queries per event can make them once per batch this way: an order
// batch records up to 1000 events in one call.
type BatchSubscriberFunc func(ctx context.Context, tx db.DBTX, es []Event) error

// Recorder records events and calls subscribers. Create one per process.
type Recorder struct {
	subs      []SubscriberFunc
	batchSubs []BatchSubscriberFunc
}

// Subscribe adds f; call it during start-up wiring only.
func (r *Recorder) Subscribe(f SubscriberFunc) { r.subs = append(r.subs, f) }

// SubscribeBatch adds f, called after the per-event subscribers; call it
// during start-up wiring only.
func (r *Recorder) SubscribeBatch(f BatchSubscriberFunc) { r.batchSubs = append(r.batchSubs, f) }

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
	es, cs, err := r.RecordMany(ctx, tx, []RecordParams{p})
	if err != nil {
		return Event{}, false, err
	}
	return es[0], cs[0], nil
}

// RecordMany is Record for many events at once: it writes them with
// multi-row INSERTs (one statement per insertChunk events rather than one
// per event) and then calls the subscribers for each newly stored event, in
// the order of ps, and the batch subscribers once with all of them, all in
// tx. The results are parallel to ps: the event and whether it was
// created. An external ID that is already stored, or that
// appears earlier in ps, is not stored again: its result is the stored (or
// earlier) event with created=false, and no subscriber is called for it.
func (r *Recorder) RecordMany(ctx context.Context, tx db.DBTX, ps []RecordParams) ([]Event, []bool, error) {
	evs := make([]Event, len(ps))
	created := make([]bool, len(ps))
	type key struct{ shop, ext string }
	firstOf := map[key]int{}
	dupOf := map[int]int{} // a later occurrence of an external ID → its first
	var todo []int         // indexes of the events to insert
	for i, p := range ps {
		data := json.RawMessage("{}")
		if p.Data != nil {
			b, err := json.Marshal(p.Data)
			if err != nil {
				return nil, nil, fmt.Errorf("event data: %w", err)
			}
			data = b
		}
		evs[i] = Event{
			ID: id.New("evt"), ShopID: p.ShopID, CustomerID: p.CustomerID, Type: p.Type,
			ExternalID: p.ExternalID, OccurredAt: p.OccurredAt.UTC(), Data: data, CreatedAt: p.Now.UTC(),
		}
		if p.ExternalID != "" {
			k := key{p.ShopID, p.ExternalID}
			if f, seen := firstOf[k]; seen {
				dupOf[i] = f
				continue
			}
			firstOf[k] = i
		}
		todo = append(todo, i)
	}
	stored, err := insertEvents(ctx, tx, evs, todo)
	if err != nil {
		return nil, nil, err
	}
	if stored == len(todo) {
		for _, i := range todo {
			created[i] = true
		}
	} else if err := resolveExisting(ctx, tx, evs, todo, created, stored); err != nil {
		return nil, nil, err
	}
	for i, f := range dupOf {
		evs[i], created[i] = evs[f], false
	}
	var fresh []Event
	for i := range evs {
		if !created[i] {
			continue
		}
		fresh = append(fresh, evs[i])
		for _, f := range r.subs {
			if err := f(ctx, tx, evs[i]); err != nil {
				return nil, nil, fmt.Errorf("event %s subscriber: %w", evs[i].Type, err)
			}
		}
	}
	if len(fresh) > 0 {
		for _, f := range r.batchSubs {
			if err := f(ctx, tx, fresh); err != nil {
				return nil, nil, fmt.Errorf("event batch subscriber: %w", err)
			}
		}
	}
	return evs, created, nil
}

// resolveExisting runs after an insert that stored fewer rows (stored) than
// it was given: it reads back the events of evs[todo] that have external IDs
// and marks as created those stored under the ID made for them; the others
// are replaced by the event stored earlier. Events without an external ID
// can only have been skipped by an ID collision, which the final count
// catches.
func resolveExisting(ctx context.Context, tx db.DBTX, evs []Event, todo []int, created []bool, stored int) error {
	byShop := map[string][]string{}
	for _, i := range todo {
		if e := evs[i]; e.ExternalID != "" {
			byShop[e.ShopID] = append(byShop[e.ShopID], e.ExternalID)
		} else {
			created[i] = true
		}
	}
	found := map[[2]string]Event{}
	for shopID, exts := range byShop {
		es, err := byExternalIDs(ctx, tx, shopID, exts)
		if err != nil {
			return err
		}
		for _, e := range es {
			found[[2]string{shopID, e.ExternalID}] = e
		}
	}
	n := 0
	for _, i := range todo {
		e := evs[i]
		if e.ExternalID != "" {
			s, ok := found[[2]string{e.ShopID, e.ExternalID}]
			if !ok {
				// Neither inserted nor found: only a concurrent delete could
				// do this; never answer an event that is not stored.
				return fmt.Errorf("event %s with external id vanished", e.Type)
			}
			created[i] = s.ID == e.ID
			evs[i] = s
		}
		if created[i] {
			n++
		}
	}
	if n != stored {
		return fmt.Errorf("events: %d stored, %d accounted for (an ID collision)", stored, n)
	}
	return nil
}
