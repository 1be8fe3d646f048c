package coupon

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
)

// Discount types.
const (
	DiscountAmount  = "amount"  // Value yen off
	DiscountPercent = "percent" // Value percent off
)

// Limits of a campaign's settings.
const (
	MaxName          = 100
	MaxAmount        = 1_000_000 // yen
	MaxValidDays     = 3650
	MaxPerCustomer   = 1000
	MaxTotal         = 10_000_000
	MaxReference     = 100
	CodeLength       = 12
	codeGroup        = 4
	campaignIDPrefix = "cpn"
)

// Event types recorded by this package (see the package doc).
const (
	EventIssued   = "coupon.issued"
	EventRedeemed = "coupon.redeemed"
)

// Campaign is a discount with its validity and limits.
type Campaign struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	DiscountType     string     `json:"discount_type" doc:"amount (yen off) or percent"`
	DiscountValue    int64      `json:"discount_value" doc:"yen for amount (1 to 1000000), 1 to 100 for percent"`
	ValidDays        *int       `json:"valid_days" doc:"a code expires this many days after it is issued (1 to 3650); null: at ends_at"`
	EndsAt           *time.Time `json:"ends_at" doc:"no code is issued or redeemable after this time; null: no end"`
	PerCustomerLimit int        `json:"per_customer_limit" doc:"codes one customer may get from the campaign (1 to 1000)"`
	TotalLimit       *int       `json:"total_limit" doc:"codes the campaign may issue in all (1 to 10000000); null: no limit"`
	Issued           int        `json:"issued" doc:"codes issued so far"`
	Redeemed         int        `json:"redeemed" doc:"codes redeemed so far"`
	CreatedAt        time.Time  `json:"created_at"`
}

// CampaignInput creates a campaign.
type CampaignInput struct {
	Name             string     `json:"name" openapi:"required" doc:"at most 100 characters"`
	DiscountType     string     `json:"discount_type" openapi:"required" doc:"amount (yen off) or percent"`
	DiscountValue    int64      `json:"discount_value" openapi:"required" doc:"yen for amount (1 to 1000000), 1 to 100 for percent"`
	ValidDays        *int       `json:"valid_days,omitempty" doc:"a code expires this many days after it is issued (1 to 3650); valid_days, ends_at or both are required"`
	EndsAt           *time.Time `json:"ends_at,omitempty" doc:"RFC 3339: no code is issued or redeemable after this time; must be in the future"`
	PerCustomerLimit *int       `json:"per_customer_limit,omitempty" doc:"codes one customer may get from the campaign (1 to 1000, default 1)"`
	TotalLimit       *int       `json:"total_limit,omitempty" doc:"codes the campaign may issue in all (1 to 10000000; default no limit)"`
}

// Validate checks in against now and trims it in place; problems are
// reported by JSON field name.
func (in *CampaignInput) Validate(now time.Time) error {
	var f errs.Fields
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		f.Add("name", "required")
	case !utf8.ValidString(in.Name) || utf8.RuneCountInString(in.Name) > MaxName ||
		strings.ContainsFunc(in.Name, unicode.IsControl):
		f.Add("name", "at most 100 characters, no control characters")
	}
	switch in.DiscountType {
	case DiscountAmount:
		if in.DiscountValue < 1 || in.DiscountValue > MaxAmount {
			f.Add("discount_value", "yen off: 1 to 1000000")
		}
	case DiscountPercent:
		if in.DiscountValue < 1 || in.DiscountValue > 100 {
			f.Add("discount_value", "percent off: 1 to 100")
		}
	default:
		f.Add("discount_type", "amount or percent")
	}
	if in.ValidDays == nil && in.EndsAt == nil {
		f.Add("valid_days", "give valid_days, ends_at or both: every code must expire")
	}
	if in.ValidDays != nil && (*in.ValidDays < 1 || *in.ValidDays > MaxValidDays) {
		f.Add("valid_days", "1 to 3650")
	}
	if in.EndsAt != nil {
		if !in.EndsAt.After(now) {
			f.Add("ends_at", "must be in the future")
		} else if in.EndsAt.Sub(now) > MaxValidDays*24*time.Hour {
			f.Add("ends_at", "at most 3650 days ahead")
		}
	}
	if in.PerCustomerLimit != nil && (*in.PerCustomerLimit < 1 || *in.PerCustomerLimit > MaxPerCustomer) {
		f.Add("per_customer_limit", "1 to 1000")
	}
	if in.TotalLimit != nil && (*in.TotalLimit < 1 || *in.TotalLimit > MaxTotal) {
		f.Add("total_limit", "1 to 10000000")
	}
	return f.Err()
}

