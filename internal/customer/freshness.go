package customer

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// Freshness bands, freshest first (SPEC §6).
const (
	BandFresh   = "fresh"
	BandCooling = "cooling"
	BandStale   = "stale"
	BandLost    = "lost"
)

// Bands lists the freshness bands, freshest first.
var Bands = []string{BandFresh, BandCooling, BandStale, BandLost}

// Day is the unit of freshness intervals.
const Day = 24 * time.Hour

// defaultInterval is the expected interval when nothing better is known.
const defaultInterval = 30 * Day

// Freshness is how recently a customer bought compared with how often they
// are expected to (SPEC §6).
type Freshness struct {
	Score               int           `json:"score" doc:"0 to 100: round(100 × 2^(−r)), r = time since latest order / expected interval"`
	Band                string        `json:"band" doc:"fresh (r ≤ 1), cooling (r ≤ 2), stale (r ≤ 4) or lost"`
	ExpectedNextOrderAt time.Time     `json:"expected_next_order_at"`
	LatestOrderAt       time.Time     `json:"-"`
	Interval            time.Duration `json:"-"` // the expected interval used
	rule                int           // which rule of SPEC §6 gave Interval (ruleOwnGaps...); 0 when read back from storage
}

// ComputeFreshness applies SPEC §6 to one customer's order times.
// The expected interval is the median gap between their orders when there
// are at least two gaps; else latestOrderMinConsumptionDays (the smallest
// consumption_days among the products of the latest order) when positive;
// else shopMedianGap when positive; else 30 days. An interval under one day
// (orders placed moments apart) counts as one day, so r stays finite.
// Time before the latest order counts as none. With no orders it returns
// the zero Freshness: callers show such customers' freshness as null.
func ComputeFreshness(orderTimes []time.Time, latestOrderMinConsumptionDays *int, shopMedianGap *time.Duration, now time.Time) Freshness {
	if len(orderTimes) == 0 {
		return Freshness{}
	}
	times := slices.Clone(orderTimes)
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	latest := times[len(times)-1]

	var interval time.Duration
	var rule int
	switch gaps := gapsOf(times); {
	case len(gaps) >= 2:
		interval, rule = median(gaps), ruleOwnGaps
	case latestOrderMinConsumptionDays != nil && *latestOrderMinConsumptionDays > 0:
		interval, rule = time.Duration(*latestOrderMinConsumptionDays)*Day, ruleConsumption
	case shopMedianGap != nil && *shopMedianGap > 0:
		interval, rule = *shopMedianGap, ruleShopGap
	default:
		interval, rule = defaultInterval, ruleDefault
	}
	interval = max(interval, Day)
	f := freshnessFrom(latest, interval, now)
	f.rule = rule
	return f
}

// Rules of SPEC §6 that give a customer's expected interval, in order.
const (
	ruleOwnGaps     = 1 // median gap between their orders (≥ 2 gaps)
	ruleConsumption = 2 // smallest consumption_days of the latest order's products
	ruleShopGap     = 3 // the shop's median gap between consecutive orders
	ruleDefault     = 4 // 30 days
)

// freshnessFrom is the freshness at now of a customer whose latest order is
// latest and whose expected interval is interval (> 0). Stored freshness is
// turned into output with it, so the score decays continuously between
// recomputations.
func freshnessFrom(latest time.Time, interval time.Duration, now time.Time) Freshness {
	since := max(now.Sub(latest), 0)
	r := float64(since) / float64(interval)
	return Freshness{
		Score:               int(math.Round(100 * math.Exp2(-r))),
		Band:                Bands[bandIndex(since, interval)],
		ExpectedNextOrderAt: latest.Add(interval).UTC(),
		LatestOrderAt:       latest.UTC(),
		Interval:            interval,
	}
}

// bandEnds are the multiples of the expected interval at which fresh,
// cooling and stale end: a band holds r in (previous end, end].
var bandEnds = [...]int64{1, 2, 4}

// bandIndex is the index in Bands of the band of a customer whose latest
// order was since ago. It compares integers, so a boundary (r exactly 1, 2
// or 4) is never misjudged by floating point.
func bandIndex(since, interval time.Duration) int {
	for i, k := range bandEnds {
		if since <= mulSat(interval, k) {
			return i
		}
	}
	return len(bandEnds)
}

// mulSat is d×k, saturating instead of overflowing (intervals of centuries).
func mulSat(d time.Duration, k int64) time.Duration {
	if d > math.MaxInt64/time.Duration(k) {
		return math.MaxInt64
	}
	return d * time.Duration(k)
}

