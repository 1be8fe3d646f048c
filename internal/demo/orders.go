package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/order"
)

// batchSize is how many orders go in one ingest call, as an integrator
// posting a year of history would send them (the service writes them in
// smaller transactions of its own).
const batchSize = order.MaxBatch

// submission is the planned order as a till or web shop would post it.
func (o Order) submission() order.Submission {
	lines := make([]order.LineInput, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = order.LineInput{SKU: l.SKU, Quantity: int64(l.Quantity), UnitPrice: l.UnitPrice}
	}
	total := o.Total()
	return order.Submission{
		ExternalID: o.ExternalID, CustomerExternalID: o.CustomerExternalID,
		OrderedAt: o.OrderedAt.In(jst).Format(time.RFC3339), Channel: o.Channel, Store: o.Store,
		Lines: lines, Total: &total, Currency: "JPY",
	}
}

// putOrders ingests the planned orders through the batch path, oldest
// first, and returns the ID of the newest and the IDs by external ID.
// Orders that exist with the same content are accepted again without
// writing anything.
func putOrders(ctx context.Context, svc *order.Service, shopID string, planned []Order) (string, map[string]string, error) {
	var newest string
	ids := make(map[string]string, len(planned))
	for start := 0; start < len(planned); start += batchSize {
		chunk := planned[start:min(start+batchSize, len(planned))]
		subs := make([]order.Submission, len(chunk))
		for i, o := range chunk {
			subs[i] = o.submission()
		}
		results, err := svc.PlaceBatch(ctx, shopID, subs)
		if err != nil {
			return "", nil, fmt.Errorf("orders from %s: %w", chunk[0].ExternalID, err)
		}
		for i, r := range results {
			if r.Err != nil {
				return "", nil, fmt.Errorf("order %s: %w", chunk[i].ExternalID, r.Err)
			}
			newest = r.Order.ID
			ids[chunk[i].ExternalID] = r.Order.ID
		}
	}
	return newest, ids, nil
}
