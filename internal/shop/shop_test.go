package shop_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/shop"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func TestCreateAndKeys(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s, err := shop.Create(ctx, d, shop.CreateParams{Slug: "hanaya", Name: "花屋"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if s.Timezone != "Asia/Tokyo" || s.Locale != "ja" {
			t.Errorf("defaults: %+v", s)
		}
		if _, err := shop.Create(ctx, d, shop.CreateParams{Slug: "hanaya", Name: "x"}, now); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("duplicate slug: %v", err)
		}
		if _, err := shop.Create(ctx, d, shop.CreateParams{Slug: "Bad Slug", Name: ""}, now); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("bad slug: %v", err)
		}
		key, k, err := shop.CreateKey(ctx, d, s.ID, "till", now)
		if err != nil {
			t.Fatal(err)
		}
		got, gk, err := shop.Authenticate(ctx, d, key)
		if err != nil || got.ID != s.ID || gk.ID != k.ID {
			t.Fatalf("Authenticate = %+v %+v %v", got, gk, err)
		}
		var stored int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys WHERE hash = $1 OR prefix = $1`, key).Scan(&stored); err != nil || stored != 0 {
			t.Fatalf("plain key found in the database (%d, %v)", stored, err)
		}
		for _, bad := range []string{"", "kz_", key + "x", "Bearer " + key} {
			if _, _, err := shop.Authenticate(ctx, d, bad); !errors.Is(err, errs.ErrUnauthorized) {
				t.Errorf("Authenticate(%q) = %v", bad, err)
			}
		}
		if err := shop.RevokeKey(ctx, d, s.ID, k.ID, now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := shop.Authenticate(ctx, d, key); !errors.Is(err, errs.ErrUnauthorized) {
			t.Fatalf("revoked key accepted: %v", err)
		}
		other, _ := shop.Create(ctx, d, shop.CreateParams{Slug: "other", Name: "Other"}, now)
		if err := shop.RevokeKey(ctx, d, other.ID, k.ID, now); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("revoke across shops: %v", err)
		}
		keys, err := shop.ListKeys(ctx, d, s.ID)
		if err != nil || len(keys) != 1 || keys[0].RevokedAt == nil {
			t.Fatalf("ListKeys = %+v, %v", keys, err)
		}
	})
}
