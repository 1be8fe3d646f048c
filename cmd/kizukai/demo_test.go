package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app"
	"github.com/kizukai/kizukai/internal/config"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/shop"
)

var (
	passwordRE = regexp.MustCompile(`Password: ([0-9a-z]{4}(?:-[0-9a-z]{4}){3})\n`)
	keyRE      = regexp.MustCompile(`API key: +(kz_[0-9a-z]+)\n`)
	orderRE    = regexp.MustCompile(`/api/v1/orders/(ord_[0-9a-z]+)'`)
)

// TestDemo runs `kizukai demo` as a newcomer would, checks what it prints,
// then checks the shop through the API and the database, and that running
// it again (or `serve --demo`) creates nothing.
func TestDemo(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dbURL := "sqlite:" + filepath.Join(t.TempDir(), "k.db")
			if engine == "postgres" {
				dbURL = dbtest.PostgresSchemaURL(t)
			}
			began := time.Now()
			code, out, errOut := kz(t, "", "demo", "--db", dbURL)
			took := time.Since(began)
			if code != 0 {
				t.Fatalf("demo: %d %s %s", code, out, errOut)
			}
			t.Logf("kizukai demo on %s took %s", engine, took.Round(time.Millisecond))
			for _, want := range []string{"きづかい堂", "http://localhost:8080/admin/login", "owner@demo.kizukai.example",
				"curl -s -H 'Authorization: Bearer kz_", "/api/v1/customers?limit=5", "receipt_url"} {
				if !strings.Contains(out, want) {
					t.Errorf("the printed block lacks %q:\n%s", want, out)
				}
			}
			password, key, orderID := match(t, passwordRE, out), match(t, keyRE, out), match(t, orderRE, out)
			if strings.Contains(errOut, password) || strings.Contains(errOut, key) {
				t.Fatal("the password or key reached the log")
			}

			// Again: nothing new, no secret printed.
			code, again, errOut := kz(t, "", "demo", "--db", dbURL)
			if code != 0 || !strings.Contains(again, "already exists") || !strings.Contains(again, "kizukai apikey create --shop demo") ||
				strings.Contains(again, password) || keyRE.MatchString(again) {
				t.Fatalf("second demo: %d %s %s", code, again, errOut)
			}

			a := openApp(t, dbURL)
			s, err := shop.BySlug(context.Background(), a.DB, "demo")
			if err != nil {
				t.Fatal(err)
			}
			checkDemoData(t, a, s.ID, key, orderID)
			before := countRows(t, a, s.ID)

			// serve --demo on a second start: the shop exists, nothing is reset.
			var sout bytes.Buffer
			c := &cli{ctx: context.Background(), log: a.Log, stdout: &sout, stderr: io.Discard}
			if err := c.ensureDemo(a); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(sout.String(), "already exists") || strings.Contains(sout.String(), password) {
				t.Fatalf("serve --demo on an existing demo printed:\n%s", sout.String())
			}
			if after := countRows(t, a, s.ID); after != before {
				t.Fatalf("a second run changed the data: %v → %v", before, after)
			}
		})
	}
}

func match(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no match for %s in:\n%s", re, s)
	}
	return m[1]
}

