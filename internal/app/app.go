// Package app wires Kizukai together: configuration → database → migrations
// → services → HTTP and workers. It holds no business logic; cmd/kizukai and
// end-to-end tests use it to get a whole, running Kizukai.
package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/kizukai/kizukai/internal/admin"
	"github.com/kizukai/kizukai/internal/api"
	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/config"
	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/hooks"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/pages"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

// App is a wired Kizukai.
type App struct {
	Config    config.Config
	Log       *slog.Logger
	DB        *db.DB
	Clock     clock.Clock
	Sim       *clock.Simulated // nil unless Config.Clock is "simulated"
	Runner    *jobs.Runner
	Events    *event.Recorder
	Signer    *token.Signer
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
	Mux       *api.Mux
	Handler   http.Handler // Mux behind the request ID, access log and security middleware
	metrics   *metrics

	borrowedDB bool // DB came from Options.DB: Close leaves it open
}

// Options tune New beyond the configuration (for tests).
type Options struct {
	// SimulatedStart is where a new simulated clock starts (default: the
	// persisted simulated time, else the real time).
	SimulatedStart time.Time
	// DB, when set, is an open database to wire over instead of opening
	// Config.DB (the demo's replay runs a second App on a simulated clock
	// over the server's database; SQLite admits one process). Close then
	// leaves it open: it is the caller's.
	DB *db.DB
}

