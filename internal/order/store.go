package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

const orderColumns = `id, shop_id, external_id, customer_id, ordered_at, channel, store, discount, total, currency, content_hash, created_at`

func scanOrder(row interface{ Scan(...any) error }) (Order, error) {
	var o Order
	err := row.Scan(&o.ID, &o.ShopID, &o.ExternalID, &o.CustomerID, &o.OrderedAt, &o.Channel, &o.Store, &o.Discount,
		&o.Total, &o.Currency, &o.ContentHash, &o.CreatedAt)
	o.Lines = []Line{}
	return o, err
}

var errNotFound = errs.NotFound("order_not_found", "order not found")

// inList appends values to args and returns their placeholders:
// "$n, $n+1, ..." on PostgreSQL, "?, ?, ..." on SQLite (see values for
// why). It must come after every "$N" of the statement: SQLite numbers a
// "?" one past the largest number seen so far.
func inList(d db.Dialect, args *[]any, values []string) string {
	var b strings.Builder
	for i, v := range values {
		*args = append(*args, v)
		if i > 0 {
			b.WriteString(", ")
		}
		if d == db.Postgres {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(len(*args)))
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// queryOrders runs a query of orderColumns.
func queryOrders(ctx context.Context, d db.DBTX, q string, args ...any) ([]Order, error) {
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Order
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// byExternalIDs returns the shop's orders among externalIDs, without lines.
func byExternalIDs(ctx context.Context, d db.DBTX, shopID string, externalIDs []string) (map[string]Order, error) {
	args := []any{shopID}
	q := `SELECT ` + orderColumns + ` FROM orders WHERE shop_id = $1 AND external_id IN (` + inList(d.Dialect(), &args, externalIDs) + `)`
	os, err := queryOrders(ctx, d, q, args...)
	if err != nil {
		return nil, fmt.Errorf("orders by external id: %w", err)
	}
	out := make(map[string]Order, len(os))
	for _, o := range os {
		out[o.ExternalID] = o
	}
	return out, nil
}

func byID(ctx context.Context, d db.DBTX, shopID, orderID string) (Order, error) {
	o, err := scanOrder(d.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE shop_id = $1 AND id = $2`, shopID, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, errNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("order by id: %w", err)
	}
	os := []Order{o}
	if err := loadLines(ctx, d, shopID, os); err != nil {
		return Order{}, err
	}
	return os[0], nil
}

// loadLines fills the lines of os in one query.
func loadLines(ctx context.Context, d db.DBTX, shopID string, os []Order) error {
	if len(os) == 0 {
		return nil
	}
	idx := make(map[string]int, len(os))
	ids := make([]string, len(os))
	for i, o := range os {
		idx[o.ID] = i
		ids[i] = o.ID
	}
	args := []any{shopID}
	q := `SELECT order_id, sku, quantity, unit_price, catalogued FROM order_lines
		WHERE shop_id = $1 AND order_id IN (` + inList(d.Dialect(), &args, ids) + `) ORDER BY order_id, line_no`
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("order lines: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var orderID string
		var l Line
		if err := rows.Scan(&orderID, &l.SKU, &l.Quantity, &l.UnitPrice, &l.Catalogued); err != nil {
			return fmt.Errorf("scan order line: %w", err)
		}
		o := &os[idx[orderID]]
		o.Lines = append(o.Lines, l)
	}
	return rows.Err()
}

// customPlansPG makes PostgreSQL plan the batch's reads for their own
// parameters. pgx prepares and caches statements per connection, and after
// five runs PostgreSQL may switch a prepared statement to a generic plan,
// kept until the next ANALYZE of its tables. A generic plan made while the
// orders table was small reads it sequentially, so the existence check of
// a batch's external IDs grew with the table (in BenchmarkOrderBatch1000,
// 47 ms per 500 IDs on average as the table grew to 11,000 orders, against
// 1.7 ms with custom plans). genericPlansPG restores the default before
// the INSERTs: their foreign-key checks are prepared statements too, run
// once per row, and planning each of those made the INSERTs twice as slow.
// SET LOCAL ends with the transaction.
const (
	customPlansPG  = `SET LOCAL plan_cache_mode = force_custom_plan`
	genericPlansPG = `SET LOCAL plan_cache_mode = auto`
)

// planCacheMode runs one of the statements above on PostgreSQL.
func planCacheMode(ctx context.Context, tx db.DBTX, q string) error {
	if tx.Dialect() != db.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("plan cache mode: %w", err)
	}
	return nil
}

// lockCustomersPG locks the customers' rows until the transaction ends, in
// ID order (so two batches cannot deadlock on them), so that two concurrent
// first orders of one customer cannot both be called first. SQLite needs
// nothing: it has one writer.
const lockCustomersPG = `SELECT id FROM customers WHERE shop_id = $1 AND id IN (%s) ORDER BY id FOR UPDATE`

func lockCustomers(ctx context.Context, tx db.DBTX, shopID string, ids []string) error {
	if tx.Dialect() != db.Postgres || len(ids) == 0 {
		return nil
	}
	args := []any{shopID}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(lockCustomersPG, inList(tx.Dialect(), &args, ids)), args...)
	if err != nil {
		return fmt.Errorf("lock customers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// customersWithOrders returns which of the customers have an order already.
func customersWithOrders(ctx context.Context, d db.DBTX, shopID string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{shopID}
	// EXISTS stops at each customer's first order; DISTINCT over orders
	// would read all of them.
	q := `SELECT c.id FROM customers c WHERE c.shop_id = $1 AND c.id IN (` + inList(d.Dialect(), &args, ids) + `)
		AND EXISTS (SELECT 1 FROM orders o WHERE o.shop_id = c.shop_id AND o.customer_id = c.id)`
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("customers with orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan customer id: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// Multi-row INSERTs: rows per statement, kept well under both engines'
// parameter limits (PostgreSQL 65535, SQLite 32766).
const (
	ordersPerInsert = 500  // × 12 parameters
	linesPerInsert  = 1000 // × 7 parameters
)

// values writes rows groups of cols placeholders. SQLite gets plain "?":
// it resolves every "$N" by a linear search of the names seen so far, which
// makes a 6000-parameter statement spend most of its time in the parser
// (measured: half the CPU of a 1000-order insert). PostgreSQL needs "$N".
func values(b *strings.Builder, d db.Dialect, rows, cols int) {
	n := 0
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			n++
			if d == db.Postgres {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
}

// insertOrdersSQL is a plain INSERT, not ON CONFLICT DO NOTHING: on
// PostgreSQL, lines inserted after an ON CONFLICT insert of their orders
// took 7 times longer (the foreign-key checks against speculatively
// inserted rows; measured 60 ms against 8 ms for 500 lines). A concurrent
// writer of the same external_id still makes this statement wait for its
// commit, and then fail with a unique violation, which the caller treats as
// a lost race: roll back, read the winner's row, compare the hashes.
const insertOrdersSQL = `INSERT INTO orders (shop_id, id, external_id, customer_id, ordered_at, channel, store, discount, total, currency, content_hash, created_at) VALUES `

// insertOrders inserts os (with shop, IDs and hashes set). It returns
// errLostRace when another transaction holds one of the external IDs.
func insertOrders(ctx context.Context, tx db.DBTX, os []Order) error {
	for start := 0; start < len(os); start += ordersPerInsert {
		part := os[start:min(start+ordersPerInsert, len(os))]
		var b strings.Builder
		b.WriteString(insertOrdersSQL)
		values(&b, tx.Dialect(), len(part), 12)
		args := make([]any, 0, len(part)*12)
		for _, o := range part {
			args = append(args, o.ShopID, o.ID, o.ExternalID, o.CustomerID, o.OrderedAt, o.Channel, o.Store, o.Discount,
				o.Total, o.Currency, o.ContentHash, o.CreatedAt)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); db.IsUniqueViolation(err) {
			return errLostRace
		} else if err != nil {
			return fmt.Errorf("insert orders: %w", err)
		}
	}
	return nil
}

const insertLinesSQL = `INSERT INTO order_lines (shop_id, order_id, line_no, sku, quantity, unit_price, catalogued) VALUES `

// insertLines inserts the lines of os.
func insertLines(ctx context.Context, tx db.DBTX, os []Order) error {
	args := make([]any, 0, linesPerInsert*7)
	rows := 0
	flush := func() error {
		if rows == 0 {
			return nil
		}
		var b strings.Builder
		b.WriteString(insertLinesSQL)
		values(&b, tx.Dialect(), rows, 7)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert order lines: %w", err)
		}
		args, rows = args[:0], 0
		return nil
	}
	for _, o := range os {
		for n, l := range o.Lines {
			args = append(args, o.ShopID, o.ID, n+1, l.SKU, l.Quantity, l.UnitPrice, l.Catalogued)
			if rows++; rows == linesPerInsert {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// List query parts, combined in list: newest first, optionally one
// customer's, after the previous page's last order (keyset on ordered_at, id).
const (
	listSQL        = `SELECT ` + orderColumns + ` FROM orders WHERE shop_id = $1`
	listByCustomer = ` AND customer_id = $%d`
	listAfter      = ` AND (ordered_at < $%d OR (ordered_at = $%d AND id < $%d))`
	listOrder      = ` ORDER BY ordered_at DESC, id DESC LIMIT $%d`
)

func list(ctx context.Context, d db.DBTX, p ListParams) ([]Order, error) {
	q, args := listSQL, []any{p.ShopID}
	if p.CustomerID != "" {
		args = append(args, p.CustomerID)
		q += fmt.Sprintf(listByCustomer, len(args))
	}
	if p.BeforeID != "" {
		args = append(args, p.Before, p.BeforeID)
		q += fmt.Sprintf(listAfter, len(args)-1, len(args)-1, len(args))
	}
	args = append(args, p.Limit)
	q += fmt.Sprintf(listOrder, len(args))
	os, err := queryOrders(ctx, d, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	if err := loadLines(ctx, d, p.ShopID, os); err != nil {
		return nil, err
	}
	return os, nil
}
