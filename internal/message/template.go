package message

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

// Template is a message template of a shop: Liquid text per locale.
type Template struct {
	Key       string     `json:"key"`
	Name      string     `json:"name"`
	Purpose   string     `json:"purpose" doc:"transactional, care, info or sales"`
	SubjectJA string     `json:"subject_ja"`
	BodyJA    string     `json:"body_ja"`
	SMSJA     string     `json:"sms_ja" doc:"short text for SMS and LINE; empty: body_ja is used"`
	SubjectEN string     `json:"subject_en"`
	BodyEN    string     `json:"body_en" doc:"empty: customers with locale en get the Japanese text"`
	SMSEN     string     `json:"sms_en"`
	Builtin   bool       `json:"builtin" doc:"one of the default templates (it may have been edited)"`
	UpdatedAt *time.Time `json:"updated_at" doc:"null for a default template the shop has not stored yet"`
}

// TemplateInput creates or replaces a template (PUT /templates/{key}).
type TemplateInput struct {
	Name      string `json:"name,omitempty" doc:"at most 200 characters; default: the key"`
	Purpose   string `json:"purpose" openapi:"required" doc:"transactional, care, info or sales"`
	SubjectJA string `json:"subject_ja,omitempty" doc:"Liquid, one line"`
	BodyJA    string `json:"body_ja" openapi:"required" doc:"Liquid; variables: customer.name, shop.name, shop.sender_name, shop.contact_email, shop.contact_phone, product.name, product.goal, product.guide, order.total, order.date, links.receipt, links.survey, links.unsubscribe, links.preferences"`
	SMSJA     string `json:"sms_ja,omitempty" doc:"Liquid; must fit the policy's sms_max_chars with long values"`
	SubjectEN string `json:"subject_en,omitempty"`
	BodyEN    string `json:"body_en,omitempty"`
	SMSEN     string `json:"sms_en,omitempty"`
}

// Rendered is a template rendered for one customer.
type Rendered struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
	SMS     string `json:"sms" doc:"the SMS/LINE text (the body when the template has none)"`
	Locale  string `json:"locale"`
}

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func validKey(k string) bool { return keyRE.MatchString(k) }

var errTemplateNotFound = errs.NotFound("template_not_found", "template not found")

const defaultSMSMaxChars = 660

// field is one Liquid text of a template, by its JSON name.
type field struct {
	name string
	src  *string
}

func (t *Template) fields() []field {
	return []field{{"subject_ja", &t.SubjectJA}, {"body_ja", &t.BodyJA}, {"sms_ja", &t.SMSJA},
		{"subject_en", &t.SubjectEN}, {"body_en", &t.BodyEN}, {"sms_en", &t.SMSEN}}
}

// validateTemplate checks a template before it is stored: key, name and
// purpose; every text parses, uses only known variables and renders with
// long sample values; subjects stay on one line; the SMS text of each
// locale fits smsMax characters.
func (s *Service) validateTemplate(ctx context.Context, shopID string, t *Template, smsMax int) error {
	var f errs.Fields
	if !validKey(t.Key) {
		f.Add("key", "lower-case letters, digits and _, starting with a letter (at most 64)")
	}
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		t.Name = t.Key
	}
	if utf8.RuneCountInString(t.Name) > 200 || !utf8.ValidString(t.Name) {
		f.Add("name", "at most 200 characters")
	}
	if !slices.Contains(Purposes, t.Purpose) {
		f.Add("purpose", "must be one of "+strings.Join(Purposes, ", "))
	}
	if strings.TrimSpace(t.BodyJA) == "" {
		f.Add("body_ja", "required")
	}
	sample := s.longSample(shopID).bindings()
	out := map[string]string{}
	for _, fd := range t.fields() {
		if *fd.src == "" {
			continue
		}
		if !utf8.ValidString(*fd.src) {
			f.Add(fd.name, "must be UTF-8 text")
			continue
		}
		tpl, err := compile(s.engine, *fd.src)
		if err != nil {
			f.Add(fd.name, err.Error())
			continue
		}
		text, err := renderTemplate(ctx, tpl, sample)
		if err != nil {
			f.Add(fd.name, "does not render: "+err.Error())
			continue
		}
		if strings.HasPrefix(fd.name, "subject_") && strings.ContainsAny(*fd.src, "\r\n") {
			f.Add(fd.name, "must be one line")
		}
		out[fd.name] = text
	}
	for _, loc := range []string{"ja", "en"} {
		smsField, bodyField := "sms_"+loc, "body_"+loc
		text, ok := out[smsField]
		if !ok {
			if text, ok = out[bodyField]; !ok {
				continue // nothing in this locale, or already reported
			}
		}
		if n := utf8.RuneCountInString(text); n > smsMax {
			msg := fmt.Sprintf("renders to %d characters with long values; the SMS limit is %d", n, smsMax)
			if _, own := out[smsField]; !own {
				msg = fmt.Sprintf("required: %s is used for SMS and %s", bodyField, msg)
			}
			f.Add(smsField, msg)
		}
	}
	return f.Err()
}

