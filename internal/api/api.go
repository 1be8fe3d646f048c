// Package api is the REST API under /api/v1: JSON in, JSON out, bearer API
// keys that name their shop, and an OpenAPI 3.1 document built from the same
// route table that the router serves.
//
// Handlers decode, call a domain service, respond: no SQL and no business
// rules here. Every handler reads the shop from the authenticated key and
// passes its ID down, so an object of another shop is simply not found.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/ticket"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Deps are what the API handlers need.
type Deps struct {
	DB        *db.DB
	Clock     clock.Clock
	Sim       *clock.Simulated // non-nil only with --clock simulated
	Runner    Advancer         // for the simulated clock's advance
	Log       *slog.Logger
	Events    *event.Recorder
	Customers *customer.Service
	Products  *product.Service
	Orders    *order.Service
	Policies  *policy.Service
	Tickets   *ticket.Service
	Messages  *message.Service
	Journeys  *journey.Service
	Surveys   *survey.Service
	Coupons   *coupon.Service
	Delivery  *delivery.Service
	// RatePerSecond and RateBurst limit each API key (defaults 50/s, burst 100).
	RatePerSecond float64
	RateBurst     int
}

// Advancer moves the simulated clock and runs the jobs that come due
// (jobs.Runner does).
type Advancer interface {
	AdvanceTo(ctx context.Context, sim *clock.Simulated, t time.Time) error
}

// Handler serves the API.
type Handler struct {
	Deps
	a       httpx.Adapter
	limiter *httpx.Limiter
}

// New returns the API handler.
func New(d Deps) *Handler {
	if d.RatePerSecond == 0 {
		d.RatePerSecond, d.RateBurst = 50, 100
	}
	return &Handler{Deps: d, a: httpx.Adapter{Log: d.Log}, limiter: httpx.NewLimiter(d.RatePerSecond, d.RateBurst)}
}

type ctxKey int

const shopKey ctxKey = iota

// shopFrom returns the authenticated shop of the request.
func shopFrom(ctx context.Context) shop.Shop {
	s, ok := ctx.Value(shopKey).(shop.Shop)
	if !ok {
		panic("api: handler without authentication") // wiring error, caught by the route test
	}
	return s
}

// authenticate checks the bearer key, applies the per-key rate limit and
// puts the key's shop in the context.
func (h *Handler) authenticate(next httpx.HandlerFunc) httpx.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		auth := r.Header.Get("Authorization")
		key, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || key == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kizukai"`)
			return errs.New(errs.ErrUnauthorized, "missing_api_key", "send Authorization: Bearer <api key>")
		}
		s, k, err := shop.Authenticate(r.Context(), h.DB, strings.TrimSpace(key))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kizukai", error="invalid_token"`)
			return err
		}
		if !h.limiter.Allow(k.ID) {
			return errs.New(errs.ErrRateLimited, "rate_limited", "too many requests for this API key; slow down and retry")
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), shopKey, s)))
	}
}
