// Package hooks receives what providers and mail clients send back to
// Kizukai: delivery-status callbacks of the SMS gateways
// (/hooks/sms/generic/{shop}, /hooks/sms/twilio/{shop}), LINE webhooks
// (/hooks/line/{shop}) and the email open pixel (/o/{token}).
//
// It is an edge package: it reads HTTP and hands verified, parsed input to
// internal/delivery. Every body is size-limited before it is read (the
// LINE SDK reads bodies without a limit); a signature is checked before
// anything is parsed or changed (bad or missing: 401, nothing changes);
// Twilio signatures are checked against the configured public base URL,
// never the request's Host. Bodies, phone numbers and LINE user IDs are
// never logged: errors carry codes only.
//
// {shop} is the shop's ID (as the channel settings show the webhook path)
// or its slug.
package hooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/kizukai/kizukai/internal/channel/line"
	"github.com/kizukai/kizukai/internal/channel/sms"
	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/token"
)

// Body limits.
const (
	MaxCallbackBody = 64 << 10  // SMS status callbacks
	MaxLINEBody     = 256 << 10 // LINE webhooks (several events each)
)

// Deps are what the hooks need.
type Deps struct {
	DB       *db.DB
	Clock    clock.Clock
	Log      *slog.Logger
	Delivery *delivery.Service
	Signer   *token.Signer
	// BaseURL is the public base URL Twilio was given for callbacks; its
	// signatures are checked against it.
	BaseURL string
}

// Handler serves the hooks.
type Handler struct {
	Deps
	a httpx.Adapter
}

// New returns a Handler.
func New(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	return &Handler{Deps: d, a: httpx.Adapter{Log: d.Log}}
}

// Mux is where Mount registers routes (*http.ServeMux, api.Mux).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers the hooks and the open pixel on m.
func (h *Handler) Mount(m Mux) {
	m.Handle("POST /hooks/sms/generic/{shop}", h.a.Handle(h.genericSMS))
	m.Handle("POST /hooks/sms/twilio/{shop}", h.a.Handle(h.twilioSMS))
	m.Handle("POST /hooks/line/{shop}", h.a.Handle(h.lineWebhook))
	m.Handle("GET /o/{token}", http.HandlerFunc(h.openPixel))
}

var (
	errBadSignature = errs.New(errs.ErrUnauthorized, "bad_signature", "the signature does not match the body")
	errShopNotFound = errs.NotFound("shop_not_found", "no such shop")
	errTooLarge     = errs.New(errs.ErrTooLarge, "body_too_large", "the body is too large")
)

// shopOf resolves {shop}: an ID, else a slug.
func (h *Handler) shopOf(ctx context.Context, ref string) (shop.Shop, error) {
	s, err := shop.ByID(ctx, h.DB, ref)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, errs.ErrNotFound) {
		return shop.Shop{}, err
	}
	s, err = shop.BySlug(ctx, h.DB, ref)
	if errors.Is(err, errs.ErrNotFound) {
		return shop.Shop{}, errShopNotFound
	}
	return s, err
}

// readBody reads at most limit bytes of r's body (413 past that).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, errs.Malformed("unreadable_body", "the body could not be read")
	}
	return b, nil
}

// genericSMS applies a status callback of the generic SMS gateway
// (SPEC §5): the signature first, then the body.
func (h *Handler) genericSMS(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.shopOf(r.Context(), r.PathValue("shop"))
	if err != nil {
		return err
	}
	body, err := readBody(w, r, MaxCallbackBody)
	if err != nil {
		return err
	}
	provider, key, err := h.Delivery.SMSSecrets(r.Context(), sh.ID)
	if err != nil {
		return err
	}
	if provider != delivery.ProviderGeneric || !sms.VerifyCallback([]byte(key), body, r.Header.Get(sms.SignatureHeader)) {
		return errBadSignature
	}
	cb, err := sms.ParseCallback(body)
	if err != nil {
		return err
	}
	status := message.StatusDelivered
	if cb.Status == sms.StatusFailed {
		status = message.StatusFailed
	}
	if _, err := h.Delivery.ApplyReport(r.Context(), delivery.Report{ShopID: sh.ID, MessageID: cb.ID, Status: status}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// twilioSMS applies a Twilio status callback. The signed URL is the
// configured base URL plus the request's path and query.
func (h *Handler) twilioSMS(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.shopOf(r.Context(), r.PathValue("shop"))
	if err != nil {
		return err
	}
	body, err := readBody(w, r, MaxCallbackBody)
	if err != nil {
		return err
	}
	provider, token, err := h.Delivery.SMSSecrets(r.Context(), sh.ID)
	if err != nil {
		return err
	}
	form, perr := url.ParseQuery(string(body))
	full := h.BaseURL + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		full += "?" + r.URL.RawQuery
	}
	if provider != delivery.ProviderTwilio || perr != nil || !sms.VerifyTwilioSignature(token, full, form, r.Header.Get("X-Twilio-Signature")) {
		return errBadSignature
	}
	cb, err := sms.ParseTwilioCallback(r.URL.Query(), form)
	if err != nil {
		return err
	}
	var status string
	switch cb.Outcome() {
	case sms.StatusDelivered:
		status = message.StatusDelivered
	case sms.StatusFailed:
		status = message.StatusFailed
	}
	if status != "" {
		if _, err := h.Delivery.ApplyReport(r.Context(), delivery.Report{ShopID: sh.ID, MessageID: cb.ID, Status: status}); err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lineWebhook applies a LINE webhook: follow/unfollow to consent, text
// messages to tickets, each event once.
func (h *Handler) lineWebhook(w http.ResponseWriter, r *http.Request) error {
	sh, err := h.shopOf(r.Context(), r.PathValue("shop"))
	if err != nil {
		return err
	}
	secret, err := h.Delivery.LineSecret(r.Context(), sh.ID)
	if err != nil {
		return err
	}
	events, err := line.ParseWebhook(secret, r, MaxLINEBody)
	if err != nil {
		return err
	}
	if err := h.Delivery.ApplyLineEvents(r.Context(), sh.ID, events); err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// pixel is a transparent 1×1 GIF.
var pixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// openPixel answers the open pixel of an email with a 1×1 GIF, always
// (a forged or stale token learns nothing), and records the open when the
// token is valid.
func (h *Handler) openPixel(w http.ResponseWriter, r *http.Request) {
	if c, err := h.Signer.Verify(r.PathValue("token"), token.Open, h.Clock.Now()); err == nil {
		if err := h.Delivery.Opened(r.Context(), c.ShopID, c.ObjectID); err != nil {
			h.Log.Warn("record email open", "request_id", httpx.RequestID(r.Context()), "error", err)
		}
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Cache-Control", "no-store, private")
	w.Header().Set("Content-Length", "43")
	_, _ = w.Write(pixel)
}
