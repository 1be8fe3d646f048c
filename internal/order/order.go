package order

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/product"
)

// Limits of one order and of a batch.
const (
	MaxLines      = 200
	MaxBatch      = 1000
	maxExternalID = 100
	maxStore      = 100
	maxQuantity   = 1_000_000
	maxUnitPrice  = 1_000_000_000_000     // ¥1 trillion
	maxAmount     = 1_000_000_000_000_000 // bound on any line amount, sum or total: no int64 overflow
	maxFuture     = 24 * time.Hour        // how far ahead of the clock ordered_at may be
)

// Channels an order may come through.
const (
	ChannelStore  = "store"
	ChannelOnline = "online"
)

// Order is a purchase (SPEC §7 order object).
type Order struct {
	ID          string    `json:"id"`
	ShopID      string    `json:"-"`
	ExternalID  string    `json:"external_id"`
	CustomerID  string    `json:"customer_id"`
	OrderedAt   time.Time `json:"ordered_at"`
	Channel     string    `json:"channel" doc:"store or online"`
	Store       string    `json:"store"`
	Lines       []Line    `json:"lines"`
	Discount    int64     `json:"discount" doc:"yen taken off the sum of the lines"`
	Total       int64     `json:"total" doc:"sum of quantity × unit_price, less discount"`
	Currency    string    `json:"currency"`
	ReceiptURL  string    `json:"receipt_url" doc:"the signed digital-receipt page of this order"`
	CreatedAt   time.Time `json:"created_at"`
	ContentHash string    `json:"-"`
}

// Line is one line of an order.
type Line struct {
	SKU        string `json:"sku"`
	Quantity   int64  `json:"quantity"`
	UnitPrice  int64  `json:"unit_price"`
	Catalogued bool   `json:"catalogued" doc:"whether the SKU was in the catalogue when the order came in"`
}

// Submission is an order as an integrator posts it. Give the customer by
// CustomerExternalID or inline as Customer (upserted), never both.
type Submission struct {
	ExternalID         string          `json:"external_id" openapi:"required" doc:"the shop's own ID of the order (at most 100 characters)"`
	CustomerExternalID string          `json:"customer_external_id,omitempty" doc:"an existing customer's external_id; or send customer"`
	Customer           *customer.Input `json:"customer,omitempty" doc:"the customer, created or updated by external_id; or send customer_external_id"`
	OrderedAt          string          `json:"ordered_at" openapi:"required" doc:"RFC 3339; at most one day ahead of now"`
	Channel            string          `json:"channel" openapi:"required" doc:"store or online"`
	Store              string          `json:"store,omitempty" doc:"store name (at most 100 characters)"`
	Lines              []LineInput     `json:"lines" openapi:"required" doc:"1 to 200 lines"`
	Discount           int64           `json:"discount,omitempty" doc:"yen off the sum of the lines (default 0)"`
	Total              *int64          `json:"total" openapi:"required" doc:"must equal the sum of quantity × unit_price less discount"`
	Currency           string          `json:"currency,omitempty" doc:"ISO 4217 code (default JPY)"`

	orderedAt time.Time // set by Validate
	hash      string    // set by Validate
}

