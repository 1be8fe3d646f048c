package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/shop"
)

// fuzzEnv is one Kizukai on SQLite shared by every iteration of
// FuzzAPIBodies (starting one takes longer than the seeds together).
type fuzzEnv struct {
	e        *apptest.Env
	key      string
	routes   []string // "METHOD /api/v1/path" of the write routes, sorted
	customer string   // a customer of the shop, for {id}
	digest   string   // the database as of the last answer
}

func newFuzzEnv(f *testing.F) *fuzzEnv {
	f.Helper()
	e := apptest.SQLite(f)
	fe := &fuzzEnv{e: e, key: e.Key}
	for _, p := range e.App.Mux.Patterns() {
		method, path, _ := strings.Cut(p, " ")
		if (method == "POST" || method == "PUT" || method == "PATCH") && strings.HasPrefix(path, "/api/v1/") {
			fe.routes = append(fe.routes, p)
		}
	}
	sort.Strings(fe.routes)
	res := e.Do("POST", "/api/v1/orders", map[string]any{"external_id": "F-O1",
		"customer": map[string]any{"external_id": "F-C1", "name": "検証 花子"}, "ordered_at": "2026-11-22T10:00:00+09:00",
		"channel": "store", "lines": []map[string]any{{"sku": "SKU-1", "quantity": 1, "unit_price": 500}}, "total": 500})
	var o struct {
		CustomerID string `json:"customer_id"`
	}
	res.JSON(f, &o)
	fe.customer = o.CustomerID
	if res.Status != http.StatusCreated || fe.customer == "" {
		f.Fatalf("fixture order: %d %s", res.Status, res.Body)
	}
	d, err := fe.dbDigest()
	if err != nil {
		f.Fatal(err)
	}
	fe.digest = d
	return fe
}

// route returns the i-th write route (modulo their number) with its path
// parameters filled: the fixture customer, SKU-1, email, else "x".
func (fe *fuzzEnv) route(i uint) (method, url string) {
	p := fe.routes[i%uint(len(fe.routes))]
	method, path, _ := strings.Cut(p, " ")
	url = paramRE.ReplaceAllStringFunc(path, func(m string) string {
		switch m {
		case "{id}":
			if strings.HasPrefix(path, "/api/v1/customers/") {
				return fe.customer
			}
		case "{sku}":
			return "SKU-1"
		case "{channel}":
			return "email"
		}
		return "x"
	})
	return method, url
}

