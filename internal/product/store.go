package product

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

const columns = `sku, name, category, price, goal, guide, consumption_days, related_skus, upgrade_sku, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (Product, error) {
	var p Product
	var days sql.NullInt64
	var related string
	if err := row.Scan(&p.SKU, &p.Name, &p.Category, &p.Price, &p.Goal, &p.Guide, &days, &related, &p.UpgradeSKU,
		&p.CreatedAt, &p.UpdatedAt); err != nil {
		return Product{}, err
	}
	if days.Valid {
		n := int(days.Int64)
		p.ConsumptionDays = &n
	}
	p.RelatedSKUs = []string{}
	if err := json.Unmarshal([]byte(related), &p.RelatedSKUs); err != nil {
		return Product{}, fmt.Errorf("product %s related_skus: %w", p.SKU, err)
	}
	return p, nil
}

var errNotFound = errs.NotFound("product_not_found", "product not found")

// insertSQL creates a product unless the shop has its SKU already; then
// updateSQL replaces it. Two statements rather than one upsert so that the
// caller learns which happened (201 or 200) without comparing timestamps.
const insertSQL = `INSERT INTO products (shop_id, sku, name, category, price, goal, guide, consumption_days,
	related_skus, upgrade_sku, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
ON CONFLICT (shop_id, sku) DO NOTHING`

const updateSQL = `UPDATE products SET name = $3, category = $4, price = $5, goal = $6, guide = $7,
	consumption_days = $8, related_skus = $9, upgrade_sku = $10, updated_at = $11
WHERE shop_id = $1 AND sku = $2`

// put creates or replaces d (already validated) and reports whether it was created.
func put(ctx context.Context, tx db.DBTX, shopID string, d Details, now time.Time) (bool, error) {
	related, err := json.Marshal(d.RelatedSKUs)
	if err != nil {
		return false, fmt.Errorf("related skus: %w", err)
	}
	var price int64
	if d.Price != nil {
		price = *d.Price
	}
	var days any
	if d.ConsumptionDays != nil {
		days = *d.ConsumptionDays
	}
	args := []any{shopID, d.SKU, d.Name, d.Category, price, d.Goal, d.Guide, days, string(related), d.UpgradeSKU, now}
	res, err := tx.ExecContext(ctx, insertSQL, args...)
	if err != nil {
		return false, fmt.Errorf("insert product: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, fmt.Errorf("insert product: %w", err)
	} else if n == 1 {
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, updateSQL, args...); err != nil {
		return false, fmt.Errorf("update product: %w", err)
	}
	return false, nil
}

func bySKU(ctx context.Context, d db.DBTX, shopID, sku string) (Product, error) {
	p, err := scan(d.QueryRowContext(ctx, `SELECT `+columns+` FROM products WHERE shop_id = $1 AND sku = $2`, shopID, sku))
	if errors.Is(err, sql.ErrNoRows) {
		return Product{}, errNotFound
	}
	if err != nil {
		return Product{}, fmt.Errorf("product by sku: %w", err)
	}
	return p, nil
}

// listSQL pages through a shop's products by SKU; $2 = ” lists every
// category, $3 is the last SKU of the previous page (” for the first), $5
// a LIKE pattern on the lower-cased SKU or name (” matches all).
const listSQL = `SELECT ` + columns + ` FROM products
WHERE shop_id = $1 AND ($2 = '' OR category = $2) AND sku > $3
AND ($5 = '' OR LOWER(sku) LIKE $5 ESCAPE '\' OR LOWER(name) LIKE $5 ESCAPE '\')
ORDER BY sku LIMIT $4`

// likeContains is the LIKE pattern of "contains q", lower-cased, with the
// pattern characters of q escaped.
func likeContains(q string) string {
	if q = strings.TrimSpace(q); q == "" {
		return ""
	}
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
}

func list(ctx context.Context, d db.DBTX, p ListParams) ([]Product, error) {
	rows, err := d.QueryContext(ctx, listSQL, p.ShopID, p.Category, p.AfterSKU, p.Limit, likeContains(p.Query))
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	defer rows.Close()
	out := []Product{}
	for rows.Next() {
		pr, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan product: %w", err)
		}
		out = append(out, pr)
	}
	return out, rows.Err()
}

// bySKUsChunk bounds the IN list: SQLite allows 32766 parameters, but
// shorter statements plan and bind faster.
const bySKUsChunk = 500

func bySKUs(ctx context.Context, d db.DBTX, shopID string, skus []string) (map[string]Product, error) {
	out := make(map[string]Product, len(skus))
	for start := 0; start < len(skus); start += bySKUsChunk {
		part := skus[start:min(start+bySKUsChunk, len(skus))]
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		ph := make([]string, len(part))
		for i, s := range part {
			args = append(args, s)
			ph[i] = fmt.Sprintf("$%d", i+2)
		}
		rows, err := d.QueryContext(ctx, `SELECT `+columns+` FROM products WHERE shop_id = $1 AND sku IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("products by sku: %w", err)
		}
		for rows.Next() {
			p, err := scan(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan product: %w", err)
			}
			out[p.SKU] = p
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("products by sku: %w", err)
		}
	}
	return out, nil
}

func knownSKUs(ctx context.Context, d db.DBTX, shopID string, skus []string) (map[string]bool, error) {
	out := make(map[string]bool, len(skus))
	for start := 0; start < len(skus); start += bySKUsChunk {
		part := skus[start:min(start+bySKUsChunk, len(skus))]
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		ph := make([]string, len(part))
		for i, s := range part {
			args = append(args, s)
			ph[i] = fmt.Sprintf("$%d", i+2)
		}
		rows, err := d.QueryContext(ctx, `SELECT sku FROM products WHERE shop_id = $1 AND sku IN (`+strings.Join(ph, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("known skus: %w", err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan sku: %w", err)
			}
			out[s] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("known skus: %w", err)
		}
	}
	return out, nil
}
