package admin_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// keyLeak finds a catalogue key shown as text (a missing translation).
var keyLeak = regexp.MustCompile(`>\s*(nav|login|dashboard|settings|users|apikeys|audit|account|totp|profile|security|role|band|purpose|status|kind|action|object|err|flash|problem)\.[a-z_.]+\s*<`)

// TestEveryPageInBothLanguages renders every page an owner can open, in
// Japanese and English, with data on the dashboard.
func TestEveryPageInBothLanguages(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		seed(t, ae)
		c := e.login(t, "owner@example.jp")
		c.post("/admin/settings/apikeys", url.Values{"name": {"POS"}})
		for _, lang := range []string{"ja", "en"} {
			if r := c.post("/admin/lang", url.Values{"lang": {lang}, "next": {"/admin/settings"}}); r.Location != "/admin/settings" {
				t.Fatalf("switch: %d %s", r.Status, r.Location)
			}
			for _, rt := range e.h.Routes() {
				if rt.Method != "GET" || len(rt.Roles) == 0 {
					continue
				}
				path := strings.ReplaceAll(rt.Path, "{$}", "")
				if strings.Contains(path, "{") {
					continue // a page of one object: its area's tests render it in both languages
				}
				r := c.get(path)
				if r.Status == http.StatusSeeOther {
					r = c.get(r.Location)
				}
				want(t, lang+" "+path, r, http.StatusOK, `<html lang="`+lang+`">`, `class="skip" href="#main"`, `<nav class="main"`)
				if m := keyLeak.FindString(r.Body); m != "" {
					t.Errorf("%s %s shows a key: %s", lang, path, m)
				}
				for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Cache-Control"} {
					if r.Header.Get(h) == "" {
						t.Errorf("%s %s lacks %s", lang, path, h)
					}
				}
			}
			for _, path := range []string{"/admin/login", "/admin/nowhere"} {
				r := e.client(t)
				r.c.Jar.SetCookies(mustURL(e.url), []*http.Cookie{{Name: "kizukai_lang", Value: lang, Path: "/"}})
				p := r.get(path)
				if !strings.Contains(p.Body, `<html lang="`+lang+`">`) || keyLeak.MatchString(p.Body) {
					t.Errorf("%s %s: %d", lang, path, p.Status)
				}
			}
		}
		want(t, "english dashboard", c.get("/admin/"), http.StatusOK, "Customers by freshness", "Messages by purpose and status", "<svg")
	})
}

// seed makes customers with orders, messages and a ticket through the API.
func seed(t *testing.T, ae *apptest.Env) {
	t.Helper()
	if r := ae.Do("PUT", "/api/v1/products/LOTION", map[string]any{"name": "化粧水", "price": 2800, "consumption_days": 30}); r.Status/100 != 2 {
		t.Fatalf("product: %d %s", r.Status, r.Body)
	}
	for i, days := range []int{2, 3, 40, 100, 200} {
		r := ae.Do("POST", "/api/v1/orders", map[string]any{
			"external_id": "R-" + string(rune('A'+i)), "ordered_at": apptest.Start.Add(-time.Duration(days) * 24 * time.Hour).Format(time.RFC3339),
			"customer": map[string]any{"external_id": "C" + string(rune('A'+i)), "name": "顧客", "email": "c" + string(rune('a'+i)) + "@example.jp",
				"consents": map[string]any{"email": map[string]any{"granted": true, "source": "pos"}}},
			"channel": "store", "lines": []any{map[string]any{"sku": "LOTION", "quantity": 1, "unit_price": 2800}}, "total": 2800,
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("order: %d %s", r.Status, r.Body)
		}
	}
	customers := ae.Do("GET", "/api/v1/customers", nil).Map(t)["items"].([]any)
	cid := customers[0].(map[string]any)["id"].(string)
	if r := ae.Do("POST", "/api/v1/tickets", map[string]any{"customer_id": cid, "kind": "defect", "subject": "割れていました"}); r.Status != http.StatusCreated {
		t.Fatalf("ticket: %d %s", r.Status, r.Body)
	}
	if r := ae.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "1m"}); r.Status != http.StatusOK {
		t.Fatalf("advance: %d", r.Status)
	}
}

func TestDashboardFigures(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		c := e.login(t, "viewer@example.jp")
		want(t, "empty", c.get("/admin/"), http.StatusOK, "まだ顧客データがありません")
		seed(t, ae)
		r := c.get("/admin/")
		want(t, "dashboard", r, http.StatusOK, "<svg", "鮮度別の顧客数", "目的・状態別のメッセージ", "不具合", "F2転換率", "週ごとの注文",
			"週ごとに送ったメッセージ", "ケア比率の推移", "満足度の推移", "ジャーニー別の配信停止率", "購入後のアフターフォロー")
		// Five customers, one open ticket of kind defect, and the thanks
		// messages of the post-purchase journey.
		for _, s := range []string{`<span class="label">顧客数</span><span class="value">5</span>`,
			`<span class="label">未対応の問い合わせ</span><span class="value">1</span>`} {
			if !strings.Contains(r.Body, s) {
				t.Errorf("dashboard lacks %s", s)
			}
		}
		// Five buyers with one order each: no repeat yet; twelve weeks in
		// the table; the thanks messages counted in the 30 days.
		if !strings.Contains(r.Body, `<span class="value" id="repeat-rate">0.0%</span><span class="sub">0 / 5 人</span>`) {
			t.Error("repeat rate of 0 of 5 buyers missing")
		}
		weeks := r.Body[strings.Index(r.Body, `id="weeks"`):]
		if n := strings.Count(weeks[:strings.Index(weeks, "</table>")], `<th scope="row">`); n != 12 {
			t.Errorf("%d weeks in the table", n)
		}
		if strings.Contains(r.Body, `<tr><th scope="row">ケア</th><td class="num">0</td><td class="num">0</td><td class="num">0</td><td class="num">0</td>`) {
			t.Error("no care messages counted")
		}
	})
}

// TestWiredInApp: the app itself serves the admin UI.
func TestWiredInApp(t *testing.T) {
	t.Parallel()
	ae := apptest.SQLite(t)
	res, err := ae.Server.Client().Get(ae.Server.URL + "/admin/login")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("app /admin/login: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}
