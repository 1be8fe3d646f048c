package pages

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

// Token purposes of the contact form. They are not in package token's
// list yet; the letters are unused there (see the report to add them).
const (
	purposeForm       token.Purpose = 'f' // a contact form as served: ObjectID "contact.<unix seconds>"
	purposeContactAck token.Purpose = 'n' // the acknowledgement page: ObjectID the ticket ID
)

// Contact form limits.
const (
	FormMinAge    = 3 * time.Second // a person needs longer than this to fill the form
	FormMaxAge    = 24 * time.Hour
	contactAckTTL = 90 * 24 * time.Hour
	maxMessage    = 5000
	maxName       = 100
	maxSubject    = 100
	maxOrderRef   = 100
	honeypotField = "website"
)

// ContactKinds are the kinds a customer may choose (SPEC C7).
var ContactKinds = []string{"question", "defect", "complaint", "return", "exchange"}

type contactForm struct {
	Kind, Name, Email, Phone, Subject, Message, OrderRef string
	FormToken, ReceiptToken, Honeypot                    string
}

// parseContactForm reads and checks the contact form. needContact is false
// when the visitor came from a receipt (the order names the customer).
// Email and phone are normalised in place.
func parseContactForm(f url.Values, needContact bool) (contactForm, errs.Fields) {
	var fields errs.Fields
	get := func(name string) string {
		v, ok := single(f, name)
		if !ok {
			fields.Add(name, "invalid")
		}
		return strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
	}
	c := contactForm{Kind: get("kind"), Name: get("name"), Email: get("email"), Phone: get("phone"), Subject: get("subject"),
		Message: get("message"), OrderRef: get("order_ref"), FormToken: get("form_token"), ReceiptToken: get("r"),
		Honeypot: get(honeypotField)}
	if !slices.Contains(ContactKinds, c.Kind) {
		fields.Add("kind", "choose one")
	}
	lineField := func(name, v string, max int) {
		if utf8.RuneCountInString(v) > max || strings.ContainsFunc(v, unicode.IsControl) {
			fields.Add(name, "too long or not text")
		}
	}
	lineField("name", c.Name, maxName)
	lineField("subject", c.Subject, maxSubject)
	lineField("order_ref", c.OrderRef, maxOrderRef)
	switch {
	case c.Message == "":
		fields.Add("message", "required")
	case utf8.RuneCountInString(c.Message) > maxMessage ||
		strings.ContainsFunc(c.Message, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		fields.Add("message", "too long or not text")
	}
	if c.Email != "" {
		if e, err := customer.NormalizeEmail(c.Email); err != nil {
			fields.Add("email", "invalid")
		} else {
			c.Email = e
		}
	}
	if c.Phone != "" {
		if p, err := customer.NormalizePhone(c.Phone); err != nil {
			fields.Add("phone", "invalid")
		} else {
			c.Phone = p
		}
	}
	if needContact {
		if c.Name == "" {
			fields.Add("name", "required")
		}
		if c.Email == "" && c.Phone == "" {
			fields.Add("email", "email or phone required")
		}
	}
	return c, fields
}

// formToken signs the time a form was served.
func (h *Handler) formToken(shopID string, now time.Time) string {
	return h.sign(purposeForm, shopID, "contact."+strconv.FormatInt(now.Unix(), 10), now.Add(FormMaxAge))
}

// Form token problems.
var (
	errFormStale = errors.New("form token expired or invalid")
	errFormFast  = errors.New("form sent too fast")
)

// checkFormToken accepts a token of the shop's contact form at least
// FormMinAge and at most FormMaxAge old.
func (h *Handler) checkFormToken(tok, shopID string, now time.Time) error {
	c, err := h.Signer.Verify(tok, purposeForm, now)
	if err != nil || c.ShopID != shopID {
		return errFormStale
	}
	s, ok := strings.CutPrefix(c.ObjectID, "contact.")
	sec, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil {
		return errFormStale
	}
	age := now.Sub(time.Unix(sec, 0))
	switch {
	case age > FormMaxAge:
		return errFormStale
	case age < FormMinAge:
		return errFormFast
	}
	return nil
}

type contactView struct {
	page
	Action      string
	Form        contactForm
	Kinds       []option
	FromReceipt bool
	Errors      map[string]string
	Notice      string
	Ways        contactWays
}

type option struct {
	Value, Label string
	Selected     bool
}

func (h *Handler) contactContext(r *http.Request) (shop.Shop, contactView, string, error) {
	sh, err := shop.BySlug(r.Context(), h.DB, r.PathValue("shop"))
	if err != nil {
		return shop.Shop{}, contactView{}, "", notFoundIf(err)
	}
	// A visitor from a receipt: the order's customer writes (and their locale
	// speaks); a receipt token of another shop is ignored.
	rt := r.URL.Query().Get("r")
	customerID, locale := "", ""
	if rt != "" {
		if c, err := h.Signer.Verify(rt, token.Receipt, h.Clock.Now()); err == nil && c.ShopID == sh.ID {
			if o, err := h.Orders.ByID(r.Context(), sh.ID, c.ObjectID); err == nil {
				if cust, err := h.Customers.ByID(r.Context(), sh.ID, o.CustomerID); err == nil {
					customerID, locale = cust.ID, cust.Locale
				}
			}
		}
		if customerID == "" {
			rt = ""
		}
	}
	l := chooseLang(r, locale)
	if locale == "" && r.URL.Query().Get("lang") == "" && r.Header.Get("Accept-Language") == "" && sh.Locale == "en" {
		l = Lang{Code: "en"}
	}
	v := contactView{page: h.newPage(r, l, sh, "contact.title"), FromReceipt: customerID != "",
		Ways: h.waysOf(sh, l, "")}
	v.Ways.FormURL = ""
	extra := []string{}
	if rt != "" {
		extra = append(extra, "r", rt)
	}
	v.Action = withLang("/contact/"+sh.Slug, l, extra...)
	v.Form.ReceiptToken = rt
	return sh, v, customerID, nil
}

func (v *contactView) kinds(l Lang) {
	v.Kinds = nil
	for _, k := range ContactKinds {
		v.Kinds = append(v.Kinds, option{Value: k, Label: l.T("kind." + k), Selected: v.Form.Kind == k})
	}
}

func (h *Handler) contactForm(w http.ResponseWriter, r *http.Request) error {
	sh, v, _, err := h.contactContext(r)
	if err != nil {
		return err
	}
	v.Form.Kind = "question"
	if k := r.URL.Query().Get("kind"); slices.Contains(ContactKinds, k) {
		v.Form.Kind = k
	}
	v.Form.FormToken = h.formToken(sh.ID, h.Clock.Now())
	v.kinds(v.L)
	return h.render(w, http.StatusOK, "contact", v)
}

// clientIP is the rate limit's key: the connection's address. Behind a
// reverse proxy every visitor shares the proxy's address, so the limit then
// applies to all visitors together (still a cap on abuse).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) contactSubmit(w http.ResponseWriter, r *http.Request) error {
	if !h.limiter.Allow("contact:" + clientIP(r)) {
		return errs.New(errs.ErrRateLimited, "rate_limited", "too many contact form posts")
	}
	sh, v, customerID, err := h.contactContext(r)
	if err != nil {
		return err
	}
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	form, fields := parseContactForm(f, customerID == "")
	v.Form = form
	v.Form.ReceiptToken = r.URL.Query().Get("r")
	if form.Honeypot != "" {
		return errs.Malformed("spam", "the form was filled by a robot")
	}
	now := h.Clock.Now()
	status := http.StatusUnprocessableEntity
	switch err := h.checkFormToken(form.FormToken, sh.ID, now); {
	case errors.Is(err, errFormFast):
		v.Notice, status = v.L.T("contact.too_fast"), http.StatusTooManyRequests
	case err != nil:
		v.Notice, status = v.L.T("contact.stale"), http.StatusBadRequest
	}
	if len(fields) > 0 || v.Notice != "" {
		v.Errors = h.fieldErrors(v.L, "contact", fields)
		if v.Notice == "" || errors.Is(h.checkFormToken(form.FormToken, sh.ID, now), errFormStale) {
			v.Form.FormToken = h.formToken(sh.ID, now)
		}
		v.kinds(v.L)
		return h.render(w, status, "contact", v)
	}
	if customerID == "" {
		if customerID, err = h.contactCustomer(r, sh, form, v.L.Code); err != nil {
			return err
		}
	}
	t, err := h.Tickets.Create(r.Context(), sh.ID, ticket.CreateInput{CustomerID: customerID, Kind: form.Kind,
		Subject: contactSubject(form), Body: contactBody(form)})
	if err != nil {
		return err
	}
	ack := h.sign(purposeContactAck, sh.ID, t.ID, now.Add(contactAckTTL))
	http.Redirect(w, r, withLang("/contact/"+sh.Slug+"/thanks/"+ack, v.L), http.StatusSeeOther)
	return nil
}

