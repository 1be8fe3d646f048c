package journey

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// factSource answers a run's branch facts and wait anchors, loading the
// order and the customer once, on first use.
type factSource struct {
	s      *Service
	ctx    context.Context
	tx     db.DBTX
	shopID string
	run    *Run

	ord *orderInfo
}

// order returns the run's order with its lines' consumption days.
func (f *factSource) order() (*orderInfo, error) {
	if f.ord == nil {
		o, err := loadOrderInfo(f.ctx, f.tx, f.shopID, f.run.Context.OrderID)
		if err != nil {
			return nil, err
		}
		f.ord = &o
	}
	return f.ord, nil
}

// anchor returns a wait_until step's target time; ok is false when the
// anchor does not exist (consumption_end of an order without consumables).
func (f *factSource) anchor(st *Step) (time.Time, bool, error) {
	var off time.Duration
	if st.Offset != "" {
		var err error
		if off, err = parseDuration(st.Offset); err != nil {
			return time.Time{}, false, err
		}
	}
	var base time.Time
	switch st.Anchor {
	case AnchorEventOccurred:
		base = f.run.Context.OccurredAt
	case AnchorOrderedAt, AnchorConsumptionEnd:
		if f.run.Context.OrderID == "" {
			return time.Time{}, false, nil
		}
		o, err := f.order()
		if err != nil {
			return time.Time{}, false, err
		}
		base = o.OrderedAt
		if st.Anchor == AnchorConsumptionEnd {
			_, end, ok := o.consumable()
			if !ok {
				return time.Time{}, false, nil
			}
			base = end
		}
	default:
		return time.Time{}, false, nil
	}
	return base.Add(off), true, nil
}

// value returns a fact's value: bool, float64 or string; nil when unknown.
func (f *factSource) value(fact string) (any, error) {
	switch fact {
	case "order.first_order":
		return f.run.Context.FirstOrder, nil
	case "event.type":
		return f.run.Context.EventType, nil
	case "order.has_consumable", "order.total", "order.line_count":
		if f.run.Context.OrderID == "" {
			return nil, nil
		}
		o, err := f.order()
		if err != nil {
			return nil, err
		}
		switch fact {
		case "order.has_consumable":
			_, _, ok := o.consumable()
			return ok, nil
		case "order.total":
			return float64(o.Total), nil
		default:
			return float64(len(o.Lines)), nil
		}
	case "customer.locale", "customer.band":
		c, err := f.s.Customers.ByID(f.ctx, f.shopID, f.run.CustomerID)
		if err != nil {
			return nil, err
		}
		if fact == "customer.locale" {
			return c.Locale, nil
		}
		if c.Freshness == nil {
			return nil, nil
		}
		return c.Freshness.Band, nil
	}
	if key, ok := strings.CutPrefix(fact, eventDataFact); ok && len(f.run.Context.Data) > 0 {
		var m map[string]any
		if err := json.Unmarshal(f.run.Context.Data, &m); err != nil {
			return nil, nil //nolint:nilerr // data that is not an object has no keys
		}
		return m[key], nil
	}
	return nil, nil
}

// holds evaluates a branch condition. A fact without a value (no order, a
// key the event lacks) or of another type than the value compares as
// unequal: eq and the order operators are false, ne is true.
func (f *factSource) holds(c *Condition) (bool, error) {
	v, err := f.value(c.Fact)
	if err != nil {
		return false, err
	}
	return compare(v, c.Op, c.Value), nil
}

func compare(have any, op string, want any) bool {
	var cmp int
	switch h := have.(type) {
	case bool:
		w, ok := want.(bool)
		if !ok {
			return op == "ne"
		}
		if h != w {
			cmp = 1
		}
		if op != "eq" && op != "ne" {
			return false
		}
	case float64:
		w, ok := want.(float64)
		if !ok {
			return op == "ne"
		}
		switch {
		case h < w:
			cmp = -1
		case h > w:
			cmp = 1
		}
	case string:
		w, ok := want.(string)
		if !ok {
			return op == "ne"
		}
		cmp = strings.Compare(h, w)
		if op != "eq" && op != "ne" {
			return false
		}
	default:
		return op == "ne"
	}
	switch op {
	case "eq":
		return cmp == 0
	case "ne":
		return cmp != 0
	case "gt":
		return cmp > 0
	case "gte":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "lte":
		return cmp <= 0
	}
	return false
}

// sendSKU returns the product a send step speaks of: the order's consumable
// that runs out first for "consumable" (ok is false when the order has
// none: the step is skipped), the step's SKU, or the order's first line.
func (f *factSource) sendSKU(st *Step) (string, bool, error) {
	sku := st.SKU
	if f.run.Context.OrderID == "" || sku != SKUConsumable && sku != "" {
		return sku, sku != SKUConsumable, nil
	}
	o, err := f.order()
	if err != nil {
		return "", false, err
	}
	if sku == SKUConsumable {
		c, _, ok := o.consumable()
		return c, ok, nil
	}
	if len(o.Lines) > 0 {
		sku = o.Lines[0].SKU
	}
	return sku, true, nil
}
