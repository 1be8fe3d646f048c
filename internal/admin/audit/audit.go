// Package audit keeps the log of staff actions in the admin UI (SPEC §3
// C17): who (staff user ID), what (an action name), on what (object type and
// ID) and when. It stores IDs only, never names, emails or content, so the
// log holds no personal data beyond staff IDs and needs no erasure.
//
// An entry is written in the same transaction as the change it records, so
// a change without its entry (or the reverse) cannot be stored.
//
// Imports: db, errs, id; never net/http or the admin edge.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/id"
)

// Entry is one staff action.
type Entry struct {
	ID         string
	ShopID     string
	ActorID    string
	Action     string // e.g. "user.create", "shop.profile.update"
	ObjectType string // e.g. "staff_user", "api_key", "shop"
	ObjectID   string
	At         time.Time
}

// RecordParams is the input of Record.
type RecordParams struct {
	ShopID     string
	ActorID    string
	Action     string
	ObjectType string
	ObjectID   string
	At         time.Time
}

// Record stores an entry (in the caller's transaction).
func Record(ctx context.Context, tx db.DBTX, p RecordParams) error {
	const q = `INSERT INTO audit_log (shop_id, id, actor_id, action, object_type, object_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	if _, err := tx.ExecContext(ctx, q, p.ShopID, id.New("aud"), p.ActorID, p.Action, p.ObjectType, p.ObjectID, p.At); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}

// Cursor is a position in the log: the last entry shown.
type Cursor struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// ListParams is the input of List.
type ListParams struct {
	ShopID string
	Limit  int
	After  *Cursor // newest first: entries older than this
}

const (
	listFirst = `SELECT id, shop_id, actor_id, action, object_type, object_id, at FROM audit_log
		WHERE shop_id = $1 ORDER BY at DESC, id DESC LIMIT $2`
	listAfter = `SELECT id, shop_id, actor_id, action, object_type, object_id, at FROM audit_log
		WHERE shop_id = $1 AND (at < $3 OR (at = $3 AND id < $4)) ORDER BY at DESC, id DESC LIMIT $2`
)

// List returns the shop's entries, newest first, and whether more follow.
func List(ctx context.Context, d db.DBTX, p ListParams) ([]Entry, bool, error) {
	q, args := listFirst, []any{p.ShopID, p.Limit + 1}
	if p.After != nil {
		q, args = listAfter, append(args, p.After.At, p.After.ID)
	}
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.ShopID, &e.ActorID, &e.Action, &e.ObjectType, &e.ObjectID, &e.At); err != nil {
			return nil, false, fmt.Errorf("scan audit entry: %w", err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > p.Limit
	if more {
		out = out[:p.Limit]
	}
	return out, more, nil
}