// LineInput is one line of a Submission.
type LineInput struct {
	SKU       string `json:"sku" openapi:"required"`
	Quantity  int64  `json:"quantity" openapi:"required" doc:"1 or more"`
	UnitPrice int64  `json:"unit_price" doc:"yen, 0 or more"`
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate checks s against the clock's now and normalises it in place
// (trimmed text, upper-case currency defaulting to JPY, the inline customer
// normalised by its own rules). Problems are reported by JSON field name,
// the inline customer's under "customer.".
func (s *Submission) Validate(now time.Time) error {
	var f errs.Fields
	s.ExternalID = strings.TrimSpace(s.ExternalID)
	switch {
	case s.ExternalID == "":
		f.Add("external_id", "required")
	case utf8.RuneCountInString(s.ExternalID) > maxExternalID:
		f.Add("external_id", "at most 100 characters")
	case !printable(s.ExternalID):
		f.Add("external_id", "must not contain control characters")
	}

	s.CustomerExternalID = strings.TrimSpace(s.CustomerExternalID)
	switch {
	case s.CustomerExternalID != "" && s.Customer != nil:
		f.Add("customer_external_id", "give customer_external_id or customer, not both")
	case s.CustomerExternalID == "" && s.Customer == nil:
		f.Add("customer_external_id", "required: give customer_external_id or an inline customer object")
	case s.Customer != nil:
		var ce *errs.Error
		if err := s.Customer.Validate(); errors.As(err, &ce) {
			f.Merge("customer.", ce.Fields)
		} else if err != nil {
			f.Add("customer", "invalid")
		}
	case utf8.RuneCountInString(s.CustomerExternalID) > maxExternalID || !printable(s.CustomerExternalID):
		f.Add("customer_external_id", "at most 100 characters, no control characters")
	}

	s.OrderedAt = strings.TrimSpace(s.OrderedAt)
	if s.OrderedAt == "" {
		f.Add("ordered_at", "required: an RFC 3339 time such as 2026-11-23T10:00:00+09:00")
	} else if t, err := time.Parse(time.RFC3339Nano, s.OrderedAt); err != nil {
		f.Add("ordered_at", "an RFC 3339 time such as 2026-11-23T10:00:00+09:00")
	} else if t = t.UTC().Truncate(time.Microsecond); t.After(now.Add(maxFuture)) {
		f.Add("ordered_at", "more than one day in the future")
	} else if t.Year() < 1970 {
		f.Add("ordered_at", "before 1970")
	} else {
		s.orderedAt = t
	}

	s.Channel = strings.TrimSpace(s.Channel)
	if s.Channel != ChannelStore && s.Channel != ChannelOnline {
		f.Add("channel", "store or online")
	}
	s.Store = strings.TrimSpace(s.Store)
	if utf8.RuneCountInString(s.Store) > maxStore || !printable(s.Store) {
		f.Add("store", "at most 100 characters, no control characters")
	}

	var sum int64
	sumOK := true
	switch {
	case len(s.Lines) == 0:
		f.Add("lines", "at least one line")
		sumOK = false
	case len(s.Lines) > MaxLines:
		f.Add("lines", fmt.Sprintf("at most %d lines", MaxLines))
		sumOK = false
	}
	for i := range s.Lines {
		if i >= MaxLines {
			break
		}
		l := &s.Lines[i]
		l.SKU = strings.TrimSpace(l.SKU)
		p := func(field string) string { return "lines." + strconv.Itoa(i) + "." + field } // only on error: 1000s of lines per batch
		if !product.ValidSKU(l.SKU) {
			f.Add(p("sku"), "1 to 64 letters, digits, '-', '_' or '.'")
		}
		if l.Quantity < 1 || l.Quantity > maxQuantity {
			f.Add(p("quantity"), "a whole number from 1 to 1,000,000")
			sumOK = false
		}
		if l.UnitPrice < 0 || l.UnitPrice > maxUnitPrice {
			f.Add(p("unit_price"), "a whole number of yen from 0 to 1,000,000,000,000")
			sumOK = false
		}
		if sumOK {
			if amount := l.Quantity * l.UnitPrice; amount > maxAmount || sum+amount > maxAmount {
				f.Add("lines", "the sum of the lines is too large")
				sumOK = false
			} else {
				sum += amount
			}
		}
	}
	if s.Discount < 0 || s.Discount > maxAmount {
		f.Add("discount", "0 or more yen")
		sumOK = false
	}
	switch {
	case s.Total == nil:
		f.Add("total", "required")
	case *s.Total < 0:
		f.Add("total", "0 or more")
	case sumOK && *s.Total != sum-s.Discount:
		if s.Discount == 0 {
			f.Add("total", fmt.Sprintf("does not match the lines (their sum is %d); send discount if the difference is one", sum))
		} else {
			f.Add("total", fmt.Sprintf("must equal the sum of the lines (%d) less discount (%d) = %d", sum, s.Discount, sum-s.Discount))
		}
	}

	s.Currency = strings.ToUpper(strings.TrimSpace(s.Currency))
	if s.Currency == "" {
		s.Currency = "JPY"
	} else if !currencyRE.MatchString(s.Currency) {
		f.Add("currency", "a 3-letter ISO 4217 code such as JPY")
	}
	if err := f.Err(); err != nil {
		return err
	}
	s.hash = s.contentHash()
	return nil
}

// customerKey is the customer's identity: the external_id, however given.
func (s *Submission) customerKey() string {
	if s.Customer != nil {
		return s.Customer.ExternalID
	}
	return s.CustomerExternalID
}

// contentHash is the SHA-256 of the canonical content (see the package
// doc). Versioned, so that a later change of the canonical form can tell
// old hashes apart.
func (s *Submission) contentHash() string {
	lines := make([][3]any, len(s.Lines))
	for i, l := range s.Lines {
		lines[i] = [3]any{l.SKU, l.Quantity, l.UnitPrice}
	}
	canon := []any{"order/v1", s.ExternalID, s.customerKey(), s.orderedAt.Format(time.RFC3339Nano), s.Channel, s.Store,
		lines, s.Discount, *s.Total, s.Currency}
	b, err := json.Marshal(canon)
	if err != nil {
		panic("order: canonical content does not marshal: " + err.Error()) // only strings and integers
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// skus returns the distinct SKUs of the lines, in their first order.
func skus(lines []Line) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if !slices.Contains(out, l.SKU) {
			out = append(out, l.SKU)
		}
	}
	return out
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}
