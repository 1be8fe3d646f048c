package customer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
)

// Channels are the ways a shop can reach a customer, each with its own consent.
var Channels = []string{"email", "sms", "line", "postal", "phone"}

// ValidChannel reports whether c is one of Channels.
func ValidChannel(c string) bool { return slices.Contains(Channels, c) }

// Locales a customer may have; the first is the default.
var Locales = []string{"ja", "en"}

// erasedPrefix starts the external_id of an erased customer. Inputs may not
// use it, so the shop's own ID can never reach an erased row again.
const erasedPrefix = "erased:"

// Field limits.
const (
	maxExternalID   = 100
	maxName         = 200
	maxAddress      = 500
	maxLineUserID   = 100
	maxTag          = 50
	maxTags         = 50
	maxAttributes   = 16 << 10 // bytes of JSON
	maxSource       = 100
	maxConsentText  = 5000
	importSourceCSV = "csv_import"
)

// Customer is a person who bought from a shop (SPEC §7 customer object).
type Customer struct {
	ID               string             `json:"id"`
	ExternalID       string             `json:"external_id"`
	Name             string             `json:"name"`
	Email            string             `json:"email"`
	Phone            string             `json:"phone" doc:"E.164, e.g. +819012345678"`
	LineUserID       string             `json:"line_user_id"`
	PostalAddress    string             `json:"postal_address"`
	Locale           string             `json:"locale" doc:"ja or en"`
	Tags             []string           `json:"tags"`
	Attributes       map[string]any     `json:"attributes"`
	PreferredChannel string             `json:"preferred_channel" doc:"email, sms, line, postal, phone or empty"`
	Consents         map[string]Consent `json:"consents" doc:"current consent per channel; only channels with history"`
	Freshness        *Freshness         `json:"freshness" doc:"null until the customer has an order"`
	CreatedAt        time.Time          `json:"created_at"`
	UpdatedAt        time.Time          `json:"updated_at"`
	ErasedAt         *time.Time         `json:"-"`
}

// Consent is the current state of one channel's consent: its latest record.
type Consent struct {
	Granted bool      `json:"granted"`
	At      time.Time `json:"at"`
	Source  string    `json:"source"`
}

// ConsentRecord is one row of a customer's append-only consent history.
type ConsentRecord struct {
	ID      string    `json:"id"`
	Channel string    `json:"channel"`
	Granted bool      `json:"granted"`
	At      time.Time `json:"at"`
	Source  string    `json:"source"`
	Text    string    `json:"text"`
}

// ConsentInput is a consent change as an integrator sends it.
type ConsentInput struct {
	Granted *bool  `json:"granted" openapi:"required"`
	Source  string `json:"source" openapi:"required" doc:"where consent was given or withdrawn, e.g. pos_form (at most 100 characters)"`
	Text    string `json:"text,omitempty" doc:"the wording shown to the customer"`
}

// Input creates or updates a customer. Pointer fields tell "absent" (nil:
// keep the stored value) from "empty" (clear it). Tags, when given, replace
// the set; Attributes, when given (not null), replace the object.
type Input struct {
	ExternalID       string                  `json:"external_id" openapi:"required" doc:"the shop's own ID of the customer (at most 100 characters)"`
	Name             *string                 `json:"name,omitempty"`
	Email            *string                 `json:"email,omitempty"`
	Phone            *string                 `json:"phone,omitempty" doc:"any Japanese or international format; stored as E.164"`
	LineUserID       *string                 `json:"line_user_id,omitempty"`
	PostalAddress    *string                 `json:"postal_address,omitempty"`
	Locale           *string                 `json:"locale,omitempty" doc:"ja (default) or en"`
	PreferredChannel *string                 `json:"preferred_channel,omitempty"`
	Tags             *[]string               `json:"tags,omitempty"`
	Attributes       map[string]any          `json:"attributes,omitempty"`
	Consents         map[string]ConsentInput `json:"consents,omitempty" doc:"consent changes by channel, recorded in the history"`

	// onlyConsentChanges skips consent records that repeat the current
	// state (CSV import: a nightly re-import must not grow the history).
	onlyConsentChanges bool
}

// Validate checks an upsert input and normalises it in place: phone to
// E.164, email with a lower-case domain, trimmed text, de-duplicated tags.
// Problems are reported by JSON field name.
func (in *Input) Validate() error { return in.validate(true) }