// New opens the database, applies migrations and wires every service.
// It starts nothing: see Start.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.DB != nil {
		a := &App{Config: cfg, Log: log, DB: opts.DB, borrowedDB: true}
		if err := a.wire(ctx, opts); err != nil {
			return nil, err
		}
		return a, nil
	}
	d, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: d}
	if err := a.wire(ctx, opts); err != nil {
		_ = d.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) wire(ctx context.Context, opts Options) error {
	n, err := a.DB.Migrate(ctx, db.MigrateOptions{})
	if err != nil {
		return err
	}
	if n > 0 {
		a.Log.Info("database migrated", "db", a.DB.String(), "applied", n)
	}

	a.Clock = clock.Real{}
	if a.Config.Clock == "simulated" {
		start := opts.SimulatedStart
		if start.IsZero() {
			saved, ok, err := jobs.LoadSimulatedTime(ctx, a.DB)
			if err != nil {
				return err
			}
			start = clock.Real{}.Now()
			if ok {
				start = saved
			}
		}
		a.Sim = clock.NewSimulated(start)
		a.Clock = a.Sim
		a.Log.Warn("simulated clock: time moves only through POST /api/v1/clock/advance", "now", start.Format(time.RFC3339))
	}

	secret := a.Config.SecretKey
	if secret == nil {
		if secret, err = a.storedSecret(ctx); err != nil {
			return err
		}
	}
	if a.Signer, err = token.NewSigner(secret); err != nil {
		return err
	}

	a.Events = &event.Recorder{}
	a.Runner = jobs.NewRunner(a.DB, a.Clock, jobs.RunnerOptions{Logger: a.Log})
	a.Customers = customer.NewService(a.DB, a.Clock, a.Events)
	a.Products = product.NewService(a.DB, a.Clock)
	a.Orders = order.NewService(a.DB, a.Clock, a.Events, a.Customers, a.Signer, a.Config.BaseURL)
	a.Policies = policy.NewService(a.DB, a.Clock)
	a.Tickets = ticket.NewService(a.DB, a.Clock, a.Events, a.Customers, a.Policies)
	a.Messages = message.NewService(message.Deps{DB: a.DB, Clock: a.Clock, Queue: a.Runner.Queue(), Events: a.Events,
		Customers: a.Customers, Products: a.Products, Orders: a.Orders, Tickets: a.Tickets, Policies: a.Policies,
		Signer: a.Signer, BaseURL: a.Config.BaseURL})
	a.Coupons = coupon.NewService(a.DB, a.Clock, a.Events)
	a.Journeys = journey.NewService(journey.Deps{DB: a.DB, Clock: a.Clock, Queue: a.Runner.Queue(), Events: a.Events,
		Messages: a.Messages, Customers: a.Customers, Products: a.Products, Orders: a.Orders, Policies: a.Policies,
		Coupons: a.Coupons})
	a.Surveys = survey.NewService(a.DB, a.Clock, a.Events, a.Customers, a.Tickets)
	a.Delivery, err = delivery.New(delivery.Deps{DB: a.DB, Clock: a.Clock, Queue: a.Runner.Queue(), Events: a.Events,
		Customers: a.Customers, Messages: a.Messages, Tickets: a.Tickets, Policies: a.Policies, Signer: a.Signer,
		SecretKey: secret, BaseURL: a.Config.BaseURL, Log: a.Log,
		URLs: delivery.URLPolicy{AllowLoopback: a.Config.AllowLoopbackProviders}})
	if err != nil {
		return err
	}
	a.Messages.SetDeliverer(a.Delivery)
	// Job workers and event subscribers of the after-follow engine.
	a.Customers.UseQueue(a.Runner.Queue())
	a.Runner.Register(a.Messages.Workers()...)
	a.Runner.Register(a.Customers.Workers()...)
	a.Runner.Register(a.Journeys.Workers()...)
	a.Runner.Register(a.Delivery.Workers()...)
	a.Messages.SetJourneyPausedFunc(a.Journeys.IsPaused)
	a.Tickets.SetSendReplyFunc(a.Messages.PlanTicketReplyTx)
	// Order matters: freshness first, so a band change recorded while an
	// order is placed is seen by the journeys' subscriber too.
	a.Events.SubscribeBatch(a.Customers.OnOrdersPlaced)
	a.Journeys.Subscribe(a.Events)

	a.metrics = newMetrics(a.DB, a.Runner)
	a.Mux = api.NewMux()
	api.New(api.Deps{
		DB: a.DB, Clock: a.Clock, Sim: a.Sim, Runner: a.Runner, Log: a.Log, Events: a.Events,
		Customers: a.Customers, Products: a.Products, Orders: a.Orders,
		Policies: a.Policies, Tickets: a.Tickets, Messages: a.Messages, Journeys: a.Journeys, Surveys: a.Surveys,
		Coupons: a.Coupons, Delivery: a.Delivery,
	}).Mount(a.Mux)
	// Provider callbacks, the LINE webhook and the email open pixel.
	hooks.New(hooks.Deps{DB: a.DB, Clock: a.Clock, Log: a.Log, Delivery: a.Delivery, Signer: a.Signer, BaseURL: a.Config.BaseURL}).Mount(a.Mux)
	// Public pages (receipt, survey, preferences, contact ...) are mounted here.
	pages.New(pages.Deps{DB: a.DB, Clock: a.Clock, Log: a.Log, Signer: a.Signer, Events: a.Events, Customers: a.Customers, Products: a.Products, Orders: a.Orders, Tickets: a.Tickets, Messages: a.Messages, Surveys: a.Surveys, Coupons: a.Coupons}).Mount(a.Mux)
	admin.New(admin.Deps{DB: a.DB, Clock: a.Clock, Log: a.Log, BaseURL: a.Config.BaseURL, Customers: a.Customers, Products: a.Products, Orders: a.Orders, Policies: a.Policies, Tickets: a.Tickets, Messages: a.Messages, Journeys: a.Journeys, Surveys: a.Surveys,
		Events: a.Events, Delivery: a.Delivery, Signer: a.Signer, Coupons: a.Coupons}).Mount(a.Mux)
	a.Mux.HandleFunc("GET /healthz", a.healthz)
	a.Mux.Handle("GET /metrics", a.metrics.handler())
	a.Mux.HandleFunc("GET /{$}", a.index)
	a.Handler = a.middleware(a.Mux)
	return a.prepare(ctx)
}

