// Package shop holds tenants (shops) and their API keys.
//
// Every other domain object belongs to exactly one shop, and every query of
// theirs is scoped by shop ID. An API key names its shop; only a SHA-256
// hash of the key is stored, so a database dump reveals no usable key.
// Imports: db, errs, id only.
package shop

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
)

// Shop is a tenant: one business.
type Shop struct {
	ID            string    `json:"id"`
	Slug          string    `json:"slug"`
	Name          string    `json:"name"`
	Timezone      string    `json:"timezone"`
	Locale        string    `json:"locale"`
	SenderName    string    `json:"sender_name"`
	PostalAddress string    `json:"postal_address"`
	ContactEmail  string    `json:"contact_email"`
	ContactPhone  string    `json:"contact_phone"`
	LineURL       string    `json:"line_url"`
	CreatedAt     time.Time `json:"created_at"`
}

// Location returns the shop's time zone (Asia/Tokyo when unset or unknown).
func (s Shop) Location() *time.Location {
	if loc, err := time.LoadLocation(s.Timezone); err == nil && s.Timezone != "" {
		return loc
	}
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return time.FixedZone("JST", 9*3600)
	}
	return loc
}

// CreateParams is the input of Create.
type CreateParams struct {
	Slug     string
	Name     string
	Timezone string // default Asia/Tokyo
	Locale   string // default ja
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,39}$`)

// Validate checks p and fills defaults.
func (p *CreateParams) Validate() error {
	var f errs.Fields
	p.Slug = strings.TrimSpace(p.Slug)
	p.Name = strings.TrimSpace(p.Name)
	if !slugRE.MatchString(p.Slug) {
		f.Add("slug", "2 to 40 characters: lower-case letters, digits and '-', starting with a letter or digit")
	}
	if p.Name == "" || utf8.RuneCountInString(p.Name) > 200 {
		f.Add("name", "required, at most 200 characters")
	}
	if p.Timezone == "" {
		p.Timezone = "Asia/Tokyo"
	} else if _, err := time.LoadLocation(p.Timezone); err != nil {
		f.Add("timezone", "unknown time zone")
	}
	switch p.Locale {
	case "":
		p.Locale = "ja"
	case "ja", "en":
	default:
		f.Add("locale", "must be ja or en")
	}
	return f.Err()
}

// Create stores a new shop. A taken slug is a conflict.
func Create(ctx context.Context, d db.DBTX, p CreateParams, now time.Time) (Shop, error) {
	if err := p.Validate(); err != nil {
		return Shop{}, err
	}
	s := Shop{ID: id.New("shp"), Slug: p.Slug, Name: p.Name, Timezone: p.Timezone, Locale: p.Locale,
		SenderName: p.Name, CreatedAt: now.UTC()}
	const q = `INSERT INTO shops (id, slug, name, timezone, locale, sender_name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`
	if _, err := d.ExecContext(ctx, q, s.ID, s.Slug, s.Name, s.Timezone, s.Locale, s.SenderName, s.CreatedAt); err != nil {
		if db.IsUniqueViolation(err) {
			return Shop{}, errs.Conflict("shop_exists", "a shop with this slug exists")
		}
		return Shop{}, fmt.Errorf("insert shop: %w", err)
	}
	return s, nil
}

const shopColumns = `id, slug, name, timezone, locale, sender_name, postal_address, contact_email, contact_phone, line_url, created_at`

func scanShop(row *sql.Row) (Shop, error) {
	var s Shop
	err := row.Scan(&s.ID, &s.Slug, &s.Name, &s.Timezone, &s.Locale, &s.SenderName, &s.PostalAddress,
		&s.ContactEmail, &s.ContactPhone, &s.LineURL, &s.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Shop{}, errs.NotFound("shop_not_found", "shop not found")
	}
	if err != nil {
		return Shop{}, fmt.Errorf("scan shop: %w", err)
	}
	return s, nil
}

// ByID returns the shop with the given ID.
func ByID(ctx context.Context, d db.DBTX, shopID string) (Shop, error) {
	return scanShop(d.QueryRowContext(ctx, `SELECT `+shopColumns+` FROM shops WHERE id = $1`, shopID))
}

// BySlug returns the shop with the given slug.
func BySlug(ctx context.Context, d db.DBTX, slug string) (Shop, error) {
	return scanShop(d.QueryRowContext(ctx, `SELECT `+shopColumns+` FROM shops WHERE slug = $1`, slug))
}

// ProfileParams is the shop's public profile, shown in every message and on
// every public page (特定電子メール法: sender, address, contact).
type ProfileParams struct {
	Name          string `json:"name"`
	SenderName    string `json:"sender_name"`
	PostalAddress string `json:"postal_address"`
	ContactEmail  string `json:"contact_email"`
	ContactPhone  string `json:"contact_phone"`
	LineURL       string `json:"line_url"`
	Timezone      string `json:"timezone"`
}

// UpdateProfile validates and stores the profile.
func UpdateProfile(ctx context.Context, d db.DBTX, shopID string, p ProfileParams) (Shop, error) {
	var f errs.Fields
	for field, v := range map[string]*string{"name": &p.Name, "sender_name": &p.SenderName, "postal_address": &p.PostalAddress,
		"contact_email": &p.ContactEmail, "contact_phone": &p.ContactPhone, "line_url": &p.LineURL, "timezone": &p.Timezone} {
		*v = strings.TrimSpace(*v)
		if utf8.RuneCountInString(*v) > 300 {
			f.Add(field, "at most 300 characters")
		}
	}
	if p.Name == "" {
		f.Add("name", "required")
	}
	if p.Timezone == "" {
		p.Timezone = "Asia/Tokyo"
	} else if _, err := time.LoadLocation(p.Timezone); err != nil {
		f.Add("timezone", "unknown time zone")
	}
	if p.LineURL != "" && !strings.HasPrefix(p.LineURL, "https://") {
		f.Add("line_url", "must be an https:// URL")
	}
	if err := f.Err(); err != nil {
		return Shop{}, err
	}
	const q = `UPDATE shops SET name = $2, sender_name = $3, postal_address = $4, contact_email = $5, contact_phone = $6,
		line_url = $7, timezone = $8 WHERE id = $1`
	res, err := d.ExecContext(ctx, q, shopID, p.Name, p.SenderName, p.PostalAddress, p.ContactEmail, p.ContactPhone, p.LineURL, p.Timezone)
	if err != nil {
		return Shop{}, fmt.Errorf("update shop: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Shop{}, errs.NotFound("shop_not_found", "shop not found")
	}
	return ByID(ctx, d, shopID)
}

// IDs returns the IDs of every shop, for instance-wide start-up work.
func IDs(ctx context.Context, d db.DBTX) ([]string, error) {
	rows, err := d.QueryContext(ctx, `SELECT id FROM shops ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan shop: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