// Coupon is one code issued to one customer.
type Coupon struct {
	Code       string     `json:"code" doc:"12 characters, shown grouped by 4 (ABCD-EFGH-JKLM); case, spaces and dashes are ignored on lookup"`
	CampaignID string     `json:"campaign_id"`
	CustomerID string     `json:"customer_id"`
	OrderID    string     `json:"order_id" doc:"the order whose journey issued it, or the one given at issue; empty if none"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RedeemedAt *time.Time `json:"redeemed_at"`
	Reference  string     `json:"reference" doc:"what the redeemer gave (its receipt number)"`
	CreatedAt  time.Time  `json:"created_at"`
	// DiscountType and DiscountValue are the campaign's, for showing the
	// coupon without a second read.
	DiscountType  string `json:"discount_type"`
	DiscountValue int64  `json:"discount_value"`
	CampaignName  string `json:"campaign_name"`
}

// Display is the code as people see it: groups of 4 joined by dashes.
func (c Coupon) Display() string { return Display(c.Code) }

// Status is the coupon's state at now: redeemed, expired or valid.
func (c Coupon) Status(now time.Time) string {
	switch {
	case c.RedeemedAt != nil:
		return "redeemed"
	case !c.ExpiresAt.After(now):
		return "expired"
	}
	return "valid"
}

// IssueInput issues a code of a campaign to a customer.
type IssueInput struct {
	CustomerID string `json:"customer_id" openapi:"required"`
	OrderID    string `json:"order_id,omitempty" doc:"an order of the customer, to show the coupon on its receipt"`
	// IssueKey makes an issue idempotent: a second issue with the same key
	// answers the first code (journeys use "run:<run>:<step>").
	IssueKey string `json:"-"`
}

// RedeemInput is what the redeemer may say about a redemption.
type RedeemInput struct {
	Reference string `json:"reference,omitempty" doc:"the POS or online store's receipt or order number (at most 100 characters)"`
}

// Validate checks in and trims it in place.
func (in *RedeemInput) Validate() error {
	in.Reference = strings.TrimSpace(in.Reference)
	if !utf8.ValidString(in.Reference) || utf8.RuneCountInString(in.Reference) > MaxReference ||
		strings.ContainsFunc(in.Reference, unicode.IsControl) {
		return errs.Invalid("reference", "at most 100 characters, no control characters")
	}
	return nil
}

// alphabet is 32 upper-case letters and digits without look-alikes (no 0,
// O, 1, I): every character carries 5 bits.
const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewCode returns a fresh random code of CodeLength characters, drawn from
// crypto/rand (id.Secret).
func NewCode() string {
	b := id.Secret(CodeLength)
	out := make([]byte, CodeLength)
	for i, v := range b {
		out[i] = alphabet[v&31] // 256 is a multiple of 32: no bias
	}
	return string(out)
}

// NormalizeCode turns what a person typed into a stored code: full-width
// letters and digits made ASCII, upper case, without spaces and dashes. ok is false when it cannot be a code (then
// it is not found, without a query).
func NormalizeCode(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\u3000', 'ー', '−', '－':
			return -1
		}
		if r >= '！' && r <= '～' { // full-width ASCII (U+FF01..U+FF5E)
			r -= 0xFEE0
		}
		return unicode.ToUpper(r)
	}, s)
	if len(s) != CodeLength {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(alphabet, rune(s[i])) {
			return "", false
		}
	}
	return s, true
}

// Display groups a code by 4 with dashes: ABCD-EFGH-JKLM.
func Display(code string) string {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		if i > 0 && i%codeGroup == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(code[i])
	}
	return b.String()
}

// ValidCampaignID reports whether s looks like a campaign ID.
func ValidCampaignID(s string) bool { return id.HasPrefix(s, campaignIDPrefix) }

// EventData is the data of coupon.issued and coupon.redeemed.
type EventData struct {
	Code       string    `json:"code"`
	CampaignID string    `json:"campaign_id"`
	OrderID    string    `json:"order_id,omitempty"`
	ExpiresAt  time.Time `json:"expires_at"`
	Reference  string    `json:"reference,omitempty"`
}
