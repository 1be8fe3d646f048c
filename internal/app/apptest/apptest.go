// Package apptest runs a whole Kizukai (app.App) behind an httptest server on
// each storage engine, with a shop and an API key, for end-to-end API tests.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app"
	"github.com/kizukai/kizukai/internal/config"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/shop"
)

// Start is where the simulated clock of every test App stands at first:
// Monday 2026-11-23 10:00 in Tokyo.
var Start = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

// Env is a running Kizukai with one shop.
type Env struct {
	T      testing.TB
	App    *app.App
	Server *httptest.Server
	Shop   shop.Shop
	Key    string // an API key of Shop
}

// Options tune New.
type Options struct {
	RealClock bool          // default: simulated clock at Start
	Workers   []jobs.Worker // extra job workers, registered before the runner starts
}

// Each runs fn once per available engine with a fresh Env.
func Each(t *testing.T, fn func(t *testing.T, e *Env)) {
	t.Helper()
	EachWith(t, Options{}, fn)
}

// EachWith is Each with options.
func EachWith(t *testing.T, o Options, fn func(t *testing.T, e *Env)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, New(t, "sqlite:"+filepath.Join(t.TempDir(), "kizukai.db"), o))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, New(t, dbtest.PostgresSchemaURL(t), o))
	})
}

// SQLite returns an Env on a fresh SQLite database.
func SQLite(t testing.TB) *Env {
	t.Helper()
	return New(t, "sqlite:"+filepath.Join(t.TempDir(), "kizukai.db"), Options{})
}

// New starts an App on dbURL with a shop "test-shop" and an API key.
func New(t testing.TB, dbURL string, o Options) *Env {
	t.Helper()
	cfg := config.Config{Addr: "127.0.0.1:0", DB: dbURL, Clock: "simulated", SecretKey: bytes.Repeat([]byte{7}, 32),
		BaseURL: "http://kizukai.test", AllowLoopbackProviders: true} // test gateways listen on 127.0.0.1
	if o.RealClock {
		cfg.Clock = "real"
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log, app.Options{SimulatedStart: Start})
	if err != nil {
		cancel()
		t.Fatalf("app: %v", err)
	}
	a.Runner.Register(o.Workers...)
	if err := a.Start(ctx); err != nil {
		cancel()
		t.Fatalf("start: %v", err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		a.Stop()
		_ = a.Close()
	})
	s, err := a.CreateShop(ctx, shop.CreateParams{Slug: "test-shop", Name: "テスト商店"})
	if err != nil {
		t.Fatalf("shop: %v", err)
	}
	key, _, err := shop.CreateKey(ctx, a.DB, s.ID, "test", a.Clock.Now())
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	return &Env{T: t, App: a, Server: srv, Shop: s, Key: key}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Settle runs every job that is due now (journey steps, message
// evaluations, freshness sweeps) and returns when none is left, so a test
// can compare stored state without racing the background runner.
func (e *Env) Settle() {
	e.T.Helper()
	if _, err := e.App.Runner.RunDue(context.Background()); err != nil {
		e.T.Fatalf("settle: %v", err)
	}
}

// Response is a decoded API response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("response %d is not JSON: %v\n%s", r.Status, err, r.Body)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// ErrorCode returns error.code of an error response ("" when absent).
func (r Response) ErrorCode() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

// Do sends a request with the Env's API key. body may be nil, a string or
// []byte (sent as is) or any value (sent as JSON).
func (e *Env) Do(method, path string, body any) Response {
	e.T.Helper()
	return e.DoKey(e.Key, method, path, body)
}

// DoKey is Do with another API key ("" for none).
func (e *Env) DoKey(key, method, path string, body any) Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.T.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.Server.URL+path, rd)
	if err != nil {
		e.T.Fatalf("request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.T.Fatalf("read body: %v", err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// OtherShop creates a second shop with its own key, for isolation tests.
func (e *Env) OtherShop(slug string) (shop.Shop, string) {
	e.T.Helper()
	ctx := context.Background()
	s, err := e.App.CreateShop(ctx, shop.CreateParams{Slug: slug, Name: "Other " + slug})
	if err != nil {
		e.T.Fatalf("shop: %v", err)
	}
	key, _, err := shop.CreateKey(ctx, e.App.DB, s.ID, "test", e.App.Clock.Now())
	if err != nil {
		e.T.Fatalf("key: %v", err)
	}
	return s, key
}