// PutTemplate creates or replaces the shop's template with the key. A bad
// template changes nothing and answers 422 naming the field, e.g.
// fields.body_ja: unknown variable customer.nmae.
func (s *Service) PutTemplate(ctx context.Context, shopID, key string, in TemplateInput) (Template, error) {
	var out Template
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		out, err = s.PutTemplateTx(ctx, tx, shopID, key, in)
		return err
	})
	return out, err
}

const upsertTemplateSQL = `INSERT INTO templates (shop_id, key, name, purpose, subject_ja, body_ja, sms_ja,
subject_en, body_en, sms_en, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (shop_id, key) DO UPDATE SET name = excluded.name, purpose = excluded.purpose,
subject_ja = excluded.subject_ja, body_ja = excluded.body_ja, sms_ja = excluded.sms_ja,
subject_en = excluded.subject_en, body_en = excluded.body_en, sms_en = excluded.sms_en, updated_at = excluded.updated_at`

// PutTemplateTx is PutTemplate in the caller's transaction (installers).
func (s *Service) PutTemplateTx(ctx context.Context, tx db.DBTX, shopID, key string, in TemplateInput) (Template, error) {
	t := Template{Key: key, Name: in.Name, Purpose: in.Purpose, SubjectJA: in.SubjectJA, BodyJA: in.BodyJA, SMSJA: in.SMSJA,
		SubjectEN: in.SubjectEN, BodyEN: in.BodyEN, SMSEN: in.SMSEN}
	smsMax, err := s.smsMaxChars(ctx, tx, shopID)
	if err != nil {
		return Template{}, err
	}
	if err := s.validateTemplate(ctx, shopID, &t, smsMax); err != nil {
		return Template{}, err
	}
	now := s.Clock.Now().UTC().Truncate(time.Microsecond)
	if err := storeTemplate(ctx, tx, shopID, t, now); err != nil {
		return Template{}, err
	}
	_, t.Builtin = defaultTemplate(key)
	t.UpdatedAt = &now
	return t, nil
}

func storeTemplate(ctx context.Context, tx db.DBTX, shopID string, t Template, now time.Time) error {
	_, err := tx.ExecContext(ctx, upsertTemplateSQL, shopID, t.Key, t.Name, t.Purpose, t.SubjectJA, t.BodyJA, t.SMSJA,
		t.SubjectEN, t.BodyEN, t.SMSEN, now)
	if err != nil {
		return fmt.Errorf("store template: %w", err)
	}
	return nil
}

func (s *Service) smsMaxChars(ctx context.Context, d db.DBTX, shopID string) (int, error) {
	if s.Policies == nil {
		return defaultSMSMaxChars, nil
	}
	p, err := s.Policies.Get(ctx, d, shopID)
	if err != nil {
		return 0, err
	}
	if p.SMSMaxChars <= 0 {
		return defaultSMSMaxChars, nil
	}
	return p.SMSMaxChars, nil
}

const insertDefaultTemplateSQL = `INSERT INTO templates (shop_id, key, name, purpose, subject_ja, body_ja, sms_ja,
subject_en, body_en, sms_en, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (shop_id, key) DO NOTHING`

// EnsureDefaultTemplates stores every default template the shop does not
// have yet; edited templates are left as they are.
func (s *Service) EnsureDefaultTemplates(ctx context.Context, tx db.DBTX, shopID string) error {
	now := s.Clock.Now()
	for _, t := range defaultTemplates {
		_, err := tx.ExecContext(ctx, insertDefaultTemplateSQL, shopID, t.Key, t.Name, t.Purpose, t.SubjectJA, t.BodyJA, t.SMSJA,
			t.SubjectEN, t.BodyEN, t.SMSEN, now)
		if err != nil {
			return fmt.Errorf("install template %s: %w", t.Key, err)
		}
	}
	return nil
}

