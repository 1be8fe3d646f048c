package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
)

// TestOpenAPIListsEveryRoute proves the OpenAPI document lists every API
// route the router serves, and nothing it does not serve.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	t.Parallel()
	e := apptest.SQLite(t)
	res := e.DoKey("", "GET", "/api/v1/openapi.json", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("openapi.json: %d %s", res.Status, res.Body)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	res.JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, p := range e.App.Mux.Patterns() {
		method, path, ok := strings.Cut(p, " ")
		if !ok || !strings.HasPrefix(path, "/api/v1/") {
			continue // non-API routes (health, metrics) and the API's catch-all 404
		}
		served[method+" "+path] = true
	}
	if len(served) < 2 {
		t.Fatalf("only %d API routes served: %v", len(served), served)
	}
	for r := range served {
		if !documented[r] {
			t.Errorf("served but not in openapi.json: %s", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("in openapi.json but not served: %s", r)
		}
	}
	// Every documented operation answers something other than the router's
	// own 404 or 405: the route really exists.
	param := regexp.MustCompile(`\{[a-z_]+\}`)
	keys := make([]string, 0, len(documented))
	for r := range documented {
		keys = append(keys, r)
	}
	sort.Strings(keys)
	for _, r := range keys {
		method, path, _ := strings.Cut(r, " ")
		res := e.Do(method, param.ReplaceAllString(path, "x"), nil)
		if res.ErrorCode() == "route_not_found" || res.Status == http.StatusMethodNotAllowed {
			t.Errorf("%s: the router does not serve it (%d %s)", r, res.Status, res.Body)
		}
	}
}

func TestAPIFoundation(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		t.Run("no key", func(t *testing.T) {
			res := e.DoKey("", "POST", "/api/v1/clock/advance", map[string]string{"by": "1h"})
			if res.Status != 401 || res.ErrorCode() != "missing_api_key" || res.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
		})
		t.Run("bad key", func(t *testing.T) {
			res := e.DoKey("kz_nope", "POST", "/api/v1/clock/advance", map[string]string{"by": "1h"})
			if res.Status != 401 || res.ErrorCode() != "invalid_api_key" {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
		})
		t.Run("unknown route", func(t *testing.T) {
			res := e.Do("GET", "/api/v1/nothing-here", nil)
			if res.Status != 404 || res.ErrorCode() != "route_not_found" {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
		})
		t.Run("request id", func(t *testing.T) {
			res := e.Do("GET", "/api/v1/openapi.json", nil)
			if !strings.HasPrefix(res.Header.Get("X-Request-Id"), "req_") {
				t.Fatalf("X-Request-Id = %q", res.Header.Get("X-Request-Id"))
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("security headers missing: %v", res.Header)
			}
		})
		t.Run("health", func(t *testing.T) {
			res := e.DoKey("", "GET", "/healthz", nil)
			if res.Status != 200 || res.Map(t)["status"] != "ok" {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
		})
		t.Run("metrics", func(t *testing.T) {
			res := e.DoKey("", "GET", "/metrics", nil)
			if res.Status != 200 || !strings.Contains(string(res.Body), "kizukai_http_requests_total") ||
				!strings.Contains(string(res.Body), "kizukai_jobs_total") {
				t.Fatalf("%d %.500s", res.Status, res.Body)
			}
		})
	})
}

func TestClockAdvanceRunsDueJobs(t *testing.T) {
	t.Parallel()
	// The worker needs the Env it runs in; the Env needs the worker before it
	// starts. A pointer set right after New closes the loop.
	type state struct {
		e     *apptest.Env
		ranAt []time.Time
		n     atomic.Int32
	}
	worker := func(st *state) jobs.Worker {
		return jobs.Func("test.chain", func(ctx context.Context, j *jobs.Job) error {
			e := st.e
			st.ranAt = append(st.ranAt, e.App.Clock.Now())
			if st.n.Add(1) < 3 {
				// Each run schedules the next 24 hours later.
				return e.App.DB.InTx(ctx, func(tx *db.Tx) error {
					_, _, err := e.App.Runner.Queue().Enqueue(ctx, tx, jobs.EnqueueParams{Kind: "test.chain", Args: struct{}{},
						RunAt: e.App.Clock.Now().Add(24 * time.Hour)})
					return err
				})
			}
			return nil
		})
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			st := &state{}
			url := "sqlite:" + t.TempDir() + "/k.db"
			if engine == "postgres" {
				url = dbtest.PostgresSchemaURL(t)
			}
			st.e = apptest.New(t, url, apptest.Options{Workers: []jobs.Worker{worker(st)}})
			testAdvance(t, st.e, &st.ranAt)
		})
	}
}

func testAdvance(t *testing.T, e *apptest.Env, ranAtp *[]time.Time) {
	ctx := context.Background()
	start := e.App.Clock.Now()
	if err := e.App.DB.InTx(ctx, func(tx *db.Tx) error {
		_, _, err := e.App.Runner.Queue().Enqueue(ctx, tx, jobs.EnqueueParams{Kind: "test.chain", Args: struct{}{}, RunAt: start.Add(time.Hour)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	res := e.Do("POST", "/api/v1/clock/advance", map[string]string{"by": "30h"})
	if res.Status != 200 {
		t.Fatalf("advance: %d %s", res.Status, res.Body)
	}
	var body struct{ Now time.Time }
	res.JSON(t, &body)
	if !body.Now.Equal(start.Add(30 * time.Hour)) {
		t.Fatalf("now = %v, want %v", body.Now, start.Add(30*time.Hour))
	}
	// The job at +1h ran at +1h; the one it scheduled at +25h ran at +25h;
	// the third, at +49h, is not due yet.
	ranAt := *ranAtp
	if len(ranAt) != 2 || !ranAt[0].Equal(start.Add(time.Hour)) || !ranAt[1].Equal(start.Add(25*time.Hour)) {
		t.Fatalf("ran at %v", ranAt)
	}
	res = e.Do("POST", "/api/v1/clock/advance", map[string]any{"to": start.Add(72 * time.Hour).Format(time.RFC3339)})
	ranAt = *ranAtp
	if res.Status != 200 || len(ranAt) != 3 || !ranAt[2].Equal(start.Add(49*time.Hour)) {
		t.Fatalf("advance to: %d %s, ran at %v", res.Status, res.Body, ranAt)
	}
	for _, bad := range []any{
		map[string]string{"by": "-1h"},
		map[string]string{"by": "soon"},
		map[string]any{},
		map[string]any{"by": "1h", "to": start.Add(100 * time.Hour).Format(time.RFC3339)},
		map[string]any{"to": start.Format(time.RFC3339)},
	} {
		if res := e.Do("POST", "/api/v1/clock/advance", bad); res.Status != 422 {
			t.Errorf("advance %v: %d %s", bad, res.Status, res.Body)
		}
	}
	if res := e.Do("POST", "/api/v1/clock/advance", `{"by":`); res.Status != 400 {
		t.Errorf("malformed: %d", res.Status)
	}
	if now := e.App.Clock.Now(); !now.Equal(start.Add(72 * time.Hour)) {
		t.Errorf("rejected requests moved the clock to %v", now)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := apptest.SQLite(t)
	big := `{"by": "` + strings.Repeat("x", 2<<20) + `"}`
	res := e.Do("POST", "/api/v1/clock/advance", big)
	if res.Status != http.StatusRequestEntityTooLarge || res.ErrorCode() != "body_too_large" {
		t.Fatalf("%d %s", res.Status, res.Body)
	}
}