// prepare brings stored state up to date before anything is served: stored
// freshness for customers who have none yet (after an upgrade), and the
// freshness sweep's first job.
func (a *App) prepare(ctx context.Context) error {
	ids, err := shop.IDs(ctx, a.DB)
	if err != nil {
		return err
	}
	for _, shopID := range ids {
		if err := a.DB.InTx(ctx, func(tx *db.Tx) error { return a.SetupShop(ctx, tx, shopID) }); err != nil {
			return fmt.Errorf("shop %s set-up: %w", shopID, err)
		}
	}
	n, err := a.Customers.BackfillFreshness(ctx)
	if err != nil {
		return fmt.Errorf("freshness backfill: %w", err)
	}
	if n > 0 {
		a.Log.Info("freshness computed for existing customers", "customers", n)
	}
	if err := a.Customers.EnsureSweep(ctx); err != nil {
		return fmt.Errorf("freshness sweep: %w", err)
	}
	return nil
}

// storedSecret returns the secret key kept in the database, creating it at
// first start. Several nodes starting at once agree on the first one stored.
func (a *App) storedSecret(ctx context.Context) ([]byte, error) {
	v, err := db.InsertValue(ctx, a.DB, "secret_key", hex.EncodeToString(id.Secret(32)), a.Clock.Now())
	if err != nil {
		return nil, err
	}
	return config.ParseSecretKey(v)
}

func (a *App) middleware(h http.Handler) http.Handler {
	h = httpx.AccessLog(a.Log, a.metrics.observe, h)
	h = httpx.SecurityHeaders(h)
	return httpx.WithRequestID(h)
}

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var one int
	if err := a.DB.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		_ = httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "db": "unreachable"})
		return
	}
	_ = httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "db": string(a.DB.Dialect()), "clock": a.Config.Clock})
}

func (a *App) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintf(w, "Kizukai — after-follow platform\n\nAPI:     %s/api/v1 (OpenAPI: %s/api/v1/openapi.json)\nHealth:  %s/healthz\nMetrics: %s/metrics\n",
		a.Config.BaseURL, a.Config.BaseURL, a.Config.BaseURL, a.Config.BaseURL)
}

// SetupShop installs what every shop starts with (the built-in journeys
// and their message templates). It is idempotent.
func (a *App) SetupShop(ctx context.Context, tx db.DBTX, shopID string) error {
	return a.Journeys.EnsureBuiltins(ctx, tx, shopID)
}

// CreateShop creates a shop with everything it starts with, in one
// transaction.
func (a *App) CreateShop(ctx context.Context, p shop.CreateParams) (shop.Shop, error) {
	var s shop.Shop
	err := a.DB.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if s, err = shop.Create(ctx, tx, p, a.Clock.Now()); err != nil {
			return err
		}
		return a.SetupShop(ctx, tx, s.ID)
	})
	return s, err
}

// Serve runs the workers and the HTTP server on ln until ctx is cancelled,
// then shuts down gracefully: no new requests or jobs, in-flight ones finish
// (up to 30 s), nothing is lost.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second, // clock advance over months of jobs can take a while
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("kizukai serving", "addr", ln.Addr().String(), "base_url", a.Config.BaseURL, "db", a.DB.String())

	select {
	case err := <-errc:
		a.Stop()
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	a.Stop()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Start starts the job runner, then sweeps messages a dead process left
// sending (the runner has by then taken back that process's jobs).
func (a *App) Start(ctx context.Context) error {
	if err := a.Runner.Start(ctx); err != nil {
		return err
	}
	n, err := a.Delivery.Recover(ctx)
	if err != nil {
		a.Runner.Stop()
		return fmt.Errorf("delivery recovery: %w", err)
	}
	if n > 0 {
		a.Log.Info("messages left sending were picked up again", "messages", n)
	}
	return nil
}

// Stop stops the job runner (in-flight jobs finish) and the providers'
// clients.
func (a *App) Stop() {
	a.Runner.Stop()
	a.Delivery.Close()
}

// Close releases the database (unless it was Options.DB).
func (a *App) Close() error {
	if a.borrowedDB {
		return nil
	}
	return a.DB.Close()
}