// openApp opens a wired Kizukai on dbURL (the demo command has closed it).
func openApp(t *testing.T, dbURL string) *app.App {
	t.Helper()
	cfg := config.Config{Addr: "127.0.0.1:0", DB: dbURL, Clock: "real"}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// get calls the API in-process with the printed key.
func get(t *testing.T, a *app.App, key, path string, v any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1"+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func checkDemoData(t *testing.T, a *app.App, shopID, key, orderID string) {
	t.Helper()
	var customers struct {
		Items []struct {
			Name      string          `json:"name"`
			Freshness json.RawMessage `json:"freshness"`
		} `json:"items"`
	}
	get(t, a, key, "/customers?limit=5", &customers)
	if len(customers.Items) != 5 || customers.Items[0].Name == "" {
		t.Fatalf("customers: %+v", customers)
	}
	var o struct {
		ID         string `json:"id"`
		ReceiptURL string `json:"receipt_url"`
		Lines      []any  `json:"lines"`
	}
	get(t, a, key, "/orders/"+orderID, &o)
	if o.ID != orderID || o.ReceiptURL == "" || len(o.Lines) == 0 {
		t.Fatalf("order %s: %+v", orderID, o)
	}
	var products struct {
		Items []struct {
			SKU             string `json:"sku"`
			Goal            string `json:"goal"`
			Guide           string `json:"guide"`
			ConsumptionDays *int   `json:"consumption_days"`
		} `json:"items"`
	}
	get(t, a, key, "/products?limit=100", &products)
	consumables := 0
	for _, p := range products.Items {
		if p.Goal == "" || p.Guide == "" {
			t.Errorf("product %s lacks goal or guide", p.SKU)
		}
		if p.ConsumptionDays != nil {
			consumables++
		}
	}
	if len(products.Items) < 18 || consumables < len(products.Items)*2/3 {
		t.Errorf("%d products, %d with consumption_days", len(products.Items), consumables)
	}

	n := countRows(t, a, shopID)
	if n.customers < 250 || n.orders < 1000 {
		t.Errorf("%d customers and %d orders; want ≥ 250 and ≥ 1,000", n.customers, n.orders)
	}
	ctx := context.Background()
	var first, last time.Time
	if err := a.DB.QueryRowContext(ctx, `SELECT ordered_at FROM orders WHERE shop_id = $1 ORDER BY ordered_at LIMIT 1`, shopID).Scan(&first); err != nil {
		t.Fatal(err)
	}
	if err := a.DB.QueryRowContext(ctx, `SELECT ordered_at FROM orders WHERE shop_id = $1 ORDER BY ordered_at DESC LIMIT 1`, shopID).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if last.Sub(first) < 300*24*time.Hour {
		t.Errorf("orders from %s to %s: want ≥ 300 days", first, last)
	}
	checkDemoMessages(t, a, shopID, last)
}

// checkDemoMessages checks the replay of the demo's recent weeks: the
// journeys sent (to the outbox) care in every week of it and a few offers,
// the policy stopped some, and no customer got an offer before two care
// messages.
func checkDemoMessages(t *testing.T, a *app.App, shopID string, lastOrder time.Time) {
	t.Helper()
	ctx := context.Background()
	rows, err := a.DB.QueryContext(ctx, `SELECT m.customer_id, m.purpose, m.status, m.sent_at, m.created_at,
		COALESCE((SELECT MIN(a.provider) FROM message_attempts a WHERE a.shop_id = m.shop_id AND a.message_id = m.id), '')
		FROM messages m WHERE m.shop_id = $1`, shopID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type msg struct {
		cust, purpose, status, provider string
		at                              time.Time // sent, else created
	}
	var ms []msg
	for rows.Next() {
		var m msg
		var sent sql.NullTime
		if err := rows.Scan(&m.cust, &m.purpose, &m.status, &sent, &m.at, &m.provider); err != nil {
			t.Fatal(err)
		}
		if sent.Valid {
			m.at = sent.Time
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(ms, func(a, b msg) int { return a.at.Compare(b.at) })
	byPurpose := map[string]int{}
	suppressed := 0
	weeks := map[int]bool{}
	care := map[string]int{} // care messages sent so far, by customer
	for _, m := range ms {
		switch m.status {
		case "sent", "delivered", "opened", "clicked":
			byPurpose[m.purpose]++
			weeks[int(lastOrder.Sub(m.at).Hours()/24/7)] = true
			if m.provider != "outbox" {
				t.Errorf("a demo message went to %q, not the outbox", m.provider)
			}
			if m.purpose == "care" {
				care[m.cust]++
			} else if m.purpose == "sales" && care[m.cust] < 2 {
				t.Errorf("customer %s got an offer at %s after %d care messages", m.cust, m.at, care[m.cust])
			}
		case "suppressed":
			suppressed++
		}
	}
	if byPurpose["care"] < 300 || byPurpose["sales"] < 20 || suppressed < 20 {
		t.Errorf("sent by purpose %v, %d suppressed: want ≥ 300 care, ≥ 20 sales, ≥ 20 suppressed", byPurpose, suppressed)
	}
	for w := range 7 {
		if !weeks[w] {
			t.Errorf("no message sent in week %d before the last order (weeks with sends: %v)", w, weeks)
		}
	}
}

type rowCounts struct{ customers, consents, orders, events, keys, users, runs, messages int }

func countRows(t *testing.T, a *app.App, shopID string) rowCounts {
	t.Helper()
	var n rowCounts
	for table, p := range map[string]*int{"customers": &n.customers, "consents": &n.consents, "orders": &n.orders,
		"events": &n.events, "api_keys": &n.keys, "staff_users": &n.users, "runs": &n.runs, "messages": &n.messages} {
		if err := a.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table+` WHERE shop_id = $1`, shopID).Scan(p); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
	}
	return n
}

func TestThousands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1720, "1,720"}, {1234567, "1,234,567"}}
	for _, tt := range tests {
		if got := thousands(tt.n); got != tt.want {
			t.Errorf("thousands(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
