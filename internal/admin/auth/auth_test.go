package auth

import (
	"context"
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
)

var start = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

// TestTOTPVectors checks the RFC 6238 Appendix B SHA-1 test vectors (the
// last 6 digits of the 8-digit values).
func TestTOTPVectors(t *testing.T) {
	t.Parallel()
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"},
		{2000000000, "279037"}, {20000000000, "353130"},
	}
	for _, tt := range tests {
		got, err := TOTPCode(secret, time.Unix(tt.unix, 0))
		if err != nil || got != tt.want {
			t.Errorf("TOTP at %d = %q, %v; want %q", tt.unix, got, err, tt.want)
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	t.Parallel()
	secret := NewTOTPSecret()
	now := start
	code, _ := TOTPCode(secret, now)
	prev, _ := TOTPCode(secret, now.Add(-30*time.Second))
	old, _ := TOTPCode(secret, now.Add(-90*time.Second))
	tests := []struct {
		name     string
		code     string
		lastStep int64
		ok       bool
	}{
		{"current", code, 0, true},
		{"with spaces", code[:3] + " " + code[3:], 0, true},
		{"previous step", prev, 0, true},
		{"too old", old, 0, old == code || old == prev},
		{"replayed", code, totpStep(now), false},
		{"empty", "", 0, false},
		{"letters", "abcdef", 0, false},
		{"long", code + "0", 0, false},
	}
	for _, tt := range tests {
		if _, ok := verifyTOTP(secret, tt.code, now, tt.lastStep); ok != tt.ok {
			t.Errorf("%s: ok=%v, want %v", tt.name, ok, tt.ok)
		}
	}
	if _, ok := verifyTOTP("not base32!", code, now, 0); ok {
		t.Error("a broken secret verified a code")
	}
	if u := OTPAuthURI("Kizukai テスト", "a@b.jp", secret); !strings.HasPrefix(u, "otpauth://totp/") || !strings.Contains(u, "secret="+secret) {
		t.Errorf("URI %q", u)
	}
}

// FuzzVerifyTOTP: any code string is refused or accepted without a panic,
// and never accepted at or before the last used step.
func FuzzVerifyTOTP(f *testing.F) {
	for _, s := range []string{"123456", "", " 12 34 56 ", "ａｂｃ", strings.Repeat("9", 100), "12345-67890"} {
		f.Add(s)
	}
	secret := NewTOTPSecret()
	f.Fuzz(func(t *testing.T, code string) {
		if step, ok := verifyTOTP(secret, code, start, totpStep(start)); ok && step <= totpStep(start) {
			t.Fatalf("accepted a used step %d", step)
		}
		verifyTOTP(secret, code, start, 0)
		_ = hashRecovery(code)
	})
}

type bundle struct {
	ctx  context.Context
	d    *db.DB
	clk  *clock.Simulated
	s    *Service
	shop shop.Shop
}

func setup(t *testing.T, d *db.DB) bundle {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewSimulated(start)
	sh, err := shop.Create(ctx, d, shop.CreateParams{Slug: "cafe", Name: "Cafe"}, start)
	if err != nil {
		t.Fatal(err)
	}
	return bundle{ctx: ctx, d: d, clk: clk, s: NewService(d, clk), shop: sh}
}

func (b bundle) user(t *testing.T, shopID, email string, role staff.Role) staff.User {
	t.Helper()
	u, err := staff.Create(b.ctx, b.d, staff.CreateParams{ShopID: shopID, Email: email, Role: role, Password: "correct horse"}, start)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (b bundle) session(t *testing.T, u staff.User) string {
	t.Helper()
	var tok string
	err := b.d.InTx(b.ctx, func(tx *db.Tx) error {
		var err error
		tok, err = b.s.NewSession(b.ctx, tx, NewSessionParams{ShopID: u.ShopID, UserID: u.ID, Stage: StageFull})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		other, _ := shop.Create(b.ctx, d, shop.CreateParams{Slug: "bakery", Name: "Bakery"}, start)
		u1 := b.user(t, b.shop.ID, "a@example.jp", staff.Owner)
		u2 := b.user(t, other.ID, "a@example.jp", staff.Viewer)
		off := b.user(t, b.shop.ID, "off@example.jp", staff.Viewer)
		if err := d.InTx(b.ctx, func(tx *db.Tx) error { return b.s.Disable(b.ctx, tx, b.shop.ID, off.ID) }); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, email, password string
			want                  []string
			hashes                int64
		}{
			{"two shops", " A@Example.JP ", "correct horse", []string{u2.ID, u1.ID}, 2}, // ordered by shop name: Bakery, Cafe
			{"wrong password", "a@example.jp", "wrong horse", nil, 2},
			{"unknown email costs a hash", "nobody@example.jp", "correct horse", nil, 1},
			{"disabled", "off@example.jp", "correct horse", nil, 1},
		}
		for _, tt := range tests {
			before := b.s.PasswordChecks()
			got, err := b.s.CheckCredentials(b.ctx, tt.email, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range got {
				ids = append(ids, c.User.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.want, ",") {
				t.Errorf("%s: got %v, want %v", tt.name, ids, tt.want)
			}
			if n := b.s.PasswordChecks() - before; n != tt.hashes {
				t.Errorf("%s: %d hashes, want %d", tt.name, n, tt.hashes)
			}
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		u := b.user(t, b.shop.ID, "a@example.jp", staff.Owner)

		// Idle: 29 minutes apart is fine; 31 is not.
		tok := b.session(t, u)
		b.clk.Advance(29 * time.Minute)
		if s, err := b.s.Lookup(b.ctx, tok); err != nil || s.User.ID != u.ID || s.User.Role != staff.Owner {
			t.Fatalf("after 29 min: %+v, %v", s, err)
		}
		b.clk.Advance(31 * time.Minute)
		if _, err := b.s.Lookup(b.ctx, tok); !errors.Is(err, errs.ErrUnauthorized) {
			t.Fatalf("after 31 idle minutes: %v", err)
		}

		// Absolute: used every 20 minutes, it still ends at 12 hours.
		tok = b.session(t, u)
		for i := 0; i < 35; i++ { // 11h40m
			b.clk.Advance(20 * time.Minute)
			if _, err := b.s.Lookup(b.ctx, tok); err != nil {
				t.Fatalf("active session ended at step %d: %v", i, err)
			}
		}
		b.clk.Advance(21 * time.Minute)
		if _, err := b.s.Lookup(b.ctx, tok); !errors.Is(err, errs.ErrUnauthorized) {
			t.Fatalf("after 12 h: %v", err)
		}

		// Pending stages last 5 minutes.
		var pending string
		_ = d.InTx(b.ctx, func(tx *db.Tx) error {
			var err error
			pending, err = b.s.NewSession(b.ctx, tx, NewSessionParams{ShopID: u.ShopID, UserID: u.ID, Stage: StageTOTP})
			return err
		})
		b.clk.Advance(6 * time.Minute)
		if _, err := b.s.Lookup(b.ctx, pending); !errors.Is(err, errs.ErrUnauthorized) {
			t.Fatalf("pending after 6 min: %v", err)
		}

		// Unknown and malformed tokens.
		for _, bad := range []string{"", "nope", strings.Repeat("x", 500)} {
			if _, err := b.s.Lookup(b.ctx, bad); !errors.Is(err, errs.ErrUnauthorized) {
				t.Errorf("token %q: %v", bad, err)
			}
		}
	})
}

func TestDisableAndPasswordChangeEndSessions(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		owner := b.user(t, b.shop.ID, "owner@example.jp", staff.Owner)
		v := b.user(t, b.shop.ID, "v@example.jp", staff.Viewer)

		tok := b.session(t, v)
		if err := d.InTx(b.ctx, func(tx *db.Tx) error { return b.s.Disable(b.ctx, tx, b.shop.ID, v.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := b.s.Lookup(b.ctx, tok); !errors.Is(err, errs.ErrUnauthorized) {
			t.Fatalf("disabled user's session: %v", err)
		}
		// The last owner can be neither disabled nor demoted.
		err := d.InTx(b.ctx, func(tx *db.Tx) error { return b.s.Disable(b.ctx, tx, b.shop.ID, owner.ID) })
		if !ErrIsLastOwner(err) {
			t.Fatalf("disable last owner: %v", err)
		}
		err = d.InTx(b.ctx, func(tx *db.Tx) error { return b.s.SetRole(b.ctx, tx, b.shop.ID, owner.ID, staff.Viewer) })
		if !ErrIsLastOwner(err) {
			t.Fatalf("demote last owner: %v", err)
		}

		a, c := b.session(t, owner), b.session(t, owner)
		_, err = b.s.ChangePassword(b.ctx, ChangePasswordParams{ShopID: b.shop.ID, UserID: owner.ID, Current: "wrong", New: "short", Confirm: "x", Replaces: a})
		var e *errs.Error
		if !errors.As(err, &e) || len(e.Fields) != 3 {
			t.Fatalf("bad change: %v", err)
		}
		if _, err := b.s.Lookup(b.ctx, a); err != nil {
			t.Fatalf("a refused change ended the session: %v", err)
		}
		nt, err := b.s.ChangePassword(b.ctx, ChangePasswordParams{ShopID: b.shop.ID, UserID: owner.ID, Current: "correct horse",
			New: "a much longer passphrase", Confirm: "a much longer passphrase", Replaces: a})
		if err != nil {
			t.Fatal(err)
		}
		for _, old := range []string{a, c} {
			if _, err := b.s.Lookup(b.ctx, old); !errors.Is(err, errs.ErrUnauthorized) {
				t.Errorf("old session after password change: %v", err)
			}
		}
		if s, err := b.s.Lookup(b.ctx, nt); err != nil || s.User.ID != owner.ID {
			t.Fatalf("new session: %+v %v", s, err)
		}
		if got, _ := b.s.CheckCredentials(b.ctx, "owner@example.jp", "a much longer passphrase"); len(got) != 1 {
			t.Fatal("new password refused")
		}
	})
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		acct := Limit{Key: AccountKey("A@example.jp"), Window: AccountWindow}
		for i := 0; i < MaxFailures; i++ {
			if wait, err := b.s.Blocked(b.ctx, acct); err != nil || wait != 0 {
				t.Fatalf("blocked after %d failures: %v %v", i, wait, err)
			}
			if err := b.s.Fail(b.ctx, acct.Key); err != nil {
				t.Fatal(err)
			}
			b.clk.Advance(time.Minute)
		}
		// The first failure leaves the window 15 min after it: 5 min from now.
		wait, err := b.s.Blocked(b.ctx, acct)
		if err != nil || wait != 5*time.Minute {
			t.Fatalf("wait %v, %v", wait, err)
		}
		if AccountKey(" a@EXAMPLE.jp") != acct.Key || strings.Contains(acct.Key, "example") {
			t.Fatalf("account key %q", acct.Key)
		}
		b.clk.Advance(6 * time.Minute)
		if wait, _ := b.s.Blocked(b.ctx, acct); wait != 0 {
			t.Fatalf("still blocked: %v", wait)
		}
		if err := b.s.Forgive(b.ctx, d, acct.Key); err != nil {
			t.Fatal(err)
		}
		if ats, _ := b.s.failures(b.ctx, acct.Key, start); len(ats) != 0 {
			t.Fatalf("%d failures after forgiving", len(ats))
		}
		if _, err := b.s.PurgeExpired(b.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTOTPEnrolment(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		u := b.user(t, b.shop.ID, "a@example.jp", staff.Owner)
		in := func(f func(tx *db.Tx) error) error { return d.InTx(b.ctx, f) }

		if err := in(func(tx *db.Tx) error { _, err := b.s.ConfirmTOTP(b.ctx, tx, b.shop.ID, u.ID, "123456"); return err }); !errors.Is(err, errs.ErrConflict) {
			t.Fatalf("confirm before start: %v", err)
		}
		if err := in(func(tx *db.Tx) error { return b.s.StartTOTP(b.ctx, tx, b.shop.ID, u.ID) }); err != nil {
			t.Fatal(err)
		}
		a, _ := AccountOf(b.ctx, d, b.shop.ID, u.ID)
		if a.TOTPPending == "" || a.TOTPEnabled {
			t.Fatalf("after start: %+v", a)
		}
		if err := in(func(tx *db.Tx) error { _, err := b.s.ConfirmTOTP(b.ctx, tx, b.shop.ID, u.ID, "000000x"); return err }); !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("wrong code: %v", err)
		}
		code, _ := TOTPCode(a.TOTPPending, b.clk.Now())
		var codes []string
		if err := in(func(tx *db.Tx) error {
			var err error
			codes, err = b.s.ConfirmTOTP(b.ctx, tx, b.shop.ID, u.ID, code)
			return err
		}); err != nil || len(codes) != RecoveryCodes {
			t.Fatalf("confirm: %v %v", codes, err)
		}
		second := func(c string) (bool, bool) {
			var ok, rec bool
			if err := in(func(tx *db.Tx) error {
				var err error
				ok, rec, err = b.s.SecondFactor(b.ctx, tx, b.shop.ID, u.ID, c)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok, rec
		}
		// The enrolment's code is used up; the next step's code works once.
		if ok, _ := second(code); ok {
			t.Fatal("the enrolment code was accepted again")
		}
		b.clk.Advance(30 * time.Second)
		a, _ = AccountOf(b.ctx, d, b.shop.ID, u.ID)
		next, _ := TOTPCode(a.TOTPSecret, b.clk.Now())
		if ok, rec := second(next); !ok || rec {
			t.Fatalf("next code: %v %v", ok, rec)
		}
		if ok, _ := second(next); ok {
			t.Fatal("a code was accepted twice")
		}
		if ok, rec := second(strings.ToUpper(codes[0])); !ok || !rec {
			t.Fatal("recovery code refused")
		}
		if ok, _ := second(codes[0]); ok {
			t.Fatal("recovery code accepted twice")
		}
		if n, _ := RecoveryCodesLeft(b.ctx, d, b.shop.ID, u.ID); n != RecoveryCodes-1 {
			t.Fatalf("%d codes left", n)
		}
		// The shop's requirement makes enrolment a set-up step for owners.
		if err := in(func(tx *db.Tx) error { return b.s.DisableTOTP(b.ctx, tx, b.shop.ID, u.ID) }); err != nil {
			t.Fatal(err)
		}
		if err := in(func(tx *db.Tx) error { return b.s.SetRequireOwnerTOTP(b.ctx, tx, b.shop.ID, true) }); err != nil {
			t.Fatal(err)
		}
		if s, err := b.s.SetupDue(b.ctx, u); err != nil || s != SetupTOTP {
			t.Fatalf("setup due: %q %v", s, err)
		}
	})
}
