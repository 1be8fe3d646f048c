package admin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/kizukai/kizukai/internal/admin/auth"
	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

//go:embed templates static
var files embed.FS

// Deps are what the admin UI needs. The domain services are those its
// pages show; the resource pages built on this foundation use them.
type Deps struct {
	DB        *db.DB
	Clock     clock.Clock
	Log       *slog.Logger
	BaseURL   string // https:// makes cookies Secure and __Host- prefixed
	Customers *customer.Service
	Products  *product.Service
	Orders    *order.Service
	Policies  *policy.Service
	Tickets   *ticket.Service
	Messages  *message.Service
	Journeys  *journey.Service
	Surveys   *survey.Service
	Events    *event.Recorder
	Delivery  *delivery.Service
	Signer    *token.Signer
	Coupons   *coupon.Service // names the campaigns of coupon steps
	// DashboardLive is the number of customers under which the dashboard
	// is computed on every view; 0 means DashboardLiveLimit.
	DashboardLive int
}

// Handler serves the admin UI.
type Handler struct {
	Deps
	auth   *auth.Service
	pages  map[string]*template.Template
	css    []byte
	cssURL string
	cop    *http.CrossOriginProtection
	secure bool // served over HTTPS (BaseURL)

	dashMu         sync.Mutex
	dashRefreshing map[string]bool // shop → a snapshot is being computed
	dashWG         sync.WaitGroup  // the background refreshes
}

// Every templates/<name>.html but layout.html is a page, parsed with
// layout.html and the shared templates/partials/*.html. A broken template
// stops the boot (New panics: a build error).

// New returns the admin handler.
func New(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{Deps: d, auth: auth.NewService(d.DB, d.Clock), pages: map[string]*template.Template{},
		cop: http.NewCrossOriginProtection(), secure: strings.HasPrefix(d.BaseURL, "https://")}
	// One stylesheet: admin.css, then each area's file (static/*.css in
	// name order), served at a content-hashed URL.
	css, err := fs.ReadFile(files, "static/admin.css")
	if err != nil {
		panic("admin: " + err.Error())
	}
	sheets, _ := fs.Glob(files, "static/*.css")
	for _, name := range sheets {
		if name == "static/admin.css" {
			continue
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			panic("admin: " + err.Error())
		}
		css = append(append(css, '\n'), b...)
	}
	sum := sha256.Sum256(css)
	h.css, h.cssURL = css, "/admin/assets/admin-"+hex.EncodeToString(sum[:6])+".css"
	shared := []string{"templates/layout.html"}
	if partials, _ := fs.Glob(files, "templates/partials/*.html"); len(partials) > 0 {
		shared = append(shared, "templates/partials/*.html")
	}
	names, _ := fs.Glob(files, "templates/*.html")
	for _, file := range names {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "layout" {
			continue
		}
		h.pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(files, append(shared, file)...))
	}
	h.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, nil, http.StatusForbidden)
	}))
	return h
}

// Mux is where the admin UI is mounted (api.Mux and http.ServeMux fit).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers every admin route on m, behind the cross-origin check
// (CSRF: every non-GET request from another origin is refused).
func (h *Handler) Mount(m Mux) {
	for _, rt := range h.routes() {
		m.Handle(rt.method+" "+rt.path, h.cop.Handler(h.handle(rt)))
	}
	m.Handle("GET "+h.cssURL, http.HandlerFunc(h.serveCSS))
	m.Handle("GET /admin", http.RedirectHandler("/admin/", http.StatusMovedPermanently))
	m.Handle("/admin/", h.cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		v, _ := h.visitOf(w, r) // a failed lookup only costs the 404 page its navigation
		h.renderError(w, r, v, http.StatusNotFound)
	})))
}

// securityHeaders are set on every admin response: nothing from elsewhere,
// no script at all, no framing, never cached.
func securityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "+
		"frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
}

func (h *Handler) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(h.css)
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 and never half a page.
func (h *Handler) render(w http.ResponseWriter, status int, name string, view any) error {
	var b bytes.Buffer
	t, ok := h.pages[name]
	if !ok {
		return errors.New("admin: no page " + name)
	}
	if err := t.ExecuteTemplate(&b, "layout", view); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = b.WriteTo(w)
	return nil
}

// errorKeys map a status to the heading and text of its page.
var errorKeys = map[int][2]string{
	http.StatusBadRequest:            {"err.bad.title", "err.bad.text"},
	http.StatusForbidden:             {"err.forbidden.title", "err.forbidden.text"},
	http.StatusNotFound:              {"err.notfound.title", "err.notfound.text"},
	http.StatusConflict:              {"err.conflict.title", "err.conflict.text"},
	http.StatusRequestEntityTooLarge: {"err.toolarge.title", "err.toolarge.text"},
	http.StatusUnprocessableEntity:   {"err.bad.title", "err.bad.text"},
	http.StatusTooManyRequests:       {"err.ratelimited.title", "err.ratelimited.text"},
}

// messageView is a page that only says something (errors, notices).
type messageView struct {
	page
	Heading string
	Text    string
}

// renderError writes the page of status, inside the signed-in layout when
// there is a visit.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, v *visit, status int) {
	securityHeaders(w)
	keys, ok := errorKeys[status]
	if !ok {
		status, keys = http.StatusInternalServerError, [2]string{"err.internal.title", "err.internal.text"}
	}
	if v == nil {
		v = &visit{L: chooseLang(r)}
	}
	mv := messageView{page: h.newPage(r, v, keys[0], ""), Heading: v.L.T(keys[0]), Text: v.L.T(keys[1])}
	if err := h.render(w, status, "message", mv); err != nil {
		h.Log.ErrorContext(r.Context(), "admin error page failed", "request_id", httpx.RequestID(r.Context()), "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}
