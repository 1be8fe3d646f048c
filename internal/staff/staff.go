// Package staff holds the shop's staff accounts and their roles.
//
// Passwords are hashed with argon2id (never stored or logged in clear), and
// hashing runs behind a small semaphore because each hash takes 19 MiB.
// Imports: db, errs, id.
package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
)

// Role is what a staff member may do.
type Role string

// The roles, from most to least powerful.
const (
	Owner    Role = "owner"    // everything, including erasing customers and managing staff and keys
	Marketer Role = "marketer" // journeys, templates, broadcasts, segments, products
	Support  Role = "support"  // tickets and customers
	Viewer   Role = "viewer"   // read only
)

// ValidRole reports whether r is one of the roles.
func ValidRole(r Role) bool {
	switch r {
	case Owner, Marketer, Support, Viewer:
		return true
	}
	return false
}

// User is a staff account.
type User struct {
	ID           string     `json:"id"`
	ShopID       string     `json:"-"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Role         Role       `json:"role"`
	PasswordHash string     `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	DisabledAt   *time.Time `json:"disabled_at,omitempty"`
}

// CreateParams is the input of Create.
type CreateParams struct {
	ShopID   string
	Email    string
	Name     string
	Role     Role
	Password string
}

// ValidatePassword applies the password rules (OWASP ASVS 5.0): 8 to 128
// characters, no composition rules.
func ValidatePassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < 8 || n > 128 {
		return errs.Invalid("password", "8 to 128 characters")
	}
	return nil
}

// Create stores a new staff user. An email taken in the shop is a conflict.
func Create(ctx context.Context, d db.DBTX, p CreateParams, now time.Time) (User, error) {
	var f errs.Fields
	p.Email = strings.ToLower(strings.TrimSpace(p.Email))
	if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email {
		f.Add("email", "not a valid email address")
	}
	if !ValidRole(p.Role) {
		f.Add("role", "must be owner, marketer, support or viewer")
	}
	if err := ValidatePassword(p.Password); err != nil {
		f.Add("password", "8 to 128 characters")
	}
	if utf8.RuneCountInString(p.Name) > 100 {
		f.Add("name", "at most 100 characters")
	}
	if err := f.Err(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(ctx, p.Password)
	if err != nil {
		return User{}, err
	}
	u := User{ID: id.New("usr"), ShopID: p.ShopID, Email: p.Email, Name: strings.TrimSpace(p.Name), Role: p.Role,
		PasswordHash: hash, CreatedAt: now.UTC()}
	const q = `INSERT INTO staff_users (id, shop_id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	if _, err := d.ExecContext(ctx, q, u.ID, u.ShopID, u.Email, u.Name, string(u.Role), u.PasswordHash, u.CreatedAt); err != nil {
		if db.IsUniqueViolation(err) {
			return User{}, errs.Conflict("user_exists", "a staff user with this email exists in the shop")
		}
		return User{}, fmt.Errorf("insert staff user: %w", err)
	}
	return u, nil
}

const userColumns = `id, shop_id, email, name, role, password_hash, created_at, disabled_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var disabled sql.NullTime
	if err := row.Scan(&u.ID, &u.ShopID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt, &disabled); err != nil {
		return User{}, err
	}
	if disabled.Valid {
		t := disabled.Time.UTC()
		u.DisabledAt = &t
	}
	return u, nil
}

// ByEmail returns the shop's user with the given email.
func ByEmail(ctx context.Context, d db.DBTX, shopID, email string) (User, error) {
	u, err := scanUser(d.QueryRowContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE shop_id = $1 AND email = $2`,
		shopID, strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errs.NotFound("user_not_found", "staff user not found")
	}
	if err != nil {
		return User{}, fmt.Errorf("staff user by email: %w", err)
	}
	return u, nil
}

// ByID returns the shop's user with the given ID.
func ByID(ctx context.Context, d db.DBTX, shopID, userID string) (User, error) {
	u, err := scanUser(d.QueryRowContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE shop_id = $1 AND id = $2`, shopID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errs.NotFound("user_not_found", "staff user not found")
	}
	if err != nil {
		return User{}, fmt.Errorf("staff user by id: %w", err)
	}
	return u, nil
}

// List returns the shop's staff users by email.
func List(ctx context.Context, d db.DBTX, shopID string) ([]User, error) {
	rows, err := d.QueryContext(ctx, `SELECT `+userColumns+` FROM staff_users WHERE shop_id = $1 ORDER BY email`, shopID)
	if err != nil {
		return nil, fmt.Errorf("list staff users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("scan staff user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