// bandStart is the first instant of band i (an index in Bands) for a latest
// order at latest: the order itself for fresh, else the microsecond after
// latest + k × interval (r > k; times are stored to the microsecond).
func bandStart(latest time.Time, interval time.Duration, i int) time.Time {
	if i == 0 {
		return latest
	}
	return latest.Add(mulSat(interval, bandEnds[i-1])).Truncate(time.Microsecond).Add(time.Microsecond)
}

func gapsOf(sorted []time.Time) []time.Duration {
	var gaps []time.Duration
	for i := 1; i < len(sorted); i++ {
		gaps = append(gaps, sorted[i].Sub(sorted[i-1]))
	}
	return gaps
}

// median returns the median of ds (the mean of the middle two for an even
// count); ds must not be empty. It sorts ds.
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return ds[n/2-1] + (ds[n/2]-ds[n/2-1])/2
}

// FreshnessOf computes a customer's freshness from their orders at now; nil
// when they have no order. It reads the orders, order_lines and products
// tables. (It cannot be named Freshness: that is the result's type.)
func FreshnessOf(ctx context.Context, d db.DBTX, shopID, customerID string, now time.Time) (*Freshness, error) {
	return newFreshnessCalc(d, shopID, now).forCustomer(ctx, customerID)
}

// freshnessCalc computes freshness for many customers of one shop, reading
// the shop-wide median gap at most once.
type freshnessCalc struct {
	d         db.DBTX
	shopID    string
	now       time.Time
	shopGap   *time.Duration
	shopGapOK bool
}

func newFreshnessCalc(d db.DBTX, shopID string, now time.Time) *freshnessCalc {
	return &freshnessCalc{d: d, shopID: shopID, now: now}
}

const customerOrdersSQL = `SELECT id, ordered_at FROM orders WHERE shop_id = $1 AND customer_id = $2 ORDER BY ordered_at, id`

const minConsumptionSQL = `SELECT MIN(p.consumption_days) FROM order_lines l
JOIN products p ON p.shop_id = l.shop_id AND p.sku = l.sku
WHERE l.shop_id = $1 AND l.order_id = $2 AND p.consumption_days > 0`

func (c *freshnessCalc) forCustomer(ctx context.Context, customerID string) (*Freshness, error) {
	rows, err := c.d.QueryContext(ctx, customerOrdersSQL, c.shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("customer orders: %w", err)
	}
	defer rows.Close()
	var times []time.Time
	var latestID string
	for rows.Next() {
		var t time.Time
		if err := rows.Scan(&latestID, &t); err != nil {
			return nil, fmt.Errorf("scan order time: %w", err)
		}
		times = append(times, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("customer orders: %w", err)
	}
	if len(times) == 0 {
		return nil, nil //nolint:nilnil // no order: freshness is null by definition (SPEC §6)
	}
	var minDays *int
	var shopGap *time.Duration
	if len(times) < 3 { // fewer than two gaps: the fallbacks matter
		var n sql.NullInt64
		if err := c.d.QueryRowContext(ctx, minConsumptionSQL, c.shopID, latestID).Scan(&n); err != nil {
			return nil, fmt.Errorf("consumption days: %w", err)
		}
		if n.Valid {
			v := int(n.Int64)
			minDays = &v
		}
		if minDays == nil {
			if shopGap, err = c.shopMedianGap(ctx); err != nil {
				return nil, err
			}
		}
	}
	f := ComputeFreshness(times, minDays, shopGap, c.now)
	return &f, nil
}

const shopOrdersSQL = `SELECT customer_id, ordered_at FROM orders WHERE shop_id = $1 ORDER BY customer_id, ordered_at`

// shopMedianGap is the median gap between consecutive orders of the same
// customer over all the shop's customers; nil when no customer has two
// orders. It reads every order of the shop, so stored freshness keeps it in
// freshness_shops and recomputes it only after new orders (see the sweep).
func (c *freshnessCalc) shopMedianGap(ctx context.Context) (*time.Duration, error) {
	if c.shopGapOK {
		return c.shopGap, nil
	}
	rows, err := c.d.QueryContext(ctx, shopOrdersSQL, c.shopID)
	if err != nil {
		return nil, fmt.Errorf("shop orders: %w", err)
	}
	defer rows.Close()
	var gaps []time.Duration
	var prevCustomer string
	var prev time.Time
	for rows.Next() {
		var cid string
		var t time.Time
		if err := rows.Scan(&cid, &t); err != nil {
			return nil, fmt.Errorf("scan shop order: %w", err)
		}
		if cid == prevCustomer {
			gaps = append(gaps, t.Sub(prev))
		}
		prevCustomer, prev = cid, t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("shop orders: %w", err)
	}
	c.shopGapOK = true
	if len(gaps) > 0 {
		m := median(gaps)
		c.shopGap = &m
	}
	return c.shopGap, nil
}
