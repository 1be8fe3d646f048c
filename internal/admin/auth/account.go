package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/staff"
)

// Account is a staff user's admin state.
type Account struct {
	TOTPEnabled        bool
	TOTPSecret         string // base32; set once enabled
	TOTPPending        string // base32; during enrolment
	TOTPLastStep       int64
	MustChangePassword bool
}

const selectAccount = `SELECT totp_secret, totp_pending, totp_enabled_at IS NOT NULL, totp_last_step, must_change_password
	FROM admin_accounts WHERE shop_id = $1 AND user_id = $2`

// AccountOf returns a staff user's admin state (the zero Account when none
// is stored).
func AccountOf(ctx context.Context, d db.DBTX, shopID, userID string) (Account, error) {
	var a Account
	err := d.QueryRowContext(ctx, selectAccount, shopID, userID).Scan(&a.TOTPSecret, &a.TOTPPending, &a.TOTPEnabled,
		&a.TOTPLastStep, &a.MustChangePassword)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, nil
	}
	if err != nil {
		return Account{}, fmt.Errorf("admin account: %w", err)
	}
	return a, nil
}

func ensureAccount(ctx context.Context, tx db.DBTX, shopID, userID string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO admin_accounts (shop_id, user_id) VALUES ($1, $2)
		ON CONFLICT (shop_id, user_id) DO NOTHING`, shopID, userID); err != nil {
		return fmt.Errorf("ensure admin account: %w", err)
	}
	return nil
}

// Setup is what a signed-in user must do before anything else.
type Setup string

// The set-up steps.
const (
	SetupNone     Setup = ""
	SetupPassword Setup = "password" // signed in with a one-time password
	SetupTOTP     Setup = "totp"     // an owner of a shop that requires two-factor sign-in
)

// SetupDue tells what a signed-in user must do first.
func (s *Service) SetupDue(ctx context.Context, u staff.User) (Setup, error) {
	a, err := AccountOf(ctx, s.db, u.ShopID, u.ID)
	if err != nil {
		return SetupNone, err
	}
	if a.MustChangePassword {
		return SetupPassword, nil
	}
	if u.Role == staff.Owner && !a.TOTPEnabled {
		req, err := RequireOwnerTOTP(ctx, s.db, u.ShopID)
		if err != nil {
			return SetupNone, err
		}
		if req {
			return SetupTOTP, nil
		}
	}
	return SetupNone, nil
}

// StartTOTP begins enrolment: a new pending secret, shown to the user until
// a code from their authenticator confirms it.
func (s *Service) StartTOTP(ctx context.Context, tx db.DBTX, shopID, userID string) error {
	if err := ensureAccount(ctx, tx, shopID, userID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE admin_accounts SET totp_pending = $3 WHERE shop_id = $1 AND user_id = $2`,
		shopID, userID, NewTOTPSecret())
	if err != nil {
		return fmt.Errorf("start totp: %w", err)
	}
	return nil
}

// RecoveryCodes is how many recovery codes an enrolment makes.
const RecoveryCodes = 10

// ConfirmTOTP enables two-factor sign-in when code matches the pending
// secret, and returns new recovery codes (shown once; old ones are gone).
func (s *Service) ConfirmTOTP(ctx context.Context, tx db.DBTX, shopID, userID, code string) ([]string, error) {
	a, err := AccountOf(ctx, tx, shopID, userID)
	if err != nil {
		return nil, err
	}
	if a.TOTPPending == "" {
		return nil, errs.Conflict("totp_not_started", "two-factor enrolment was not started")
	}
	step, ok := verifyTOTP(a.TOTPPending, code, s.clock.Now(), 0)
	if !ok {
		return nil, errs.Invalid("code", "does not match")
	}
	const q = `UPDATE admin_accounts SET totp_secret = totp_pending, totp_pending = '', totp_enabled_at = $3, totp_last_step = $4
		WHERE shop_id = $1 AND user_id = $2`
	if _, err := tx.ExecContext(ctx, q, shopID, userID, s.clock.Now(), step); err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	return newRecoveryCodes(ctx, tx, shopID, userID)
}