const templateColumns = `key, name, purpose, subject_ja, body_ja, sms_ja, subject_en, body_en, sms_en, updated_at`

func scanTemplate(row interface{ Scan(...any) error }) (Template, error) {
	var t Template
	var at time.Time
	if err := row.Scan(&t.Key, &t.Name, &t.Purpose, &t.SubjectJA, &t.BodyJA, &t.SMSJA, &t.SubjectEN, &t.BodyEN, &t.SMSEN, &at); err != nil {
		return Template{}, err
	}
	at = at.UTC()
	t.UpdatedAt = &at
	_, t.Builtin = defaultTemplate(t.Key)
	return t, nil
}

const templateSQL = `SELECT ` + templateColumns + ` FROM templates WHERE shop_id = $1 AND key = $2`

// templateTx returns the stored template, else the default with the key.
func templateTx(ctx context.Context, d db.DBTX, shopID, key string) (Template, error) {
	t, err := scanTemplate(d.QueryRowContext(ctx, templateSQL, shopID, key))
	if errors.Is(err, sql.ErrNoRows) {
		if def, ok := defaultTemplate(key); ok {
			return def, nil
		}
		return Template{}, errTemplateNotFound
	}
	if err != nil {
		return Template{}, fmt.Errorf("template: %w", err)
	}
	return t, nil
}

// GetTemplate returns the shop's template with the key (a default template
// the shop has not stored is returned as it ships).
func (s *Service) GetTemplate(ctx context.Context, shopID, key string) (Template, error) {
	if !validKey(key) {
		return Template{}, errTemplateNotFound
	}
	return templateTx(ctx, s.DB, shopID, key)
}

const templatesSQL = `SELECT ` + templateColumns + ` FROM templates WHERE shop_id = $1 ORDER BY key`

// ListTemplates returns all the shop's templates by key, the defaults it
// has not stored included.
func (s *Service) ListTemplates(ctx context.Context, shopID string) ([]Template, error) {
	rows, err := s.DB.QueryContext(ctx, templatesSQL, shopID)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	defer rows.Close()
	out := []Template{}
	seen := map[string]bool{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("scan template: %w", err)
		}
		seen[t.Key] = true
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	for _, t := range defaultTemplates {
		if !seen[t.Key] {
			t.Builtin = true
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// Render renders the shop's template for a locale ("en" or else Japanese)
// with v. A locale whose body is empty falls back to Japanese.
func (s *Service) Render(ctx context.Context, shopID, key, locale string, v Vars) (Rendered, error) {
	if !validKey(key) {
		return Rendered{}, errTemplateNotFound
	}
	t, err := templateTx(ctx, s.DB, shopID, key)
	if err != nil {
		return Rendered{}, err
	}
	return s.renderFor(ctx, t, locale, v)
}

// renderFor renders t's texts of the locale. The subject is kept to one line.
func (s *Service) renderFor(ctx context.Context, t Template, locale string, v Vars) (Rendered, error) {
	r := Rendered{Locale: chooseLocale(t, locale)}
	subject, body, sms := t.SubjectJA, t.BodyJA, t.SMSJA
	if r.Locale == "en" {
		subject, body, sms = t.SubjectEN, t.BodyEN, t.SMSEN
	}
	b := v.bindings()
	for _, x := range []struct {
		src string
		dst *string
	}{{subject, &r.Subject}, {body, &r.Body}, {sms, &r.SMS}} {
		if x.src == "" {
			continue
		}
		tpl, err := compile(s.engine, x.src)
		if err != nil {
			return Rendered{}, fmt.Errorf("template %s: %w", t.Key, err)
		}
		if *x.dst, err = renderTemplate(ctx, tpl, b); err != nil {
			return Rendered{}, fmt.Errorf("template %s: %w", t.Key, err)
		}
	}
	if r.SMS == "" {
		r.SMS = r.Body
	}
	r.Subject = strings.TrimSpace(strings.NewReplacer("\r", " ", "\n", " ").Replace(r.Subject))
	return r, nil
}

// chooseLocale is the locale a customer who wants want gets from t: English
// when asked for and written, else Japanese.
func chooseLocale(t Template, want string) string {
	if want == "en" && strings.TrimSpace(t.BodyEN) != "" {
		return "en"
	}
	return "ja"
}
