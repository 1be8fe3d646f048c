package pages

import (
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/token"
)

func notFound() error { return errs.NotFound("page_not_found", "not found") }

// notFoundIf turns any not-found error into the pages' one not-found.
func notFoundIf(err error) error {
	if errors.Is(err, errs.ErrNotFound) {
		return notFound()
	}
	return err
}

// SurveyDueAfter is how long after the order the receipt invites the
// survey prominently (SPEC §1.3: a satisfaction check once the product has
// been used; before that the receipt shows a quieter link).
const SurveyDueAfter = 7 * 24 * time.Hour

type receiptView struct {
	page
	Order     order.Order
	OrderedAt time.Time
	Lines     []receiptLine
	Subtotal  int64
	CareText  string
	Products  []productCard
	SurveyURL string
	SurveyDue bool
	Answered  bool
	Contact   contactWays
	PrefsURL  string
	IsOnline  bool
	Coupons   []receiptCoupon
}

// receiptCoupon is a coupon issued with the order, as the receipt shows it.
type receiptCoupon struct {
	Code     string // grouped: ABCD-EFGH-JKLM
	Discount string // in words: ¥500引き, 10% off
	Status   string // valid, redeemed or expired
	When     string // valid until, used on or expired on, in words
}

type receiptLine struct {
	Name      string
	SKU       string
	Quantity  int64
	UnitPrice int64
	Amount    int64
}

type productCard struct {
	Name, Goal, Guide string
}

// contactWays is every way to reach the shop.
type contactWays struct {
	L                                       Lang
	FormURL, Email, Phone, LineURL, Address string
	PhoneURI                                template.URL // tel: with digits only, so safe
}

func (h *Handler) waysOf(sh shop.Shop, l Lang, receiptToken string) contactWays {
	c := contactWays{L: l, Email: sh.ContactEmail, Phone: sh.ContactPhone, LineURL: sh.LineURL, Address: sh.PostalAddress}
	if sh.ContactPhone != "" {
		c.PhoneURI = template.URL("tel:" + phoneURI(sh.ContactPhone)) // #nosec: digits and + only
	}
	extra := []string{}
	if receiptToken != "" {
		extra = append(extra, "r", receiptToken)
	}
	c.FormURL = withLang("/contact/"+sh.Slug, l, extra...)
	return c
}

// phoneURI keeps the digits and a leading + of a phone number.
func phoneURI(s string) string {
	out := make([]rune, 0, len(s))
	for i, r := range s {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			out = append(out, r)
		}
	}
	return string(out)
}

func (h *Handler) receipt(w http.ResponseWriter, r *http.Request) error {
	c, err := h.verify(r, token.Receipt)
	if err != nil {
		return err
	}
	ctx := r.Context()
	o, err := h.Orders.ByID(ctx, c.ShopID, c.ObjectID)
	if err != nil {
		return notFoundIf(err)
	}
	cust, err := h.Customers.ByID(ctx, c.ShopID, o.CustomerID)
	if err != nil {
		return notFoundIf(err)
	}
	sh, err := h.shop(ctx, c.ShopID)
	if err != nil {
		return err
	}
	l := chooseLang(r, cust.Locale)
	v := receiptView{page: h.newPage(r, l, sh, "receipt.title"), Order: o, OrderedAt: o.OrderedAt.In(sh.Location()),
		IsOnline: o.Channel == order.ChannelOnline}
	skus := make([]string, 0, len(o.Lines))
	for _, ln := range o.Lines {
		skus = append(skus, ln.SKU)
	}
	products, err := h.Products.BySKUs(ctx, h.DB, sh.ID, skus)
	if err != nil {
		return err
	}
	for _, ln := range o.Lines {
		rl := receiptLine{Name: ln.SKU, SKU: ln.SKU, Quantity: ln.Quantity, UnitPrice: ln.UnitPrice, Amount: ln.Quantity * ln.UnitPrice}
		if p, ok := products[ln.SKU]; ok {
			rl.Name = p.Name
			if (p.Goal != "" || p.Guide != "") && !slices.ContainsFunc(v.Products, func(c productCard) bool { return c.Name == p.Name }) {
				v.Products = append(v.Products, productCard{Name: p.Name, Goal: p.Goal, Guide: p.Guide})
			}
		}
		v.Subtotal += rl.Amount
		v.Lines = append(v.Lines, rl)
	}
	if v.CareText, err = h.careText(r, sh.ID, o); err != nil {
		return err
	}
	v.SurveyURL = withLang("/s/"+h.sign(token.Survey, sh.ID, o.ID, time.Time{}), l)
	v.SurveyDue = !h.Clock.Now().Before(o.OrderedAt.Add(SurveyDueAfter))
	if _, err := h.Surveys.ByOrder(ctx, sh.ID, survey.PostPurchase, o.ID); err == nil {
		v.Answered = true
	} else if !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	v.Contact = h.waysOf(sh, l, r.PathValue("token"))
	v.PrefsURL = withLang("/p/"+h.sign(token.Preferences, sh.ID, cust.ID, time.Time{}), l)
	if v.Coupons, err = h.receiptCoupons(r, sh, l, o.ID); err != nil {
		return err
	}
	// The lottery joins here when the lottery issue brings it.
	return h.render(w, http.StatusOK, "receipt", v)
}

