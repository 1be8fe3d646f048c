package ticket

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

const columns = `id, customer_id, kind, status, subject, body, assignee, first_response_due_at, created_at, updated_at, resolved_at,
first_response_at`

func scan(row interface{ Scan(...any) error }) (Ticket, error) {
	var t Ticket
	if err := row.Scan(&t.ID, &t.CustomerID, &t.Kind, &t.Status, &t.Subject, &t.Body, &t.Assignee,
		&t.FirstResponseDueAt, &t.CreatedAt, &t.UpdatedAt, &t.ResolvedAt, &t.FirstResponseAt); err != nil {
		return Ticket{}, err
	}
	t.FirstResponseDueAt, t.CreatedAt, t.UpdatedAt = t.FirstResponseDueAt.UTC(), t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	t.ResolvedAt, t.FirstResponseAt = utcPtr(t.ResolvedAt), utcPtr(t.FirstResponseAt)
	return t, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

var errNotFound = errs.NotFound("ticket_not_found", "ticket not found")

const insertSQL = `INSERT INTO tickets (shop_id, id, customer_id, kind, status, subject, body, assignee,
	first_response_due_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`

func insert(ctx context.Context, tx db.DBTX, shopID string, t Ticket) error {
	_, err := tx.ExecContext(ctx, insertSQL, shopID, t.ID, t.CustomerID, t.Kind, t.Status, t.Subject, t.Body, t.Assignee,
		t.FirstResponseDueAt, t.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	return nil
}

// byIDSQL reads a ticket; the PostgreSQL variant for updates locks the row
// so that two concurrent PATCHes take turns (SQLite's single writer does
// that already).
const (
	byIDSQL          = `SELECT ` + columns + ` FROM tickets WHERE shop_id = $1 AND id = $2`
	byIDForUpdatePG  = byIDSQL + ` FOR UPDATE`
	byIDForUpdateSQL = byIDSQL
)

func byID(ctx context.Context, d db.DBTX, shopID, id string, forUpdate bool) (Ticket, error) {
	q := byIDSQL
	if forUpdate {
		q = d.Dialect().Pick(byIDForUpdatePG, byIDForUpdateSQL)
	}
	t, err := scan(d.QueryRowContext(ctx, q, shopID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, errNotFound
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("ticket by id: %w", err)
	}
	return t, nil
}

const updateSQL = `UPDATE tickets SET status = $3, assignee = $4, resolved_at = $5, updated_at = $6, first_response_at = $7
WHERE shop_id = $1 AND id = $2`

func update(ctx context.Context, tx db.DBTX, shopID string, t Ticket) error {
	if _, err := tx.ExecContext(ctx, updateSQL, shopID, t.ID, t.Status, t.Assignee, t.ResolvedAt, t.UpdatedAt, t.FirstResponseAt); err != nil {
		return fmt.Errorf("update ticket: %w", err)
	}
	return nil
}

// customerSQL checks that the shop's customer exists and is not erased.
const customerSQL = `SELECT id FROM customers WHERE shop_id = $1 AND id = $2 AND erased_at IS NULL`

func customerExists(ctx context.Context, d db.DBTX, shopID, customerID string) (bool, error) {
	var id string
	err := d.QueryRowContext(ctx, customerSQL, shopID, customerID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ticket customer: %w", err)
	}
	return true, nil
}

// ListParams selects a page of a shop's tickets, newest first, or by
// first-response due time (ByDue, the inbox's order).
type ListParams struct {
	ShopID     string
	CustomerID string // optional filter
	Status     string // optional filter: one of Statuses
	Kind       string // optional filter: one of Kinds
	Unresolved bool   // only open or pending tickets
	Assignee   string // optional filter: exactly this assignee
	Unassigned bool   // only tickets without an assignee
	BeforeID   string // keyset cursor, newest first: the last ID of the previous page
	Limit      int    // default 50

	// ByDue orders by first_response_due_at, then ID; AfterDue and AfterID
	// are its keyset cursor (the last ticket of the previous page).
	ByDue    bool
	AfterDue time.Time
	AfterID  string
}

// listWhere filters with ($n = ” OR col = $n) so that one statement serves
// every combination of filters.
const listWhere = `WHERE shop_id = $1 AND ($2 = '' OR customer_id = $2) AND ($3 = '' OR status = $3) AND ($4 = '' OR kind = $4)
	AND ($5 = 0 OR status IN ('open', 'pending')) AND ($6 = '' OR assignee = $6) AND ($7 = 0 OR assignee = '')`

const (
	listSQL = `SELECT ` + columns + ` FROM tickets ` + listWhere + `
	AND ($8 = '' OR id < $8)
ORDER BY id DESC LIMIT $9`
	listByDueSQL = `SELECT ` + columns + ` FROM tickets ` + listWhere + `
	AND ($8 = '' OR first_response_due_at > $10 OR (first_response_due_at = $10 AND id > $8))
ORDER BY first_response_due_at, id LIMIT $9`
)

func list(ctx context.Context, d db.DBTX, p ListParams) ([]Ticket, error) {
	args := []any{p.ShopID, p.CustomerID, p.Status, p.Kind, flag(p.Unresolved), p.Assignee, flag(p.Unassigned)}
	q := listSQL
	if p.ByDue {
		q = listByDueSQL
		args = append(args, p.AfterID, p.Limit, p.AfterDue.UTC())
	} else {
		args = append(args, p.BeforeID, p.Limit)
	}
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	out := []Ticket{}
	for rows.Next() {
		t, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan ticket: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// flag is a boolean filter as an integer parameter (0 or 1), the same on
// both engines.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// openComplaintSQL is rule 2 of the policy; the tickets_customer index
// (shop_id, customer_id, status) serves it.
var openComplaintSQL = `SELECT 1 FROM tickets WHERE shop_id = $1 AND customer_id = $2
	AND status IN ('open', 'pending') AND kind IN ('` + strings.Join(ComplaintKinds, "', '") + `') LIMIT 1`

// HasOpenComplaint reports whether the shop's customer has an open or
// pending ticket of kind complaint, defect, return or exchange, read through
// d (the policy's judging transaction).
func HasOpenComplaint(ctx context.Context, d db.DBTX, shopID, customerID string) (bool, error) {
	var one int
	err := d.QueryRowContext(ctx, openComplaintSQL, shopID, customerID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("open complaint: %w", err)
	}
	return true, nil
}