func (in *Input) validate(needExternalID bool) error {
	var f errs.Fields
	in.ExternalID = strings.TrimSpace(in.ExternalID)
	switch {
	case in.ExternalID == "" && needExternalID:
		f.Add("external_id", "required")
	case utf8.RuneCountInString(in.ExternalID) > maxExternalID:
		f.Add("external_id", "at most 100 characters")
	case strings.HasPrefix(in.ExternalID, erasedPrefix):
		f.Add("external_id", "must not start with "+erasedPrefix)
	case !printable(in.ExternalID):
		f.Add("external_id", "must not contain control characters")
	}
	text := func(field string, p *string, limit int, multiline bool) {
		if p == nil {
			return
		}
		*p = strings.TrimSpace(*p)
		check := *p
		if multiline {
			check = strings.NewReplacer("\r\n", " ", "\n", " ").Replace(check)
		}
		if n := utf8.RuneCountInString(*p); n > limit {
			f.Add(field, fmt.Sprintf("at most %d characters", limit))
		} else if !printable(check) {
			f.Add(field, "must not contain control characters")
		}
	}
	text("name", in.Name, maxName, false)
	text("postal_address", in.PostalAddress, maxAddress, true)
	text("line_user_id", in.LineUserID, maxLineUserID, false)
	if in.LineUserID != nil && strings.ContainsFunc(*in.LineUserID, unicode.IsSpace) {
		f.Add("line_user_id", "must not contain spaces")
	}
	if in.Email != nil && *in.Email != "" {
		if e, err := NormalizeEmail(*in.Email); err != nil {
			f.Add("email", err.Error())
		} else {
			*in.Email = e
		}
	}
	if in.Phone != nil && strings.TrimSpace(*in.Phone) != "" {
		if p, err := NormalizePhone(*in.Phone); err != nil {
			f.Add("phone", err.Error())
		} else {
			*in.Phone = p
		}
	} else if in.Phone != nil {
		*in.Phone = ""
	}
	if in.Locale != nil {
		*in.Locale = strings.TrimSpace(*in.Locale)
		if *in.Locale == "" {
			*in.Locale = Locales[0]
		} else if !slices.Contains(Locales, *in.Locale) {
			f.Add("locale", "ja or en")
		}
	}
	if in.PreferredChannel != nil {
		*in.PreferredChannel = strings.TrimSpace(*in.PreferredChannel)
		if *in.PreferredChannel != "" && !ValidChannel(*in.PreferredChannel) {
			f.Add("preferred_channel", "one of email, sms, line, postal, phone, or empty")
		}
	}
	if in.Tags != nil {
		tags, problem := cleanTags(*in.Tags)
		if problem != "" {
			f.Add("tags", problem)
		}
		*in.Tags = tags
	}
	if in.Attributes != nil {
		if b, err := json.Marshal(in.Attributes); err != nil || len(b) > maxAttributes {
			f.Add("attributes", "a JSON object of at most 16 KiB")
		} else if _, ok := in.Attributes[""]; ok {
			f.Add("attributes", "keys must not be empty")
		}
	}
	for ch, c := range in.Consents {
		if !ValidChannel(ch) {
			f.Add("consents."+ch, "unknown channel: use email, sms, line, postal or phone")
			continue
		}
		var cf errs.Fields
		c.validate(&cf)
		in.Consents[ch] = c
		f.Merge("consents."+ch+".", cf)
	}
	return f.Err()
}

// Validate checks a consent change and trims it in place.
func (c *ConsentInput) Validate() error {
	var f errs.Fields
	c.validate(&f)
	return f.Err()
}

func (c *ConsentInput) validate(f *errs.Fields) {
	c.Source = strings.TrimSpace(c.Source)
	c.Text = strings.TrimSpace(c.Text)
	if c.Granted == nil {
		f.Add("granted", "required: true or false")
	}
	switch {
	case c.Source == "":
		f.Add("source", "required")
	case utf8.RuneCountInString(c.Source) > maxSource:
		f.Add("source", "at most 100 characters")
	case !printable(c.Source):
		f.Add("source", "must not contain control characters")
	}
	if utf8.RuneCountInString(c.Text) > maxConsentText {
		f.Add("text", "at most 5000 characters")
	}
}

// cleanTags trims, de-duplicates and sorts tags, and says what is wrong with
// them ("" when nothing).
func cleanTags(in []string) ([]string, string) {
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			return in, "tags must not be empty"
		case utf8.RuneCountInString(t) > maxTag:
			return in, "each tag at most 50 characters"
		case strings.Contains(t, "|") || !printable(t):
			return in, "tags must not contain | or control characters"
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxTags {
		return in, "at most 50 tags"
	}
	return out, ""
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}
