package event

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

// insertChunk is how many events one INSERT statement writes: 8 parameters
// each, 8000 in all, well under both engines' limits (PostgreSQL 65535,
// SQLite 32766). An order batch chunk (500 orders) fits in one statement.
const insertChunk = 1000

// insertSQL is followed by VALUES groups and insertConflict. ON CONFLICT
// DO NOTHING is the external_id dedupe: a row whose (shop_id, external_id)
// is stored already, or is inserted by a concurrent transaction (PostgreSQL
// waits for its commit), is skipped; RowsAffected then tells whether any
// was, and only then are they read back. Without a conflict target it
// covers the primary key too, which an ID collision would hit.
const (
	insertSQL      = `INSERT INTO events (shop_id, id, customer_id, type, external_id, occurred_at, data, created_at) VALUES `
	insertConflict = ` ON CONFLICT DO NOTHING`
	insertCols     = 8
)

// insertEvents inserts evs[idx] with multi-row INSERTs and returns how
// many rows were stored.
func insertEvents(ctx context.Context, tx db.DBTX, evs []Event, idx []int) (int, error) {
	stored := 0
	for start := 0; start < len(idx); start += insertChunk {
		part := idx[start:min(start+insertChunk, len(idx))]
		var b strings.Builder
		b.Grow(len(insertSQL) + len(part)*insertCols*6)
		b.WriteString(insertSQL)
		ph := placeholders{d: tx.Dialect()}
		args := make([]any, 0, len(part)*insertCols)
		anyExt := false
		for k, i := range part {
			if k > 0 {
				b.WriteString(", ")
			}
			ph.group(&b, insertCols)
			e := evs[i]
			args = append(args, e.ShopID, e.ID, nullable(e.CustomerID), e.Type, nullable(e.ExternalID),
				e.OccurredAt, string(e.Data), e.CreatedAt)
			anyExt = anyExt || e.ExternalID != ""
		}
		if anyExt {
			b.WriteString(insertConflict)
		}
		res, err := tx.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return 0, fmt.Errorf("insert events: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("insert events: %w", err)
		}
		stored += int(n)
	}
	return stored, nil
}

// placeholders writes a statement's parameters: "$1, $2, ..." on
// PostgreSQL, plain "?" on SQLite. SQLite resolves each "$N" by a linear
// search of the names seen so far, so a statement of thousands of "$N"
// spends most of its time in the parser (the order store measured half the
// CPU of a 1000-order insert); "?" is numbered by position at no cost.
type placeholders struct {
	d db.Dialect
	n int
}

// next writes one placeholder.
func (p *placeholders) next(b *strings.Builder) {
	p.n++
	if p.d == db.Postgres {
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(p.n))
	} else {
		b.WriteByte('?')
	}
}

// list writes n placeholders separated by commas.
func (p *placeholders) list(b *strings.Builder, n int) {
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		p.next(b)
	}
}

// group writes "(" n placeholders ")".
func (p *placeholders) group(b *strings.Builder, n int) {
	b.WriteByte('(')
	p.list(b, n)
	b.WriteByte(')')
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const columns = `id, shop_id, COALESCE(customer_id, ''), type, COALESCE(external_id, ''), occurred_at, data, created_at`

func scan(row interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var data string
	if err := row.Scan(&e.ID, &e.ShopID, &e.CustomerID, &e.Type, &e.ExternalID, &e.OccurredAt, &data, &e.CreatedAt); err != nil {
		return Event{}, err
	}
	e.Data = json.RawMessage(data)
	return e, nil
}

const byExternalIDSQL = `SELECT ` + columns + ` FROM events WHERE shop_id = $1 AND external_id = $2`

// ByExternalID returns the shop's event with the given external ID.
func ByExternalID(ctx context.Context, d db.DBTX, shopID, externalID string) (Event, error) {
	e, err := scan(d.QueryRowContext(ctx, byExternalIDSQL, shopID, externalID))
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, errs.NotFound("event_not_found", "event not found")
	}
	if err != nil {
		return Event{}, fmt.Errorf("event by external id: %w", err)
	}
	return e, nil
}

// byExternalIDsSQL is followed by the IN list.
const byExternalIDsSQL = `SELECT ` + columns + ` FROM events WHERE shop_id = `

// byExternalIDs returns the shop's events among externalIDs (in chunks of
// insertChunk IDs per query).
func byExternalIDs(ctx context.Context, d db.DBTX, shopID string, externalIDs []string) ([]Event, error) {
	var out []Event
	for start := 0; start < len(externalIDs); start += insertChunk {
		part := externalIDs[start:min(start+insertChunk, len(externalIDs))]
		var b strings.Builder
		b.WriteString(byExternalIDsSQL)
		ph := placeholders{d: d.Dialect()}
		ph.next(&b)
		b.WriteString(` AND external_id IN (`)
		ph.list(&b, len(part))
		b.WriteByte(')')
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		for _, x := range part {
			args = append(args, x)
		}
		es, err := queryEvents(ctx, d, b.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("events by external id: %w", err)
		}
		out = append(out, es...)
	}
	return out, nil
}

func queryEvents(ctx context.Context, d db.DBTX, q string, args ...any) ([]Event, error) {
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListParams selects a customer's events, newest first.
type ListParams struct {
	ShopID     string
	CustomerID string
	Types      []string  // optional filter
	Before     time.Time // optional: only events that occurred before (keyset)
	BeforeID   string    // with Before: tie-breaker
	Limit      int
}

// List returns a customer's events, newest first.
func List(ctx context.Context, d db.DBTX, p ListParams) ([]Event, error) {
	q := `SELECT ` + columns + ` FROM events WHERE shop_id = $1 AND customer_id = $2`
	args := []any{p.ShopID, p.CustomerID}
	if !p.Before.IsZero() {
		args = append(args, p.Before, p.BeforeID)
		q += fmt.Sprintf(` AND (occurred_at < $%d OR (occurred_at = $%d AND id < $%d))`, len(args)-1, len(args)-1, len(args))
	}
	if len(p.Types) > 0 {
		ph := make([]string, len(p.Types))
		for i, t := range p.Types {
			args = append(args, t)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND type IN (` + strings.Join(ph, ", ") + `)`
	}
	if p.Limit <= 0 {
		p.Limit = 100
	}
	args = append(args, p.Limit)
	q += fmt.Sprintf(` ORDER BY occurred_at DESC, id DESC LIMIT $%d`, len(args))
	es, err := queryEvents(ctx, d, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return es, nil
}
