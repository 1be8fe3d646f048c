package pages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/pages/engagement"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

//go:embed templates/*.html static/*
var files embed.FS

// Deps are what the pages need.
type Deps struct {
	DB        *db.DB
	Clock     clock.Clock
	Log       *slog.Logger
	Signer    *token.Signer
	Events    *event.Recorder
	Customers *customer.Service
	Products  *product.Service
	Orders    *order.Service
	Tickets   *ticket.Service
	Messages  *message.Service
	Surveys   *survey.Service
	Coupons   *coupon.Service
	// ContactPerMinute and ContactBurst limit contact form posts per client
	// IP (defaults 10 a minute, bursts of 20: a person fixing a form posts
	// a handful of times; a robot is slowed to one post every 6 s).
	ContactPerMinute float64
	ContactBurst     int
}

// Handler serves the public pages.
type Handler struct {
	Deps
	engagement *engagement.Service
	pages      map[string]*template.Template
	cssURL     string
	css        []byte
	limiter    *httpx.Limiter
	cop        *http.CrossOriginProtection
}

// pageNames are the page templates; each is parsed with layout.html. A
// missing or broken template stops the boot (New panics: a build error).
var pageNames = []string{"receipt", "survey", "prefs", "unsubscribe", "contact", "contact_thanks", "ack", "message"}

// New returns the pages handler.
func New(d Deps) *Handler {
	if d.ContactPerMinute == 0 {
		d.ContactPerMinute, d.ContactBurst = 10, 20
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{Deps: d, engagement: engagement.NewService(d.DB, d.Clock, d.Events), pages: map[string]*template.Template{},
		limiter: httpx.NewLimiter(d.ContactPerMinute/60, d.ContactBurst), cop: http.NewCrossOriginProtection()}
	css, err := fs.ReadFile(files, "static/style.css")
	if err != nil {
		panic("pages: " + err.Error())
	}
	sum := sha256.Sum256(css)
	h.css, h.cssURL = css, "/assets/pages-"+hex.EncodeToString(sum[:6])+".css"
	for _, name := range pageNames {
		h.pages[name] = template.Must(template.New(name).ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	h.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, http.StatusForbidden)
	}))
	return h
}

// Mux is where the pages are mounted (api.Mux and http.ServeMux fit).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers every page on m.
func (h *Handler) Mount(m Mux) {
	get := func(p string, f handlerFunc) { m.Handle("GET "+p, h.handle(f)) }
	post := func(p string, f handlerFunc) { m.Handle("POST "+p, h.cop.Handler(h.handle(f))) }
	get("/r/{token}", h.receipt)
	get("/s/{token}", h.surveyForm)
	post("/s/{token}", h.surveySubmit)
	get("/p/{token}", h.prefsForm)
	post("/p/{token}", h.prefsSubmit)
	get("/u/{token}", h.unsubscribeForm)
	// RFC 8058: mail providers POST without browser headers; no CSRF check.
	m.Handle("POST /u/{token}", h.handle(h.unsubscribe))
	get("/contact/{shop}", h.contactForm)
	post("/contact/{shop}", h.contactSubmit)
	get("/contact/{shop}/thanks/{token}", h.contactThanks)
	get("/a/{token}", h.ackForm)
	post("/a/{token}", h.ackSubmit)
	get("/k/{token}", h.click)
	m.Handle("GET "+h.cssURL, http.HandlerFunc(h.serveCSS))
}

// handlerFunc is a page handler: it writes a page, or returns an error
// that handle renders as a friendly page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// securityHeaders are set on every page: no framing, no referrer (the URL
// holds a token), nothing from elsewhere, never cached.
func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
}

func (h *Handler) handle(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		if err := f(w, r); err != nil {
			status := httpx.Status(err)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				status = http.StatusRequestEntityTooLarge
			}
			if status == http.StatusInternalServerError {
				h.Log.ErrorContext(r.Context(), "page failed", "request_id", httpx.RequestID(r.Context()), "route", r.Pattern, "err", err)
			}
			h.renderError(w, r, status)
		}
	})
}