// contactCustomer upserts the visitor as the customer "web:<hash>" of
// their email (else phone): the same person writing twice is one
// customer, and the shop's own external IDs are never touched.
func (h *Handler) contactCustomer(r *http.Request, sh shop.Shop, f contactForm, locale string) (string, error) {
	key := "email:" + strings.ToLower(f.Email)
	if f.Email == "" {
		key = "phone:" + f.Phone
	}
	sum := sha256.Sum256([]byte(key))
	in := customer.Input{ExternalID: "web:" + hex.EncodeToString(sum[:12]), Name: &f.Name, Locale: &locale}
	if f.Email != "" {
		in.Email = &f.Email
	}
	if f.Phone != "" {
		in.Phone = &f.Phone
	}
	var id string
	err := h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		c, _, err := h.Customers.UpsertTx(r.Context(), tx, sh.ID, in)
		id = c.ID
		return err
	})
	return id, err
}

func contactSubject(f contactForm) string {
	if f.Subject != "" {
		return f.Subject
	}
	return catalogue["ja"]["contact.default_subject"] + "（" + catalogue["ja"]["kind."+f.Kind] + "）"
}

// contactBody is the ticket's text: the message, then what the visitor
// told about themselves (personal data: the ticket is erased with them).
func contactBody(f contactForm) string {
	var b strings.Builder
	b.WriteString(f.Message)
	b.WriteString("\n\n---\n")
	for _, kv := range [][2]string{{"注文番号", f.OrderRef}, {"お名前", f.Name}, {"メール", f.Email}, {"電話", f.Phone}} {
		if kv[1] != "" {
			b.WriteString(kv[0] + ": " + kv[1] + "\n")
		}
	}
	b.WriteString("（お問い合わせフォームより）\n")
	return b.String()
}

type contactThanksView struct {
	page
	Reference string
	Kind      string
	Received  time.Time
	ReplyBy   time.Time
	Ways      contactWays
}

func (h *Handler) contactThanks(w http.ResponseWriter, r *http.Request) error {
	c, err := h.verify(r, purposeContactAck)
	if err != nil {
		return err
	}
	sh, err := shop.BySlug(r.Context(), h.DB, r.PathValue("shop"))
	if err != nil || sh.ID != c.ShopID {
		return notFound()
	}
	t, err := h.Tickets.ByID(r.Context(), sh.ID, c.ObjectID)
	if err != nil {
		return notFoundIf(err)
	}
	l := chooseLang(r, "")
	v := contactThanksView{page: h.newPage(r, l, sh, "thanks.title"), Reference: t.ID, Kind: l.T("kind." + t.Kind),
		Received: t.CreatedAt.In(sh.Location()), ReplyBy: t.FirstResponseDueAt.In(sh.Location()), Ways: h.waysOf(sh, l, "")}
	return h.render(w, http.StatusOK, "contact_thanks", v)
}
