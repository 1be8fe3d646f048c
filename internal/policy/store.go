package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

const loadSQL = `SELECT body FROM policies WHERE shop_id = $1`

// load returns the shop's stored policy JSON and whether there is one.
func load(ctx context.Context, d db.DBTX, shopID string) (string, bool, error) {
	var body string
	err := d.QueryRowContext(ctx, loadSQL, shopID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("load policy: %w", err)
	}
	return body, true, nil
}

const storeSQL = `INSERT INTO policies (shop_id, body, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (shop_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`

func store(ctx context.Context, tx db.DBTX, shopID, body string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, storeSQL, shopID, body, now); err != nil {
		return fmt.Errorf("store policy: %w", err)
	}
	return nil
}

// lockCustomerSQL takes the customer's row lock on PostgreSQL. On SQLite a
// transaction is already the only writer (BEGIN IMMEDIATE on a pool of one
// connection), so reading the row is enough to check that it exists.
const (
	lockCustomerPG     = `SELECT id FROM customers WHERE shop_id = $1 AND id = $2 FOR UPDATE`
	lockCustomerSQLite = `SELECT id FROM customers WHERE shop_id = $1 AND id = $2`
)

// LockCustomer serialises the transactions that judge a customer's messages:
// call it first in the transaction that reads the customer's history,
// decides and changes a message's status, so that two messages of one
// customer due at once are judged one after the other and both see the
// other's outcome (frequency cap, sales share, care before sales). The lock
// lasts until the transaction ends. An unknown customer is not found.
//
// PostgreSQL: SELECT … FOR UPDATE on the customer's row. SQLite: the
// transaction already holds the database's single write lock.
func LockCustomer(ctx context.Context, tx db.DBTX, shopID, customerID string) error {
	var id string
	err := tx.QueryRowContext(ctx, tx.Dialect().Pick(lockCustomerPG, lockCustomerSQLite), shopID, customerID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFound("customer_not_found", "customer not found")
	}
	if err != nil {
		return fmt.Errorf("lock customer: %w", err)
	}
	return nil
}