func (h *Handler) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(h.css)
}

// page is what every page's view has: language, title, the shop and the
// language switch.
type page struct {
	L         Lang
	Title     string
	CSSURL    string
	Shop      shop.Shop
	SwitchURL string // the same page in the other language
	SwitchTo  string // its label
	RequestID string
}

func (h *Handler) newPage(r *http.Request, l Lang, sh shop.Shop, titleKey string) page {
	other := "en"
	if l.Code == "en" {
		other = "ja"
	}
	u := *r.URL
	q := u.Query()
	q.Set("lang", other)
	q.Del("saved")
	u.RawQuery = q.Encode()
	return page{L: l, Title: l.T(titleKey), CSSURL: h.cssURL, Shop: sh, SwitchURL: u.RequestURI(),
		SwitchTo: catalogue[other]["lang.name"], RequestID: httpx.RequestID(r.Context())}
}

// render executes the named page into a buffer first, so a template error
// becomes a clean 500 and never half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, view any) error {
	var b bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&b, "layout", view); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = b.WriteTo(w)
	return nil
}

// messageView is a page that only says something (errors, confirmations).
type messageView struct {
	page
	Heading string
	Text    string
	Links   []link
}

type link struct {
	URL, Label string
}

// errorKeys map a status to the heading and text of its page.
var errorKeys = map[int][2]string{
	http.StatusNotFound:              {"notfound.title", "notfound.text"},
	http.StatusBadRequest:            {"bad.title", "bad.text"},
	http.StatusForbidden:             {"forbidden.title", "forbidden.text"},
	http.StatusRequestEntityTooLarge: {"toolarge.title", "toolarge.text"},
	http.StatusTooManyRequests:       {"ratelimited.title", "ratelimited.text"},
	http.StatusUnprocessableEntity:   {"bad.title", "bad.text"},
	http.StatusConflict:              {"bad.title", "bad.text"},
	http.StatusGone:                  {"notfound.title", "notfound.text"},
}

// renderError writes the friendly page of status (ja or en by ?lang= and
// the browser; the shop is unknown here on purpose: a bad token names none).
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int) {
	securityHeaders(w)
	keys, ok := errorKeys[status]
	if !ok {
		status, keys = http.StatusInternalServerError, [2]string{"error.title", "error.text"}
	}
	l := chooseLang(r, "")
	v := messageView{page: h.newPage(r, l, shop.Shop{}, keys[0]), Heading: l.T(keys[0]), Text: l.T(keys[1])}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	if err := h.render(w, status, "message", v); err != nil {
		h.Log.ErrorContext(r.Context(), "error page failed", "request_id", httpx.RequestID(r.Context()), "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

// verify checks a token of the wanted purpose at the app clock's now.
func (h *Handler) verify(r *http.Request, want token.Purpose) (token.Claims, error) {
	c, err := h.Signer.Verify(r.PathValue("token"), want, h.Clock.Now())
	if err != nil {
		return token.Claims{}, notFound()
	}
	return c, nil
}

// sign makes a token, or "" (only for IDs over 64 bytes, never made here).
func (h *Handler) sign(p token.Purpose, shopID, objectID string, expires time.Time) string {
	tok, err := h.Signer.Sign(token.Claims{Purpose: p, ShopID: shopID, ObjectID: objectID, Expires: expires})
	if err != nil {
		return ""
	}
	return tok
}

// withLang returns path?lang=code (plus extra query pairs).
func withLang(path string, l Lang, extra ...string) string {
	q := url.Values{"lang": {l.Code}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return path + "?" + q.Encode()
}

func (h *Handler) shop(ctx context.Context, shopID string) (shop.Shop, error) {
	sh, err := shop.ByID(ctx, h.DB, shopID)
	if err != nil {
		return shop.Shop{}, notFoundIf(err)
	}
	return sh, nil
}
