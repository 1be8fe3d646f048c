package customer

import (
	"context"
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
	"customers":     "customer",
	"customer_tags": "customer",
	"consents":      "consent_history",
	"orders":        "orders",
	"order_lines":   "orders",
	"events":        "events",
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
	ExportedAt     time.Time       `json:"exported_at"`
	Customer       Customer        `json:"customer"`
	ConsentHistory []ConsentRecord `json:"consent_history"`
	Orders         []ExportOrder   `json:"orders"`
	Events         []event.Event   `json:"events"`
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
