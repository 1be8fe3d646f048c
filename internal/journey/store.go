package journey

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

var errJourneyNotFound = errs.NotFound("journey_not_found", "journey not found")

const journeyColumns = `j.id, COALESCE(j.builtin_key, ''), j.name, j.status, j.paused_reason, j.version, v.definition, j.created_at, j.updated_at`

const journeyFrom = ` FROM journeys j JOIN journey_versions v
ON v.shop_id = j.shop_id AND v.journey_id = j.id AND v.version = j.version`

func scanJourney(row interface{ Scan(...any) error }) (Journey, error) {
	var j Journey
	var def string
	if err := row.Scan(&j.ID, &j.BuiltinKey, &j.Name, &j.Status, &j.PausedReason, &j.Version, &def, &j.CreatedAt, &j.UpdatedAt); err != nil {
		return Journey{}, err
	}
	if err := json.Unmarshal([]byte(def), &j.Definition); err != nil {
		return Journey{}, fmt.Errorf("stored definition of journey %s v%d: %w", j.ID, j.Version, err)
	}
	j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	return j, nil
}

const journeyByIDSQL = `SELECT ` + journeyColumns + journeyFrom + ` WHERE j.shop_id = $1 AND j.id = $2`

func journeyByID(ctx context.Context, d db.DBTX, shopID, journeyID string) (Journey, error) {
	j, err := scanJourney(d.QueryRowContext(ctx, journeyByIDSQL, shopID, journeyID))
	if errors.Is(err, sql.ErrNoRows) {
		return Journey{}, errJourneyNotFound
	}
	if err != nil {
		return Journey{}, fmt.Errorf("journey by id: %w", err)
	}
	return j, nil
}

const listJourneysSQL = `SELECT ` + journeyColumns + journeyFrom + ` WHERE j.shop_id = $1 AND j.id > $2 ORDER BY j.id LIMIT $3`

func listJourneys(ctx context.Context, d db.DBTX, shopID, afterID string, limit int) ([]Journey, error) {
	rows, err := d.QueryContext(ctx, listJourneysSQL, shopID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list journeys: %w", err)
	}
	defer rows.Close()
	out := []Journey{}
	for rows.Next() {
		j, err := scanJourney(rows)
		if err != nil {
			return nil, fmt.Errorf("scan journey: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

const (
	insertJourneySQL = `INSERT INTO journeys (shop_id, id, builtin_key, name, trigger_type, version, status, paused_reason, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8) ON CONFLICT DO NOTHING`
	insertVersionSQL = `INSERT INTO journey_versions (shop_id, journey_id, version, definition, created_at) VALUES ($1, $2, $3, $4, $5)`
	bumpVersionSQL   = `UPDATE journeys SET version = version + 1, name = $3, trigger_type = $4, updated_at = $5
WHERE shop_id = $1 AND id = $2 RETURNING version`
	setStatusSQL = `UPDATE journeys SET status = $3, paused_reason = $4, updated_at = $5 WHERE shop_id = $1 AND id = $2`
)

// insertParams is a new journey row.
type insertParams struct {
	ShopID, ID, BuiltinKey, Status, PausedReason string
	Def                                          Definition
	Now                                          time.Time
}

// insertJourney stores a journey and its version 1; false when a journey
// with the same builtin key exists (nothing is written then).
func insertJourney(ctx context.Context, tx db.DBTX, p insertParams) (bool, error) {
	def, err := p.Def.marshal()
	if err != nil {
		return false, err
	}
	var key any
	if p.BuiltinKey != "" {
		key = p.BuiltinKey
	}
	res, err := tx.ExecContext(ctx, insertJourneySQL, p.ShopID, p.ID, key, p.Def.Name, p.Def.Trigger.Type, p.Status, p.PausedReason, p.Now)
	if err != nil {
		return false, fmt.Errorf("insert journey: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, insertVersionSQL, p.ShopID, p.ID, 1, def, p.Now); err != nil {
		return false, fmt.Errorf("insert journey version: %w", err)
	}
	return true, nil
}

// addVersion stores def as the journey's next version and returns its number.
func addVersion(ctx context.Context, tx db.DBTX, shopID, journeyID string, def Definition, now time.Time) (int, error) {
	body, err := def.marshal()
	if err != nil {
		return 0, err
	}
	var v int
	err = tx.QueryRowContext(ctx, bumpVersionSQL, shopID, journeyID, def.Name, def.Trigger.Type, now).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errJourneyNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("bump journey version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, insertVersionSQL, shopID, journeyID, v, body, now); err != nil {
		return 0, fmt.Errorf("insert journey version: %w", err)
	}
	return v, nil
}

func setStatus(ctx context.Context, tx db.DBTX, shopID, journeyID, status, reason string, now time.Time) error {
	res, err := tx.ExecContext(ctx, setStatusSQL, shopID, journeyID, status, reason, now)
	if err != nil {
		return fmt.Errorf("set journey status: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set journey status: %w", err)
	} else if n == 0 {
		return errJourneyNotFound
	}
	return nil
}

const versionSQL = `SELECT definition FROM journey_versions WHERE shop_id = $1 AND journey_id = $2 AND version = $3`

func loadVersion(ctx context.Context, d db.DBTX, shopID, journeyID string, version int) (*Definition, error) {
	var body string
	if err := d.QueryRowContext(ctx, versionSQL, shopID, journeyID, version).Scan(&body); err != nil {
		return nil, fmt.Errorf("journey %s version %d: %w", journeyID, version, err)
	}
	var def Definition
	if err := json.Unmarshal([]byte(body), &def); err != nil {
		return nil, fmt.Errorf("journey %s version %d: %w", journeyID, version, err)
	}
	return &def, nil
}

const statusSQL = `SELECT status FROM journeys WHERE shop_id = $1 AND id = $2`

func journeyStatus(ctx context.Context, d db.DBTX, shopID, journeyID string) (string, error) {
	var st string
	err := d.QueryRowContext(ctx, statusSQL, shopID, journeyID).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errJourneyNotFound
	}
	if err != nil {
		return "", fmt.Errorf("journey status: %w", err)
	}
	return st, nil
}

// activeRef is an active journey's ID and newest version.
type activeRef struct {
	ID      string
	Version int
}

const activeByTriggerSQL = `SELECT id, version FROM journeys WHERE shop_id = $1 AND trigger_type = $2 AND status = 'active' ORDER BY id`

func activeByTrigger(ctx context.Context, d db.DBTX, shopID, triggerType string) ([]activeRef, error) {
	rows, err := d.QueryContext(ctx, activeByTriggerSQL, shopID, triggerType)
	if err != nil {
		return nil, fmt.Errorf("active journeys: %w", err)
	}
	defer rows.Close()
	var out []activeRef
	for rows.Next() {
		var r activeRef
		if err := rows.Scan(&r.ID, &r.Version); err != nil {
			return nil, fmt.Errorf("scan active journey: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// templateKeysSQL reads the message package's templates table: the
// journey needs only to know which keys exist (at activation), and the
// message service names no such look-up.
const templateKeysSQL = `SELECT key FROM templates WHERE shop_id = $1`

func templateKeys(ctx context.Context, d db.DBTX, shopID string) (map[string]bool, error) {
	rows, err := d.QueryContext(ctx, templateKeysSQL, shopID)
	if err != nil {
		return nil, fmt.Errorf("template keys: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("scan template key: %w", err)
		}
		out[k] = true
	}
	return out, rows.Err()
}
