package coupon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

var (
	errNoCampaign    = errs.NotFound("coupon_campaign_not_found", "coupon campaign not found")
	errNoCoupon      = errs.NotFound("coupon_not_found", "no such coupon code")
	errEnded         = errs.Conflict("campaign_ended", "the campaign has ended: it issues no more codes")
	errTotalLimit    = errs.Conflict("campaign_limit_reached", "the campaign has issued all the codes its total_limit allows")
	errCustomerLimit = errs.Conflict("customer_limit_reached", "the customer already holds as many codes of this campaign as per_customer_limit allows")
	errRedeemed      = errs.Conflict("already_redeemed", "the coupon has been redeemed already")
	errExpired       = errs.New(errs.ErrGone, "expired", "the coupon has expired")
)

const campaignColumns = `id, name, discount_type, discount_value, valid_days, ends_at, per_customer_limit, total_limit, issued, created_at`

func scanCampaign(row interface{ Scan(...any) error }, extra ...any) (Campaign, error) {
	var c Campaign
	var days, total sql.NullInt64
	var ends sql.NullTime
	dest := append([]any{&c.ID, &c.Name, &c.DiscountType, &c.DiscountValue, &days, &ends, &c.PerCustomerLimit, &total,
		&c.Issued, &c.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Campaign{}, err
	}
	if days.Valid {
		n := int(days.Int64)
		c.ValidDays = &n
	}
	if total.Valid {
		n := int(total.Int64)
		c.TotalLimit = &n
	}
	if ends.Valid {
		t := ends.Time.UTC()
		c.EndsAt = &t
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}

const insertCampaignSQL = `INSERT INTO coupon_campaigns (shop_id, id, name, discount_type, discount_value, valid_days, ends_at,
per_customer_limit, total_limit, issued, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)`

func insertCampaign(ctx context.Context, d db.DBTX, shopID string, c Campaign) error {
	_, err := d.ExecContext(ctx, insertCampaignSQL, shopID, c.ID, c.Name, c.DiscountType, c.DiscountValue, nullInt(c.ValidDays),
		nullTime(c.EndsAt), c.PerCustomerLimit, nullInt(c.TotalLimit), c.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert coupon campaign: %w", err)
	}
	return nil
}

const campaignByIDSQL = `SELECT ` + campaignColumns + `,
(SELECT COUNT(*) FROM coupons k WHERE k.shop_id = coupon_campaigns.shop_id AND k.campaign_id = coupon_campaigns.id
 AND k.redeemed_at IS NOT NULL)
FROM coupon_campaigns WHERE shop_id = $1 AND id = $2`

func campaignByID(ctx context.Context, d db.DBTX, shopID, campaignID string) (Campaign, error) {
	var redeemed int
	c, err := scanCampaign(d.QueryRowContext(ctx, campaignByIDSQL, shopID, campaignID), &redeemed)
	if errors.Is(err, sql.ErrNoRows) {
		return Campaign{}, errNoCampaign
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("coupon campaign: %w", err)
	}
	c.Redeemed = redeemed
	return c, nil
}

// claimSQL counts one more code against the campaign, unless it has ended
// or reached its total limit. On PostgreSQL the UPDATE also locks the
// campaign's row until commit, so concurrent issues take turns.
const claimSQL = `UPDATE coupon_campaigns SET issued = issued + 1
WHERE shop_id = $1 AND id = $2 AND (total_limit IS NULL OR issued < total_limit) AND (ends_at IS NULL OR ends_at > $3)`

// claim counts one code against the campaign; the error tells why not.
func claim(ctx context.Context, tx db.DBTX, shopID string, c Campaign, now time.Time) error {
	res, err := tx.ExecContext(ctx, claimSQL, shopID, c.ID, now)
	if err != nil {
		return fmt.Errorf("claim coupon: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("claim coupon: %w", err)
	}
	if n == 1 {
		return nil
	}
	if c.EndsAt != nil && !c.EndsAt.After(now) {
		return errEnded
	}
	return errTotalLimit
}

// Locking the customer first keeps one lock order with every other writer
// that touches a customer and its rows (orders, journey steps, erasure),
// and serialises one customer's issues for the per-customer count.
const (
	lockCustomerPG     = `SELECT id FROM customers WHERE shop_id = $1 AND id = $2 AND erased_at IS NULL FOR UPDATE`
	lockCustomerSQLite = `SELECT id FROM customers WHERE shop_id = $1 AND id = $2 AND erased_at IS NULL`
)

// lockCustomer checks that the customer exists and is not erased, locking
// its row on PostgreSQL.
func lockCustomer(ctx context.Context, tx db.DBTX, shopID, customerID string) error {
	var got string
	err := tx.QueryRowContext(ctx, tx.Dialect().Pick(lockCustomerPG, lockCustomerSQLite), shopID, customerID).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.Invalid("customer_id", "no such customer")
	}
	if err != nil {
		return fmt.Errorf("coupon customer: %w", err)
	}
	return nil
}

const orderOfCustomerSQL = `SELECT COUNT(*) FROM orders WHERE shop_id = $1 AND id = $2 AND customer_id = $3`

func checkOrder(ctx context.Context, d db.DBTX, shopID, orderID, customerID string) error {
	var n int
	if err := d.QueryRowContext(ctx, orderOfCustomerSQL, shopID, orderID, customerID).Scan(&n); err != nil {
		return fmt.Errorf("coupon order: %w", err)
	}
	if n == 0 {
		return errs.Invalid("order_id", "no order of this customer has this ID")
	}
	return nil
}

const customerCountSQL = `SELECT COUNT(*) FROM coupons WHERE shop_id = $1 AND campaign_id = $2 AND customer_id = $3`

func customerCount(ctx context.Context, d db.DBTX, shopID, campaignID, customerID string) (int, error) {
	var n int
	if err := d.QueryRowContext(ctx, customerCountSQL, shopID, campaignID, customerID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count coupons: %w", err)
	}
	return n, nil
}

const couponColumns = `k.code, k.campaign_id, k.customer_id, k.order_id, k.expires_at, k.redeemed_at, k.reference, k.created_at,
c.discount_type, c.discount_value, c.name`

const couponFrom = ` FROM coupons k JOIN coupon_campaigns c ON c.shop_id = k.shop_id AND c.id = k.campaign_id `

func scanCoupon(row interface{ Scan(...any) error }) (Coupon, error) {
	var k Coupon
	var redeemed sql.NullTime
	if err := row.Scan(&k.Code, &k.CampaignID, &k.CustomerID, &k.OrderID, &k.ExpiresAt, &redeemed, &k.Reference, &k.CreatedAt,
		&k.DiscountType, &k.DiscountValue, &k.CampaignName); err != nil {
		return Coupon{}, err
	}
	k.ExpiresAt, k.CreatedAt = k.ExpiresAt.UTC(), k.CreatedAt.UTC()
	if redeemed.Valid {
		t := redeemed.Time.UTC()
		k.RedeemedAt = &t
	}
	return k, nil
}

const (
	byCodeSQL     = `SELECT ` + couponColumns + couponFrom + `WHERE k.shop_id = $1 AND k.code = $2`
	byIssueKeySQL = `SELECT ` + couponColumns + couponFrom + `WHERE k.shop_id = $1 AND k.issue_key = $2`
	byOrderSQL    = `SELECT ` + couponColumns + couponFrom + `WHERE k.shop_id = $1 AND k.order_id = $2 ORDER BY k.created_at, k.code`
)

func couponBy(ctx context.Context, d db.DBTX, q, shopID, key string) (Coupon, error) {
	k, err := scanCoupon(d.QueryRowContext(ctx, q, shopID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return Coupon{}, errNoCoupon
	}
	if err != nil {
		return Coupon{}, fmt.Errorf("coupon: %w", err)
	}
	return k, nil
}

func byOrder(ctx context.Context, d db.DBTX, shopID, orderID string) ([]Coupon, error) {
	rows, err := d.QueryContext(ctx, byOrderSQL, shopID, orderID)
	if err != nil {
		return nil, fmt.Errorf("order coupons: %w", err)
	}
	defer rows.Close()
	out := []Coupon{}
	for rows.Next() {
		k, err := scanCoupon(rows)
		if err != nil {
			return nil, fmt.Errorf("scan coupon: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("order coupons: %w", err)
	}
	return out, nil
}

const insertCouponSQL = `INSERT INTO coupons (shop_id, code, campaign_id, customer_id, order_id, issue_key, expires_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`

// insertCoupon stores k; ok is false when its code (or issue key) is
// taken already.
func insertCoupon(ctx context.Context, tx db.DBTX, shopID, issueKey string, k Coupon) (bool, error) {
	res, err := tx.ExecContext(ctx, insertCouponSQL, shopID, k.Code, k.CampaignID, k.CustomerID, k.OrderID, issueKey, k.ExpiresAt, k.CreatedAt)
	if err != nil {
		return false, fmt.Errorf("insert coupon: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert coupon: %w", err)
	}
	return n == 1, nil
}

// redeemSQL is the whole of "exactly once": only the statement that finds
// redeemed_at still NULL changes the row.
const redeemSQL = `UPDATE coupons SET redeemed_at = $3, reference = $4
WHERE shop_id = $1 AND code = $2 AND redeemed_at IS NULL AND expires_at > $3`

func redeem(ctx context.Context, tx db.DBTX, shopID, code, reference string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, redeemSQL, shopID, code, now, reference)
	if err != nil {
		return false, fmt.Errorf("redeem coupon: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("redeem coupon: %w", err)
	}
	return n == 1, nil
}

// existingCampaigns returns which of ids are campaigns of the shop.
func existingCampaigns(ctx context.Context, d db.DBTX, shopID string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	ph := make([]string, len(ids))
	args := []any{shopID}
	for i, v := range ids {
		ph[i] = fmt.Sprintf("$%d", i+2)
		args = append(args, v)
	}
	rows, err := d.QueryContext(ctx, `SELECT id FROM coupon_campaigns WHERE shop_id = $1 AND id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("coupon campaigns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("scan coupon campaign: %w", err)
		}
		out[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("coupon campaigns: %w", err)
	}
	return out, nil
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func nullTime(p *time.Time) any {
	if p == nil {
		return nil
	}
	return p.UTC()
}
