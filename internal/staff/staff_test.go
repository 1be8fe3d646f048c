package staff_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
)

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, err := staff.HashPassword(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q lacks the OWASP parameters", h)
	}
	if ok, err := staff.CheckPassword(ctx, h, "correct horse battery"); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, _ := staff.CheckPassword(ctx, h, "wrong horse battery"); ok {
		t.Fatal("wrong password accepted")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", strings.Replace(h, "m=19456", "m=0", 1)} {
		if _, err := staff.CheckPassword(ctx, bad, "x"); err == nil {
			t.Errorf("malformed hash %q accepted", bad)
		}
	}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		s, _ := shop.Create(ctx, d, shop.CreateParams{Slug: "cafe", Name: "Cafe"}, now)
		u, err := staff.Create(ctx, d, staff.CreateParams{ShopID: s.ID, Email: " Owner@Example.JP ", Role: staff.Owner, Password: "long enough"}, now)
		if err != nil || u.Email != "owner@example.jp" {
			t.Fatalf("Create = %+v, %v", u, err)
		}
		if _, err := staff.Create(ctx, d, staff.CreateParams{ShopID: s.ID, Email: "owner@example.jp", Role: staff.Viewer, Password: "long enough"}, now); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		_, err = staff.Create(ctx, d, staff.CreateParams{ShopID: s.ID, Email: "x", Role: "boss", Password: "short"}, now)
		var e *errs.Error
		if !errors.As(err, &e) || len(e.Fields) != 3 {
			t.Fatalf("bad input: %v", err)
		}
		got, err := staff.ByEmail(ctx, d, s.ID, "OWNER@example.jp")
		if err != nil || got.ID != u.ID {
			t.Fatalf("ByEmail = %+v, %v", got, err)
		}
	})
}
