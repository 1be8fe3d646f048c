package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GetValue reads an instance-wide value from the kv table.
func GetValue(ctx context.Context, d DBTX, key string) (string, bool, error) {
	var v string
	err := d.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", key, err)
	}
	return v, true, nil
}

// SetValue writes an instance-wide value to the kv table.
func SetValue(ctx context.Context, d DBTX, key, value string, now time.Time) error {
	const q = `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
	if _, err := d.ExecContext(ctx, q, key, value, now); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// InsertValue writes key only if it is absent and returns the stored value
// (the new one, or the one another process stored first).
func InsertValue(ctx context.Context, d DBTX, key, value string, now time.Time) (string, error) {
	if _, err := d.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`,
		key, value, now); err != nil {
		return "", fmt.Errorf("write %s: %w", key, err)
	}
	v, _, err := GetValue(ctx, d, key)
	return v, err
}
