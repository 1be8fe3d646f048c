package admin

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/kizukai/kizukai/internal/admin/auth"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/shop"
)

// visit is one request's caller: language, session (zero when none), the
// session's shop and any set-up step due first.
type visit struct {
	L       Lang
	Session auth.Session
	Token   string // the session cookie's value
	Shop    shop.Shop
	Setup   auth.Setup
	Flash   string // a catalogue key shown once
}

func (v *visit) signedIn() bool { return v != nil && v.Session.Stage == auth.StageFull }

// Cookie names. On HTTPS the session cookie takes the __Host- prefix (the
// browser then insists on Secure, Path=/ and no Domain).
const (
	sessionCookie       = "kizukai_admin"
	secureSessionCookie = "__Host-kizukai_admin"
	langCookie          = "kizukai_lang"
	flashCookie         = "kizukai_flash"
)

func (h *Handler) sessionCookieName() string {
	if h.secure {
		return secureSessionCookie
	}
	return sessionCookie
}

// setCookie writes a cookie with the attributes every admin cookie has:
// HttpOnly, SameSite=Lax, Path=/, Secure on HTTPS.
func (h *Handler) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// setSession hands the browser a session token; a browser session cookie
// (no Max-Age): the server's timeouts decide how long it lives.
func (h *Handler) setSession(w http.ResponseWriter, tok string) {
	h.setCookie(w, h.sessionCookieName(), tok, 0)
}

func (h *Handler) clearSession(w http.ResponseWriter) { h.setCookie(w, h.sessionCookieName(), "", -1) }

// flash stores a catalogue key to show on the next page (POST-redirect-GET).
func (h *Handler) flash(w http.ResponseWriter, key string) { h.setCookie(w, flashCookie, key, 120) }

// visitOf reads the caller: language, session and flash. A database
// failure is returned; a missing or dead session is simply none.
func (h *Handler) visitOf(w http.ResponseWriter, r *http.Request) (*visit, error) {
	v := &visit{L: chooseLang(r)}
	if c, err := r.Cookie(flashCookie); err == nil {
		if strings.HasPrefix(c.Value, "flash.") && hasKey(c.Value) {
			v.Flash = c.Value
		}
		h.setCookie(w, flashCookie, "", -1)
	}
	c, err := r.Cookie(h.sessionCookieName())
	if err != nil || c.Value == "" {
		return v, nil
	}
	s, err := h.auth.Lookup(r.Context(), c.Value)
	if errors.Is(err, errs.ErrUnauthorized) {
		h.clearSession(w)
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.Session, v.Token = s, c.Value
	if s.Stage == auth.StageChoose {
		return v, nil
	}
	if v.Shop, err = shop.ByID(r.Context(), h.DB, s.ShopID); err != nil {
		return v, err
	}
	if s.Stage == auth.StageFull {
		if v.Setup, err = h.auth.SetupDue(r.Context(), s.User); err != nil {
			return v, err
		}
	}
	return v, nil
}

// handle adapts a route: security headers, the caller, the route's access
// rule, then the handler; an error becomes a page.
func (h *Handler) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		v, err := h.visitOf(w, r)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		switch {
		case rt.access&public != 0:
		case rt.access&anySession != 0:
		case rt.access&preAuth != 0:
			if v.Session.Stage != auth.StageChoose && v.Session.Stage != auth.StageTOTP {
				http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
				return
			}
		case !v.signedIn():
			next := ""
			if r.Method == http.MethodGet {
				next = "?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
			}
			http.Redirect(w, r, "/admin/login"+next, http.StatusSeeOther)
			return
		case v.Setup != auth.SetupNone && rt.access&setup == 0:
			to := "/admin/account"
			if v.Setup == auth.SetupTOTP {
				to = "/admin/account/totp"
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		case !rt.access.allows(v.Session.User.Role):
			h.Log.WarnContext(r.Context(), "admin access denied", "request_id", httpx.RequestID(r.Context()),
				"route", r.Pattern, "user_id", v.Session.User.ID, "role", string(v.Session.User.Role))
			h.renderError(w, r, v, http.StatusForbidden)
			return
		}
		if err := rt.h(w, r, v); err != nil {
			h.fail(w, r, v, err)
		}
	})
}

// fail renders the page of an error's status; unexpected ones are logged
// with the request ID (never with form contents).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	status := httpx.Status(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		status = http.StatusRequestEntityTooLarge
	}
	if status == http.StatusInternalServerError {
		h.Log.ErrorContext(r.Context(), "admin page failed", "request_id", httpx.RequestID(r.Context()), "route", r.Pattern, "err", err)
	}
	h.renderError(w, r, v, status)
}

// clientIP is the throttle's key: the connection's address. Behind a
// reverse proxy every client shares the proxy's address, so the
// per-address limit then protects the whole shop (documented in doc.go).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext returns next when it is a path inside the admin UI, else the
// dashboard: never a redirect to another site.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin/") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") &&
		!strings.HasPrefix(next, "/admin/login") {
		return next
	}
	return "/admin/"
}

// seeOther redirects after a POST.
func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