func newRecoveryCodes(ctx context.Context, tx db.DBTX, shopID, userID string) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_recovery_codes WHERE shop_id = $1 AND user_id = $2`, shopID, userID); err != nil {
		return nil, fmt.Errorf("delete recovery codes: %w", err)
	}
	codes := make([]string, RecoveryCodes)
	for i := range codes {
		raw := strings.ToLower(b32.EncodeToString(id.Secret(7))[:10]) // 50 bits
		codes[i] = raw[:5] + "-" + raw[5:]
		if _, err := tx.ExecContext(ctx, `INSERT INTO admin_recovery_codes (shop_id, user_id, code_hash) VALUES ($1, $2, $3)`,
			shopID, userID, hashRecovery(codes[i])); err != nil {
			return nil, fmt.Errorf("insert recovery code: %w", err)
		}
	}
	return codes, nil
}

func hashRecovery(code string) string {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	sum := sha256.Sum256([]byte("recovery\x00" + c))
	return hex.EncodeToString(sum[:])
}

// DisableTOTP turns two-factor sign-in off and deletes the recovery codes.
func (s *Service) DisableTOTP(ctx context.Context, tx db.DBTX, shopID, userID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE admin_accounts SET totp_secret = '', totp_pending = '', totp_enabled_at = NULL
		WHERE shop_id = $1 AND user_id = $2`, shopID, userID); err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM admin_recovery_codes WHERE shop_id = $1 AND user_id = $2`, shopID, userID); err != nil {
		return fmt.Errorf("delete recovery codes: %w", err)
	}
	return nil
}

// SecondFactor checks a TOTP code or, failing that, a recovery code of the
// user, and uses it up. It reports whether it matched and whether it was a
// recovery code.
func (s *Service) SecondFactor(ctx context.Context, tx db.DBTX, shopID, userID, code string) (ok, recovery bool, err error) {
	a, err := AccountOf(ctx, tx, shopID, userID)
	if err != nil || !a.TOTPEnabled {
		return false, false, err
	}
	if step, match := verifyTOTP(a.TOTPSecret, code, s.clock.Now(), a.TOTPLastStep); match {
		// The step only moves forward: two requests with one code, one wins.
		res, err := tx.ExecContext(ctx, `UPDATE admin_accounts SET totp_last_step = $3
			WHERE shop_id = $1 AND user_id = $2 AND totp_last_step < $3`, shopID, userID, step)
		if err != nil {
			return false, false, fmt.Errorf("use totp step: %w", err)
		}
		n, _ := res.RowsAffected()
		return n == 1, false, nil
	}
	if len(code) > 40 {
		return false, false, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE admin_recovery_codes SET used_at = $4
		WHERE shop_id = $1 AND user_id = $2 AND code_hash = $3 AND used_at IS NULL`, shopID, userID, hashRecovery(code), s.clock.Now())
	if err != nil {
		return false, false, fmt.Errorf("use recovery code: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, n == 1, nil
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func RecoveryCodesLeft(ctx context.Context, d db.DBTX, shopID, userID string) (int, error) {
	var n int
	err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM admin_recovery_codes WHERE shop_id = $1 AND user_id = $2 AND used_at IS NULL`,
		shopID, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

// RequireOwnerTOTP reports whether the shop requires two-factor sign-in of
// its owners.
func RequireOwnerTOTP(ctx context.Context, d db.DBTX, shopID string) (bool, error) {
	var on bool
	err := d.QueryRowContext(ctx, `SELECT require_owner_totp FROM admin_shop_settings WHERE shop_id = $1`, shopID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("admin shop settings: %w", err)
	}
	return on, nil
}

// SetRequireOwnerTOTP stores the shop's two-factor requirement for owners.
func (s *Service) SetRequireOwnerTOTP(ctx context.Context, tx db.DBTX, shopID string, on bool) error {
	const q = `INSERT INTO admin_shop_settings (shop_id, require_owner_totp, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (shop_id) DO UPDATE SET require_owner_totp = excluded.require_owner_totp, updated_at = excluded.updated_at`
	if _, err := tx.ExecContext(ctx, q, shopID, on, s.clock.Now()); err != nil {
		return fmt.Errorf("set require owner totp: %w", err)
	}
	return nil
}
