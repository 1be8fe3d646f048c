package product

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
)

// Field limits.
const (
	MaxRelated       = 20
	maxName          = 200
	maxCategory      = 100
	maxGoal          = 500
	maxGuide         = 20000
	maxPrice         = 1_000_000_000_000 // ¥1 trillion: far above any real price, far below int64 overflow in totals
	maxConsumptionDs = 3650
)

var skuRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidSKU reports whether s is a well-formed SKU: 1 to 64 ASCII letters,
// digits, '-', '_' or '.'.
func ValidSKU(s string) bool { return skuRE.MatchString(s) }

// Product is one item of a shop's catalogue (SPEC §7 product object).
type Product struct {
	SKU             string    `json:"sku"`
	Name            string    `json:"name"`
	Category        string    `json:"category"`
	Price           int64     `json:"price" doc:"in yen (the currency's smallest unit)"`
	Goal            string    `json:"goal" doc:"what the buyer wants to achieve, e.g. 乾燥肌をうるおす"`
	Guide           string    `json:"guide" doc:"usage help, markdown"`
	ConsumptionDays *int      `json:"consumption_days" doc:"how many days one unit lasts; null for durables"`
	RelatedSKUs     []string  `json:"related_skus"`
	UpgradeSKU      string    `json:"upgrade_sku"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Details is a product as an integrator sends it (PUT /products/{sku} and
// one CSV row). The SKU comes from the path; SKU in the body is optional and
// must then match.
type Details struct {
	SKU             string   `json:"sku,omitempty" doc:"optional; must equal the SKU in the path"`
	Name            string   `json:"name" openapi:"required" doc:"at most 200 characters"`
	Category        string   `json:"category,omitempty" doc:"at most 100 characters"`
	Price           *int64   `json:"price,omitempty" doc:"yen, 0 or more (default 0)"`
	Goal            string   `json:"goal,omitempty" doc:"what the buyer wants to achieve (at most 500 characters)"`
	Guide           string   `json:"guide,omitempty" doc:"usage help, markdown (at most 20,000 characters)"`
	ConsumptionDays *int     `json:"consumption_days,omitempty" doc:"days one unit lasts (1 to 3650); null or absent for durables"`
	RelatedSKUs     []string `json:"related_skus,omitempty" doc:"cross-sell SKUs, at most 20, not the product itself"`
	UpgradeSKU      string   `json:"upgrade_sku,omitempty" doc:"upsell SKU, not the product itself"`
}

// Validate checks d for the product sku and normalises it in place (trimmed
// text, related SKUs de-duplicated in their order). Problems are reported by
// JSON field name.
func (d *Details) Validate(sku string) error {
	var f errs.Fields
	d.SKU = strings.TrimSpace(d.SKU)
	if !ValidSKU(sku) {
		f.Add("sku", "1 to 64 letters, digits, '-', '_' or '.'")
	} else if d.SKU != "" && d.SKU != sku {
		f.Add("sku", "must equal the SKU in the path")
	}
	d.SKU = sku
	text := func(field string, p *string, limit int, multiline bool) {
		*p = strings.TrimSpace(*p)
		if n := utf8.RuneCountInString(*p); n > limit {
			f.Add(field, fmt.Sprintf("at most %d characters", limit))
		} else if !printable(*p, multiline) {
			f.Add(field, "must not contain control characters")
		}
	}
	text("name", &d.Name, maxName, false)
	if d.Name == "" {
		f.Add("name", "required")
	}
	text("category", &d.Category, maxCategory, false)
	text("goal", &d.Goal, maxGoal, true)
	text("guide", &d.Guide, maxGuide, true)
	if d.Price != nil && (*d.Price < 0 || *d.Price > maxPrice) {
		f.Add("price", "a whole number of yen from 0 to 1,000,000,000,000")
	}
	if d.ConsumptionDays != nil && (*d.ConsumptionDays < 1 || *d.ConsumptionDays > maxConsumptionDs) {
		f.Add("consumption_days", "a whole number of days from 1 to 3650, or null for durables")
	}
	related := make([]string, 0, len(d.RelatedSKUs))
	seen := map[string]bool{}
	for i, r := range d.RelatedSKUs {
		r = strings.TrimSpace(r)
		switch {
		case !ValidSKU(r):
			f.Add(fmt.Sprintf("related_skus.%d", i), "not a valid SKU")
		case r == sku:
			f.Add(fmt.Sprintf("related_skus.%d", i), "a product cannot be related to itself")
		case !seen[r]:
			seen[r] = true
			related = append(related, r)
		}
	}
	if len(related) > MaxRelated {
		f.Add("related_skus", fmt.Sprintf("at most %d SKUs", MaxRelated))
	}
	d.RelatedSKUs = related
	d.UpgradeSKU = strings.TrimSpace(d.UpgradeSKU)
	switch {
	case d.UpgradeSKU == "":
	case !ValidSKU(d.UpgradeSKU):
		f.Add("upgrade_sku", "not a valid SKU")
	case d.UpgradeSKU == sku:
		f.Add("upgrade_sku", "a product cannot be its own upgrade")
	}
	return f.Err()
}

// printable reports whether s is valid UTF-8 without control characters
// (newlines and tabs allowed when multiline).
func printable(s string, multiline bool) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			return false
		}
		return unicode.IsControl(r)
	})
}