// receiptCoupons are the coupons issued with the order (by its journeys,
// or through the API with its order_id), oldest first.
func (h *Handler) receiptCoupons(r *http.Request, sh shop.Shop, l Lang, orderID string) ([]receiptCoupon, error) {
	if h.Coupons == nil {
		return nil, nil
	}
	ks, err := h.Coupons.ByOrder(r.Context(), sh.ID, orderID)
	if err != nil {
		return nil, err
	}
	now, loc := h.Clock.Now(), sh.Location()
	out := make([]receiptCoupon, 0, len(ks))
	for _, k := range ks {
		c := receiptCoupon{Code: k.Display(), Status: k.Status(now)}
		if k.DiscountType == coupon.DiscountPercent {
			c.Discount = l.Tf("receipt.coupon_percent", k.DiscountValue)
		} else {
			c.Discount = l.Tf("receipt.coupon_amount", l.Yen(k.DiscountValue, "JPY"))
		}
		switch c.Status {
		case "redeemed":
			c.When = l.Tf("receipt.coupon_used", l.Date(k.RedeemedAt.In(loc)))
		case "expired":
			c.When = l.Tf("receipt.coupon_expired", l.Date(k.ExpiresAt.In(loc)))
		default:
			c.When = l.Tf("receipt.coupon_until", l.DateTime(k.ExpiresAt.In(loc)))
		}
		out = append(out, c)
	}
	return out, nil
}

// careText is the care message sent for this order: the first care
// message of the order that went out with a text (the post-purchase
// journey's thanks), else "".
func (h *Handler) careText(r *http.Request, shopID string, o order.Order) (string, error) {
	ms, _, err := h.Messages.List(r.Context(), message.ListParams{ShopID: shopID, CustomerID: o.CustomerID, Purpose: "care", Limit: 100})
	if err != nil {
		return "", err
	}
	text := ""
	for _, m := range ms { // newest first: the last match is the first sent
		if m.OrderID == o.ID && m.Body != "" && m.Channel != "postal" {
			text = m.Body
		}
	}
	return careExcerpt(text), nil
}

// isRule reports whether a line is a signature separator: three or more
// dashes or rules (-, ―, —, ─, ━, =).
func isRule(t string) bool {
	n := 0
	for _, r := range t {
		if !strings.ContainsRune("-―—─━=＝", r) {
			return false
		}
		n++
	}
	return n >= 3
}

// careExcerpt is a message body as the receipt shows it: without the
// signature (the page shows the shop's contacts) and without bare links
// (the page itself is where they lead).
func careExcerpt(body string) string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if isRule(t) {
			break
		}
		if strings.HasPrefix(t, "http://") || strings.HasPrefix(t, "https://") {
			continue
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
