package shop

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
)

// KeyPrefix starts every API key, so that a leaked key is easy to find in
// code and logs (secret scanners look for such prefixes).
const KeyPrefix = "kz_"

// APIKey describes a key; the key itself is never stored or shown again.
type APIKey struct {
	ID        string     `json:"id"`
	ShopID    string     `json:"-"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"` // the first characters, to tell keys apart
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// CreateKey makes a new API key for the shop and returns it once, with its
// description. Only its hash is stored.
func CreateKey(ctx context.Context, d db.DBTX, shopID, name string, now time.Time) (string, APIKey, error) {
	if len(name) > 100 {
		return "", APIKey{}, errs.Invalid("name", "at most 100 characters")
	}
	key := id.Token(KeyPrefix)
	k := APIKey{ID: id.New("key"), ShopID: shopID, Name: name, Prefix: key[:len(KeyPrefix)+6], CreatedAt: now.UTC()}
	const q = `INSERT INTO api_keys (id, shop_id, name, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`
	if _, err := d.ExecContext(ctx, q, k.ID, shopID, name, k.Prefix, hashKey(key), k.CreatedAt); err != nil {
		return "", APIKey{}, fmt.Errorf("insert api key: %w", err)
	}
	return key, k, nil
}

// Authenticate returns the shop a key belongs to. Unknown, malformed and
// revoked keys are all ErrUnauthorized, with no hint which.
func Authenticate(ctx context.Context, d db.DBTX, key string) (Shop, APIKey, error) {
	unauthorized := errs.New(errs.ErrUnauthorized, "invalid_api_key", "the API key is missing, unknown or revoked")
	if !strings.HasPrefix(key, KeyPrefix) || len(key) > 100 {
		return Shop{}, APIKey{}, unauthorized
	}
	const q = `SELECT k.id, k.name, k.prefix, k.created_at, k.shop_id
		FROM api_keys k JOIN shops s ON s.id = k.shop_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`
	var k APIKey
	err := d.QueryRowContext(ctx, q, hashKey(key)).Scan(&k.ID, &k.Name, &k.Prefix, &k.CreatedAt, &k.ShopID)
	if errors.Is(err, sql.ErrNoRows) {
		return Shop{}, APIKey{}, unauthorized
	}
	if err != nil {
		return Shop{}, APIKey{}, fmt.Errorf("look up api key: %w", err)
	}
	s, err := ByID(ctx, d, k.ShopID)
	if err != nil {
		return Shop{}, APIKey{}, err
	}
	return s, k, nil
}

// ListKeys returns the shop's keys, newest first, revoked ones included.
func ListKeys(ctx context.Context, d db.DBTX, shopID string) ([]APIKey, error) {
	rows, err := d.QueryContext(ctx, `SELECT id, shop_id, name, prefix, created_at, revoked_at FROM api_keys
		WHERE shop_id = $1 ORDER BY id DESC`, shopID)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		var revoked sql.NullTime
		if err := rows.Scan(&k.ID, &k.ShopID, &k.Name, &k.Prefix, &k.CreatedAt, &revoked); err != nil {
			return nil, fmt.Errorf("scan api key: %w", err)
		}
		if revoked.Valid {
			t := revoked.Time.UTC()
			k.RevokedAt = &t
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeKey revokes one of the shop's keys; the next request with it gets 401.
func RevokeKey(ctx context.Context, d db.DBTX, shopID, keyID string, now time.Time) error {
	res, err := d.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $3 WHERE shop_id = $1 AND id = $2 AND revoked_at IS NULL`,
		shopID, keyID, now)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFound("api_key_not_found", "no such active API key in this shop")
	}
	return nil
}