// do sends body through the whole HTTP stack (middleware and router). A
// rate-limited key is replaced by a fresh one of the same shop.
func (fe *fuzzEnv) do(t *testing.T, method, url string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	for {
		req := httptest.NewRequest(method, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+fe.key)
		req.Header.Set("Content-Type", "application/json")
		if strings.HasSuffix(url, "/import") {
			req.Header.Set("Content-Type", "text/csv")
		}
		rec := httptest.NewRecorder()
		fe.e.App.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusTooManyRequests {
			return rec
		}
		key, _, err := shop.CreateKey(context.Background(), fe.e.App.DB, fe.e.Shop.ID, "fuzz", fe.e.App.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		fe.key = key
	}
}

// skipTables change on every request (API key use), belong to the job
// runner's own bookkeeping, or hold derived state that background jobs
// recompute (the shop's median order gap for freshness).
var skipTables = map[string]bool{"api_keys": true, "job_nodes": true, "jobs": true, "freshness_shops": true, "goose_db_version": true, "sqlite_sequence": true}

// dbDigest hashes every row of every table, once the jobs due now have run
// (a request may start journey work in the background; with the clock
// standing still nothing else becomes due). The clock stands still in
// tests, so max(updated_at) would not show an update in place; the tables
// hold a few rows, so hashing them all is cheap.
func (fe *fuzzEnv) dbDigest() (string, error) {
	ctx := context.Background()
	if _, err := fe.e.App.Runner.RunDue(ctx); err != nil {
		return "", fmt.Errorf("run due jobs: %w", err)
	}
	d := fe.e.App.DB
	rows, err := d.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return "", err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return "", err
		}
		if !skipTables[n] {
			tables = append(tables, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", err
	}
	h := sha256.New()
	for _, tbl := range tables {
		lines, err := tableRows(ctx, d, tbl)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n%s\n", tbl, len(lines), strings.Join(lines, "\n"))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func tableRows(ctx context.Context, d interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}, table string) ([]string, error) {
	rows, err := d.QueryContext(ctx, `SELECT * FROM "`+table+`"`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%q", vals))
	}
	sort.Strings(out)
	return out, rows.Err()
}

// FuzzAPIBodies sends fuzzer-chosen bodies to the write routes (POST, PUT,
// PATCH; the route chosen by index) through the real router on SQLite. The
// answer is never a 5xx, its body is JSON (or empty for 204), and a
// rejected request (4xx) leaves every table as it was.
func FuzzAPIBodies(f *testing.F) {
	fe := newFuzzEnv(f)
	order := func(ext string, total int) string {
		return fmt.Sprintf(`{"external_id":%q,"customer_external_id":"F-C1","ordered_at":"2026-11-22T10:00:00+09:00",`+
			`"channel":"store","lines":[{"sku":"SKU-1","quantity":2,"unit_price":500}],"total":%d}`, ext, total)
	}
	seeds := map[string][]string{
		"POST /api/v1/customers": {`{"external_id":"F-C2","name":"新規","email":"a@example.com","phone":"090-1111-2222"}`,
			`{"external_id":""}`, `{"external_id":"F-C3","email":"not an email"}`, `{"external_id":"F-C4","phone":"12"}`,
			`{"external_id":"F-C5","consents":{"fax":{"granted":true,"source":"x"}}}`, `{"external_id":"F-C1","locale":"fr"}`},
		"PATCH /api/v1/customers/{id}": {`{"name":"変更"}`, `{"external_id":"OTHER"}`, `{"email":"@"}`, `{"tags":["a","a"]}`},
		"PUT /api/v1/customers/{id}/consents/{channel}": {`{"granted":true,"source":"pos_form","text":"同意します"}`,
			`{"granted":null,"source":"x"}`, `{"granted":true}`},
		"POST /api/v1/customers/import": {"external_id,name,email\nI-1,取込,i@example.com\n", "nonsense\n\"", "external_id\n"},
		"PUT /api/v1/products/{sku}":    {`{"name":"ローション","consumption_days":30}`, `{"name":""}`, `{"sku":"OTHER","name":"x"}`, `{"name":"x","price":-1}`},
		"POST /api/v1/products/import":  {"sku,name\nP-2,二番\n", "name\nx\n", "sku,name\n,\n"},
		"POST /api/v1/orders": {order("F-O2", 1000), order("F-O1", 999), order("F-O3", 1), `{"external_id":"F-O4","customer_external_id":"NOPE"}`,
			order("F-O1", 1000)},
		"POST /api/v1/orders/batch": {`{"orders":[` + order("F-B1", 1000) + `,` + order("F-B2", 5) + `]}`, `{"orders":[]}`, `{"orders":null}`},
		"POST /api/v1/events": {`{"type":"app.visit","customer_external_id":"F-C1","external_id":"ev-1","data":{"a":1}}`,
			`{"type":"order.placed"}`, `{"type":"app.x","customer_id":"cus_nope"}`, `{"type":"app.x","data":[1]}`},
		"POST /api/v1/clock/advance": {`{"by":"1h"}`, `{"by":"-1h"}`, `{"to":"2000-01-01T00:00:00Z"}`, `{}`},
	}
	generic := []string{"", "{}", "null", "[]", "{", `{"unknown":1}`, "\x00\xff", `"string"`, strings.Repeat("[", 10000)}
	for i, p := range fe.routes {
		for _, s := range append(slices.Clone(generic), seeds[p]...) {
			f.Add(uint(i), []byte(s))
		}
	}
	for p := range seeds {
		if !slices.Contains(fe.routes, p) {
			f.Errorf("FuzzAPIBodies has seeds for %s, which is not served: update them", p)
		}
	}

	f.Fuzz(func(t *testing.T, i uint, body []byte) {
		method, url := fe.route(i)
		rec := fe.do(t, method, url, body)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, url, body, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusNoContent && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s %q: %d, body not JSON: %q", method, url, body, rec.Code, rec.Body)
		}
		d, err := fe.dbDigest()
		if err != nil {
			t.Fatal(err)
		}
		if rec.Code >= 400 && d != fe.digest {
			t.Fatalf("%s %s %q was rejected (%d %s) but changed the database", method, url, body, rec.Code, rec.Body)
		}
		fe.digest = d
	})
}
