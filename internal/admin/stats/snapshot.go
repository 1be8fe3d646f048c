package stats

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// Snapshots keep the last computed Summary of each shop (table
// dashboard_snapshots): counts only, no personal data.
const (
	loadSnapshot = `SELECT data FROM dashboard_snapshots WHERE shop_id = $1`
	saveSnapshot = `INSERT INTO dashboard_snapshots (shop_id, computed_at, customers, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (shop_id) DO UPDATE SET computed_at = excluded.computed_at, customers = excluded.customers, data = excluded.data
		WHERE dashboard_snapshots.computed_at <= excluded.computed_at`
)

// Stored returns the shop's last saved summary; ok is false when none was
// saved yet.
func Stored(ctx context.Context, d db.DBTX, shopID string) (s Summary, ok bool, err error) {
	var data string
	err = d.QueryRowContext(ctx, loadSnapshot, shopID).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return Summary{}, false, nil
	}
	if err != nil {
		return Summary{}, false, fmt.Errorf("load dashboard snapshot: %w", err)
	}
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		// A snapshot this version cannot read is as good as none: the
		// caller computes a new one.
		return Summary{}, false, nil
	}
	return s, true, nil
}

// Save stores s as the shop's snapshot, unless a newer one is already
// stored (two processes refreshing at once keep the later figures).
func Save(ctx context.Context, d db.DBTX, shopID string, s Summary) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode dashboard snapshot: %w", err)
	}
	if _, err := d.ExecContext(ctx, saveSnapshot, shopID, s.At.UTC().Truncate(time.Microsecond), s.Customers, string(data)); err != nil {
		return fmt.Errorf("save dashboard snapshot: %w", err)
	}
	return nil
}
