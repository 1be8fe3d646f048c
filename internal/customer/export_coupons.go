package customer

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// ExportCoupon is a coupon code issued to the customer in an Export (the
// coupons table belongs to package coupon; it is read here directly, like
// the other domains' tables).
type ExportCoupon struct {
	Code       string     `json:"code"`
	CampaignID string     `json:"campaign_id"`
	OrderID    string     `json:"order_id"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RedeemedAt *time.Time `json:"redeemed_at"`
	Reference  string     `json:"reference"`
	CreatedAt  time.Time  `json:"created_at"`
}

const exportCouponsSQL = `SELECT code, campaign_id, order_id, expires_at, redeemed_at, reference, created_at
FROM coupons WHERE shop_id = $1 AND customer_id = $2 ORDER BY created_at, code`

// eraseCouponsSQL expires the customer's unredeemed codes at the erasure
// ($3): a code is a handle on the person it was issued to. Redeemed codes
// and the times stay for the campaigns' figures.
const eraseCouponsSQL = `UPDATE coupons SET expires_at = $3
WHERE shop_id = $1 AND customer_id = $2 AND redeemed_at IS NULL AND expires_at > $3`

func exportCoupons(ctx context.Context, d db.DBTX, shopID, customerID string) ([]ExportCoupon, error) {
	rows, err := d.QueryContext(ctx, exportCouponsSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("export coupons: %w", err)
	}
	defer rows.Close()
	out := []ExportCoupon{}
	for rows.Next() {
		var c ExportCoupon
		var redeemed sql.NullTime
		if err := rows.Scan(&c.Code, &c.CampaignID, &c.OrderID, &c.ExpiresAt, &redeemed, &c.Reference, &c.CreatedAt); err != nil {
			return nil, fmt.Errorf("scan coupon: %w", err)
		}
		c.ExpiresAt, c.CreatedAt = c.ExpiresAt.UTC(), c.CreatedAt.UTC()
		if redeemed.Valid {
			t := redeemed.Time.UTC()
			c.RedeemedAt = &t
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export coupons: %w", err)
	}
	return out, nil
}
