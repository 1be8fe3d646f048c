package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// Throttle limits (ASVS 5.0 6.1.1/6.3.1, stricter than ASVS 4.0.3's 100 an
// hour): at most MaxFailures failed sign-ins per account per AccountWindow
// and per client address per AddressWindow; then 429 until the oldest
// failure of the window leaves it.
const (
	MaxFailures   = 10
	AccountWindow = 15 * time.Minute
	AddressWindow = time.Minute
)

// AccountKey is the throttle key of an email (any shop): a hash, so the
// table holds no address.
func AccountKey(email string) string {
	sum := sha256.Sum256([]byte("acct\x00" + strings.ToLower(strings.TrimSpace(email))))
	return "acct:" + hex.EncodeToString(sum[:16])
}

// AddressKey is the throttle key of a client IP address.
func AddressKey(ip string) string {
	sum := sha256.Sum256([]byte("ip\x00" + ip))
	return "ip:" + hex.EncodeToString(sum[:16])
}

// UserKey is the throttle key of one staff user's second factor.
func UserKey(userID string) string { return "user:" + userID }

// Limit is one throttle key with its window.
type Limit struct {
	Key    string
	Window time.Duration
}

// Blocked reports whether any limit is exhausted and, if so, how long to
// wait (the longest wait of them, rounded up to a second).
func (s *Service) Blocked(ctx context.Context, limits ...Limit) (time.Duration, error) {
	now := s.clock.Now()
	var wait time.Duration
	for _, l := range limits {
		ats, err := s.failures(ctx, l.Key, now.Add(-l.Window))
		if err != nil {
			return 0, err
		}
		if len(ats) < MaxFailures {
			continue
		}
		// The window frees a slot when its oldest counted failure leaves it.
		free := ats[len(ats)-MaxFailures].Add(l.Window)
		if d := free.Sub(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		wait = (wait + time.Second - 1).Truncate(time.Second)
	}
	return wait, nil
}

func (s *Service) failures(ctx context.Context, key string, since time.Time) ([]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT at FROM admin_login_failures WHERE key = $1 AND at > $2 ORDER BY at`, key, since)
	if err != nil {
		return nil, fmt.Errorf("login failures: %w", err)
	}
	defer rows.Close()
	var ats []time.Time
	for rows.Next() {
		var at time.Time
		if err := rows.Scan(&at); err != nil {
			return nil, fmt.Errorf("scan login failure: %w", err)
		}
		ats = append(ats, at)
	}
	return ats, rows.Err()
}

// Fail records one failure under each key.
func (s *Service) Fail(ctx context.Context, keys ...string) error {
	now := s.clock.Now()
	return s.db.InTx(ctx, func(tx *db.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO admin_login_failures (key, at) VALUES ($1, $2)`, k, now); err != nil {
				return fmt.Errorf("record login failure: %w", err)
			}
		}
		return nil
	})
}

// Forgive forgets the failures of a key (after a successful sign-in of
// that account; an address's failures are never forgiven early).
func (s *Service) Forgive(ctx context.Context, tx db.DBTX, key string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_login_failures WHERE key = $1`, key); err != nil {
		return fmt.Errorf("forgive login failures: %w", err)
	}
	return nil
}
