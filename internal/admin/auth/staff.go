package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/staff"
)

// maxShopsPerEmail bounds the hashes one sign-in costs: an email is tried
// against at most this many shops' accounts.
const maxShopsPerEmail = 10

// Candidate is a staff account whose password matched, with its shop.
type Candidate struct {
	User     staff.User
	ShopName string
	ShopSlug string
}

var dummy struct {
	once sync.Once
	hash string
	err  error
}

// dummyHash is a real argon2id hash of a random password, checked when no
// account has the email, so an unknown email costs what a known one does.
func dummyHash(ctx context.Context) (string, error) {
	dummy.once.Do(func() { dummy.hash, dummy.err = staff.HashPassword(ctx, string(id.Secret(16))) })
	return dummy.hash, dummy.err
}

const selectByEmail = `SELECT u.id, u.shop_id, u.email, u.name, u.role, u.password_hash, u.created_at, u.disabled_at, s.name, s.slug
	FROM staff_users u JOIN shops s ON s.id = u.shop_id
	WHERE u.email = $1 ORDER BY s.name, u.shop_id LIMIT $2`

// CheckCredentials returns the enabled accounts, in any shop, whose email
// and password match. It always runs the password hash at least once, and
// runs it for disabled accounts too, so the answer's timing tells nothing
// about which emails exist.
func (s *Service) CheckCredentials(ctx context.Context, email, password string) ([]Candidate, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	rows, err := s.db.QueryContext(ctx, selectByEmail, email, maxShopsPerEmail)
	if err != nil {
		return nil, fmt.Errorf("staff by email: %w", err)
	}
	defer rows.Close()
	var all []Candidate
	for rows.Next() {
		var c Candidate
		var disabled sql.NullTime
		if err := rows.Scan(&c.User.ID, &c.User.ShopID, &c.User.Email, &c.User.Name, &c.User.Role, &c.User.PasswordHash,
			&c.User.CreatedAt, &disabled, &c.ShopName, &c.ShopSlug); err != nil {
			return nil, fmt.Errorf("scan staff user: %w", err)
		}
		if disabled.Valid {
			t := disabled.Time
			c.User.DisabledAt = &t
		}
		all = append(all, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(all) == 0 {
		h, err := dummyHash(ctx)
		if err != nil {
			return nil, err
		}
		s.hashes.Add(1)
		if _, err := staff.CheckPassword(ctx, h, password); err != nil {
			return nil, err
		}
		return nil, nil
	}
	var ok []Candidate
	for _, c := range all {
		s.hashes.Add(1)
		match, err := staff.CheckPassword(ctx, c.User.PasswordHash, password)
		if err != nil {
			return nil, err
		}
		if match && c.User.DisabledAt == nil {
			ok = append(ok, c)
		}
	}
	return ok, nil
}

// PasswordChecks counts the password hashes sign-ins have computed.
func (s *Service) PasswordChecks() int64 { return s.hashes.Load() }

// CheckPassword reports whether password is the user's current one.
func (s *Service) CheckPassword(ctx context.Context, shopID, userID, password string) (bool, error) {
	u, err := staff.ByID(ctx, s.db, shopID, userID)
	if err != nil {
		return false, err
	}
	return staff.CheckPassword(ctx, u.PasswordHash, password)
}

// activeOwners counts the shop's enabled owners.
func activeOwners(ctx context.Context, tx db.DBTX, shopID string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_users WHERE shop_id = $1 AND role = 'owner' AND disabled_at IS NULL`,
		shopID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count owners: %w", err)
	}
	return n, nil
}

var errLastOwner = errs.Conflict("last_owner", "the shop's last enabled owner cannot be demoted or disabled")

// SetRole changes a staff user's role. The last enabled owner keeps theirs.
func (s *Service) SetRole(ctx context.Context, tx db.DBTX, shopID, userID string, role staff.Role) error {
	if !staff.ValidRole(role) {
		return errs.Invalid("role", "must be owner, marketer, support or viewer")
	}
	u, err := staff.ByID(ctx, tx, shopID, userID)
	if err != nil {
		return err
	}
	if u.Role == staff.Owner && role != staff.Owner && u.DisabledAt == nil {
		if n, err := activeOwners(ctx, tx, shopID); err != nil {
			return err
		} else if n <= 1 {
			return errLastOwner
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET role = $3 WHERE shop_id = $1 AND id = $2`, shopID, userID, string(role)); err != nil {
		return fmt.Errorf("set role: %w", err)
	}
	return nil
}

// Disable disables a staff user and ends their sessions. The last enabled
// owner cannot be disabled; disabling twice changes nothing.
func (s *Service) Disable(ctx context.Context, tx db.DBTX, shopID, userID string) error {
	u, err := staff.ByID(ctx, tx, shopID, userID)
	if err != nil {
		return err
	}
	if u.DisabledAt != nil {
		return nil
	}
	if u.Role == staff.Owner {
		if n, err := activeOwners(ctx, tx, shopID); err != nil {
			return err
		} else if n <= 1 {
			return errLastOwner
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE staff_users SET disabled_at = $3 WHERE shop_id = $1 AND id = $2`,
		shopID, userID, s.clock.Now()); err != nil {
		return fmt.Errorf("disable user: %w", err)
	}
	return EndUserSessions(ctx, tx, shopID, userID)
}

// setPassword stores a new hash, sets or clears the one-time flag and ends
// every session of the user.
func setPassword(ctx context.Context, tx db.DBTX, shopID, userID, hash string, oneTime bool) error {
	res, err := tx.ExecContext(ctx, `UPDATE staff_users SET password_hash = $3 WHERE shop_id = $1 AND id = $2`, shopID, userID, hash)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.NotFound("user_not_found", "staff user not found")
	}
	if err := ensureAccount(ctx, tx, shopID, userID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE admin_accounts SET must_change_password = $3 WHERE shop_id = $1 AND user_id = $2`,
		shopID, userID, oneTime); err != nil {
		return fmt.Errorf("set one-time flag: %w", err)
	}
	return EndUserSessions(ctx, tx, shopID, userID)
}

// ChangePasswordParams is the input of ChangePassword.
type ChangePasswordParams struct {
	ShopID, UserID string
	Current, New   string
	Confirm        string
	Replaces       string // the token of the session making the change
	// AuditFunc records the change in the transaction that stores it.
	AuditFunc func(ctx context.Context, tx db.DBTX) error
}

// ChangePassword checks the current password and the new one's rules,
// stores it, ends every session of the user and returns a new session
// token for the one that made the change.
func (s *Service) ChangePassword(ctx context.Context, p ChangePasswordParams) (string, error) {
	var f errs.Fields
	if ok, err := s.CheckPassword(ctx, p.ShopID, p.UserID, p.Current); err != nil {
		return "", err
	} else if !ok {
		f.Add("current_password", "does not match")
	}
	if err := staff.ValidatePassword(p.New); err != nil {
		f.Add("new_password", "8 to 128 characters")
	} else if p.New == p.Current {
		f.Add("new_password", "must differ from the current password")
	}
	if p.Confirm != p.New {
		f.Add("confirm_password", "does not match")
	}
	if err := f.Err(); err != nil {
		return "", err
	}
	hash, err := staff.HashPassword(ctx, p.New)
	if err != nil {
		return "", err
	}
	var tok string
	err = s.db.InTx(ctx, func(tx *db.Tx) error {
		if err := setPassword(ctx, tx, p.ShopID, p.UserID, hash, false); err != nil {
			return err
		}
		if p.AuditFunc != nil {
			if err := p.AuditFunc(ctx, tx); err != nil {
				return err
			}
		}
		tok, err = s.NewSession(ctx, tx, NewSessionParams{ShopID: p.ShopID, UserID: p.UserID, Stage: StageFull, Replaces: p.Replaces})
		return err
	})
	return tok, err
}

// NewUserParams is the input of CreateUser.
type NewUserParams struct {
	ShopID, Email, Name string
	Role                staff.Role
}

// CreateUser creates a staff user with a one-time password, which it
// returns (shown once); the user must choose their own at first sign-in.
func (s *Service) CreateUser(ctx context.Context, tx db.DBTX, p NewUserParams) (staff.User, string, error) {
	pw := OneTimePassword()
	u, err := staff.Create(ctx, tx, staff.CreateParams{ShopID: p.ShopID, Email: p.Email, Name: p.Name, Role: p.Role, Password: pw}, s.clock.Now())
	if err != nil {
		return staff.User{}, "", err
	}
	if err := ensureAccount(ctx, tx, p.ShopID, u.ID); err != nil {
		return staff.User{}, "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE admin_accounts SET must_change_password = TRUE WHERE shop_id = $1 AND user_id = $2`,
		p.ShopID, u.ID); err != nil {
		return staff.User{}, "", fmt.Errorf("set one-time flag: %w", err)
	}
	return u, pw, nil
}

// OneTimePassword returns a random password of 16 characters (80 bits) in
// groups of four, easy to read out and type.
func OneTimePassword() string {
	raw := strings.ToLower(b32.EncodeToString(id.Secret(10)))
	return raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
}

// ErrIsLastOwner reports whether err is the last-owner refusal.
func ErrIsLastOwner(err error) bool {
	var e *errs.Error
	return errors.As(err, &e) && e.Code == "last_owner"
}

// Choices returns the enabled accounts among userIDs with their shops, for
// the shop chooser after a password matched in several shops.
func Choices(ctx context.Context, d db.DBTX, userIDs []string) ([]Candidate, error) {
	var out []Candidate
	for _, uid := range userIDs {
		var c Candidate
		err := d.QueryRowContext(ctx, `SELECT u.id, u.shop_id, s.name, s.slug FROM staff_users u JOIN shops s ON s.id = u.shop_id
			WHERE u.id = $1 AND u.disabled_at IS NULL`, uid).Scan(&c.User.ID, &c.User.ShopID, &c.ShopName, &c.ShopSlug)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("shop choice: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}
