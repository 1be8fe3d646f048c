package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/order"
)

// ReplayDays is how far back the demo's orders are replayed through the
// journeys: the orders of the last ReplayDays are placed at their times on
// a simulated clock and every job due in between is worked, so the shop
// has the messages its journeys would have sent in those weeks (thanks,
// usage help, satisfaction checks, replenishment reminders, the odd offer,
// and what the care-first policy suppressed or deferred), in its outbox.
// Older orders are history: they start nothing (journey.HistoryLimit).
const ReplayDays = 56

// Engine is Kizukai wired on a simulated clock over the demo's database,
// for the replay. Its runner works every job of the database due before
// the simulated time, so it is made only while the demo shop is being
// created (a new database, or one whose other shops have no overdue jobs
// older than the replay's weeks).
type Engine struct {
	Clock  *clock.Simulated
	Orders *order.Service // on Clock, its events feeding the engine's journeys
	// Advance moves Clock to t, working every job due up to t in time order.
	Advance func(ctx context.Context, t time.Time) error
	Close   func() error
}

// splitOrders splits planned orders (oldest first) at from: those before
// it, and those at or after it.
func splitOrders(planned []Order, from time.Time) (old, recent []Order) {
	for i, o := range planned {
		if !o.OrderedAt.Before(from) {
			return planned[:i], planned[i:]
		}
	}
	return planned, nil
}

// replayOrders places the recent orders one by one at their times through
// an engine started at from, then works the jobs due up to end, and
// returns the ID of the newest order and the IDs by external ID. Orders
// that exist (a resumed run) are accepted again without writing anything,
// and the jobs they left are worked at their times.
func replayOrders(ctx context.Context, newEngine func(context.Context, time.Time) (*Engine, error), shopID string, recent []Order, from, end time.Time) (string, map[string]string, error) {
	eng, err := newEngine(ctx, from)
	if err != nil {
		return "", nil, fmt.Errorf("replay: %w", err)
	}
	defer func() { _ = eng.Close() }()
	var newest string
	ids := make(map[string]string, len(recent))
	for _, o := range recent {
		if o.OrderedAt.After(eng.Clock.Now()) {
			if err := eng.Advance(ctx, o.OrderedAt); err != nil {
				return "", nil, fmt.Errorf("replay to %s: %w", o.OrderedAt.Format(time.RFC3339), err)
			}
		}
		results, err := eng.Orders.PlaceBatch(ctx, shopID, []order.Submission{o.submission()})
		if err != nil {
			return "", nil, fmt.Errorf("order %s: %w", o.ExternalID, err)
		}
		if results[0].Err != nil {
			return "", nil, fmt.Errorf("order %s: %w", o.ExternalID, results[0].Err)
		}
		newest = results[0].Order.ID
		ids[o.ExternalID] = newest
	}
	if end.After(eng.Clock.Now()) {
		if err := eng.Advance(ctx, end); err != nil {
			return "", nil, fmt.Errorf("replay to %s: %w", end.Format(time.RFC3339), err)
		}
	}
	return newest, ids, nil
}
