package message

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/token"
)

// Vars are the values a template is rendered with, one field per name in
// Variables. Empty fields render as empty text (templates test them with
// {% if product.name != "" %}).
type Vars struct {
	CustomerName   string
	ShopName       string
	SenderName     string
	ContactEmail   string
	ContactPhone   string
	ProductName    string
	ProductGoal    string
	ProductGuide   string
	OrderTotal     string // formatted for the locale, e.g. 3,300円 or ¥3,300
	OrderDate      string // formatted for the locale in the shop's time zone
	ReceiptURL     string
	SurveyURL      string
	UnsubscribeURL string
	PreferencesURL string
}

// bindings are the Liquid bindings of v: small maps of strings only, so a
// template can reach nothing else.
func (v Vars) bindings() map[string]any {
	return map[string]any{
		"customer": map[string]any{"name": v.CustomerName},
		"shop": map[string]any{"name": v.ShopName, "sender_name": v.SenderName,
			"contact_email": v.ContactEmail, "contact_phone": v.ContactPhone},
		"product": map[string]any{"name": v.ProductName, "goal": v.ProductGoal, "guide": v.ProductGuide},
		"order":   map[string]any{"total": v.OrderTotal, "date": v.OrderDate},
		"links": map[string]any{"receipt": v.ReceiptURL, "survey": v.SurveyURL,
			"unsubscribe": v.UnsubscribeURL, "preferences": v.PreferencesURL},
	}
}

// longSample is what a template is measured with when it is saved: long
// but realistic values, so that an SMS that fits here fits in real life.
func (s *Service) longSample(shopID string) Vars {
	link := func(p token.Purpose, path string) string {
		return s.link(p, path, shopID, "ord_01jd8x3k6q0v4m7n9p2r5t8w1y")
	}
	return Vars{
		CustomerName: strings.Repeat("長", 20), ShopName: strings.Repeat("店", 30), SenderName: strings.Repeat("名", 30),
		ContactEmail: "customer-support-desk@" + strings.Repeat("s", 30) + ".example.co.jp", ContactPhone: "+81-3-1234-5678",
		ProductName: strings.Repeat("品", 60), ProductGoal: strings.Repeat("目", 100), ProductGuide: strings.Repeat("使", 2000),
		OrderTotal: "1,234,567,890円", OrderDate: "2026年12月31日",
		ReceiptURL: link(token.Receipt, "/r/"), SurveyURL: link(token.Survey, "/s/"),
		UnsubscribeURL: link(token.Unsubscribe, "/u/"), PreferencesURL: link(token.Preferences, "/p/"),
	}
}

// link returns BaseURL + path + a token for (shop, object, purpose); "" for
// an empty object.
func (s *Service) link(p token.Purpose, path, shopID, objectID string) string {
	if objectID == "" || s.Signer == nil {
		return ""
	}
	tok, err := s.Signer.Sign(token.Claims{Purpose: p, ShopID: shopID, ObjectID: objectID})
	if err != nil {
		return "" // only for IDs over 64 bytes, which Kizukai never makes
	}
	return strings.TrimRight(s.BaseURL, "/") + path + tok
}

// varsParams say whose message the Vars are for.
type varsParams struct {
	Shop         shop.Shop
	CustomerID   string
	CustomerName string
	OrderID      string // optional
	SKU          string // optional: the product; else the order's first catalogued line
	Locale       string
}

// vars gathers a message's Vars in d: shop, customer, order, product and
// the signed links.
func (s *Service) vars(ctx context.Context, d db.DBTX, p varsParams) (Vars, error) {
	sh := p.Shop
	v := Vars{
		CustomerName: p.CustomerName, ShopName: sh.Name, SenderName: sh.SenderName,
		ContactEmail: sh.ContactEmail, ContactPhone: sh.ContactPhone,
		UnsubscribeURL: s.link(token.Unsubscribe, "/u/", sh.ID, p.CustomerID),
		PreferencesURL: s.link(token.Preferences, "/p/", sh.ID, p.CustomerID),
	}
	if v.SenderName == "" {
		v.SenderName = sh.Name
	}
	sku := p.SKU
	if p.OrderID != "" {
		o, err := orderSummary(ctx, d, sh.ID, p.CustomerID, p.OrderID)
		if err != nil {
			return Vars{}, err
		}
		v.OrderTotal = formatMoney(o.Total, o.Currency, p.Locale)
		v.OrderDate = formatDate(o.OrderedAt.In(sh.Location()), p.Locale)
		v.ReceiptURL = s.link(token.Receipt, "/r/", sh.ID, o.ID)
		v.SurveyURL = s.link(token.Survey, "/s/", sh.ID, o.ID)
		if sku == "" {
			sku = o.FirstSKU
		}
	}
	if sku != "" && s.Products != nil {
		ps, err := s.Products.BySKUs(ctx, d, sh.ID, []string{sku})
		if err != nil {
			return Vars{}, err
		}
		if pr, ok := ps[sku]; ok {
			v.ProductName, v.ProductGoal, v.ProductGuide = pr.Name, pr.Goal, pr.Guide
		}
	}
	return v, nil
}

// orderRow is what a message needs of an order.
type orderRow struct {
	ID        string
	OrderedAt time.Time
	Total     int64
	Currency  string
	FirstSKU  string // of the first line whose SKU is in the catalogue ("" when none)
}

const (
	orderSummarySQL = `SELECT id, ordered_at, total, currency FROM orders WHERE shop_id = $1 AND id = $2 AND customer_id = $3`
	firstSKUSQL     = `SELECT sku FROM order_lines WHERE shop_id = $1 AND order_id = $2 AND catalogued ORDER BY line_no LIMIT 1`
)

var errOrderNotFound = errs.NotFound("order_not_found", "order not found")

// orderSummary reads the customer's order; another customer's order is not found.
func orderSummary(ctx context.Context, d db.DBTX, shopID, customerID, orderID string) (orderRow, error) {
	var o orderRow
	err := d.QueryRowContext(ctx, orderSummarySQL, shopID, orderID, customerID).Scan(&o.ID, &o.OrderedAt, &o.Total, &o.Currency)
	if err != nil {
		if isNoRows(err) {
			return orderRow{}, errOrderNotFound
		}
		return orderRow{}, fmt.Errorf("message order: %w", err)
	}
	if err := d.QueryRowContext(ctx, firstSKUSQL, shopID, orderID).Scan(&o.FirstSKU); err != nil && !isNoRows(err) {
		return orderRow{}, fmt.Errorf("message order line: %w", err)
	}
	return o, nil
}

// formatMoney formats an amount in the currency's smallest unit.
func formatMoney(amount int64, currency, locale string) string {
	n := groupDigits(amount)
	switch {
	case currency == "JPY" && locale == "en":
		return "¥" + n
	case currency == "JPY":
		return n + "円"
	}
	return n + " " + currency
}

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func formatDate(t time.Time, locale string) string {
	if locale == "en" {
		return t.Format("January 2, 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}
