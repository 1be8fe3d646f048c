package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/admin/audit"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// seededCustomers are the IDs of seedCustomers' customers by external ID.
type seededCustomers map[string]string

// seedCustomers makes, through the API, four customers of the shop and one
// of another shop:
//   - HANAKO: fresh (ordered an hour ago), tag vip, email consent granted,
//     an open ticket, thanks messages sent;
//   - JIRO: cooling (40 days ago), no consent;
//   - GORO: fresh (an hour ago), no consent, so his care messages are
//     suppressed (no_consent);
//   - SABURO: lost (200 days ago), email consent granted;
//   - SHIRO: no order, email consent withdrawn after being granted;
//   - OTHER: a customer of another shop (the "other" key).
func seedCustomers(t *testing.T, ae *apptest.Env) seededCustomers {
	t.Helper()
	if r := ae.Do("PUT", "/api/v1/products/LOTION", map[string]any{"name": "化粧水", "price": 2800, "consumption_days": 30}); r.Status/100 != 2 {
		t.Fatalf("product: %d %s", r.Status, r.Body)
	}
	email := map[string]any{"email": map[string]any{"granted": true, "source": "pos_form", "text": "メールでお知らせを受け取る"}}
	for _, o := range []struct {
		ext, name, mail, phone string
		days                   int
		consents               map[string]any
		tags                   []string
	}{
		{"HANAKO", "山田 花子", "hanako@example.jp", "090-1234-5678", 0, email, []string{"vip"}},
		{"JIRO", "佐藤 次郎", "jiro@example.jp", "", 40, nil, nil},
		{"SABURO", "鈴木 三郎", "saburo@example.jp", "", 200, email, nil},
		{"GORO", "田中 五郎", "goro@example.jp", "", 0, nil, nil},
	} {
		c := map[string]any{"external_id": o.ext, "name": o.name, "email": o.mail}
		if o.phone != "" {
			c["phone"] = o.phone
		}
		if o.consents != nil {
			c["consents"] = o.consents
		}
		if o.tags != nil {
			c["tags"] = o.tags
		}
		r := ae.Do("POST", "/api/v1/orders", map[string]any{"external_id": "R-" + o.ext,
			"ordered_at": apptest.Start.Add(-time.Duration(o.days)*24*time.Hour - time.Hour).Format(time.RFC3339), "customer": c,
			"channel": "store", "store": "渋谷店", "lines": []any{map[string]any{"sku": "LOTION", "quantity": 1, "unit_price": 2800}}, "total": 2800})
		if r.Status != http.StatusCreated {
			t.Fatalf("order %s: %d %s", o.ext, r.Status, r.Body)
		}
	}
	r := ae.Do("POST", "/api/v1/customers", map[string]any{"external_id": "SHIRO", "name": "高橋 四郎", "consents": email})
	if r.Status != http.StatusCreated {
		t.Fatalf("customer: %d %s", r.Status, r.Body)
	}
	ids := seededCustomers{}
	for _, it := range ae.Do("GET", "/api/v1/customers?limit=200", nil).Map(t)["items"].([]any) {
		m := it.(map[string]any)
		ids[m["external_id"].(string)] = m["id"].(string)
	}
	if r := ae.Do("PUT", "/api/v1/customers/"+ids["SHIRO"]+"/consents/email", map[string]any{"granted": false, "source": "unsubscribe_link"}); r.Status != http.StatusOK {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	if r := ae.Do("POST", "/api/v1/tickets", map[string]any{"customer_id": ids["HANAKO"], "kind": "question", "subject": "使い方"}); r.Status != http.StatusCreated {
		t.Fatalf("ticket: %d %s", r.Status, r.Body)
	}
	if r := ae.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "1m"}); r.Status != http.StatusOK {
		t.Fatalf("advance: %d", r.Status)
	}
	_, key := ae.OtherShop("other")
	r = ae.DoKey(key, "POST", "/api/v1/customers", map[string]any{"external_id": "OTHER", "name": "他店の顧客"})
	if r.Status != http.StatusCreated {
		t.Fatalf("other shop's customer: %d %s", r.Status, r.Body)
	}
	ids["OTHER"] = r.Map(t)["id"].(string)
	return ids
}

// customerKeyLeak finds a catalogue key of the customers pages shown as
// text (a missing translation).
var customerKeyLeak = regexp.MustCompile(`[>:]\s*(customers|band|purpose|kind|messages|problem)\.[a-z_.]+\s*<`)

func noKeys(t *testing.T, what string, r res) {
	t.Helper()
	if m := customerKeyLeak.FindString(r.Body); m != "" {
		t.Errorf("%s shows a key: %s", what, m)
	}
}

// listed reports which seeded customers a list page links to.
func listed(body string, ids seededCustomers) []string {
	var out []string
	for _, ext := range []string{"HANAKO", "JIRO", "SABURO", "SHIRO", "GORO", "OTHER"} {
		if strings.Contains(body, `href="/admin/customers/`+ids[ext]+`"`) {
			out = append(out, ext)
		}
	}
	return out
}

func TestCustomerList(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		c := e.login(t, "viewer@example.jp")
		want(t, "empty", c.get("/admin/customers"), http.StatusOK, "まだ顧客はいません。", "条件に合う顧客: 0人")
		ids := seedCustomers(t, ae)

		r := c.get("/admin/customers")
		want(t, "all", r, http.StatusOK, "山田 花子", "<code>HANAKO</code>", "hanako@example.jp", "&#43;819012345678", "vip",
			"条件に合う顧客: 5人", "（うち未購入 1人）", `<label class="field" for="f-q">`)
		noKeys(t, "all", r)
		if got := strings.Join(listed(r.Body, ids), ","); got != "HANAKO,JIRO,SABURO,SHIRO,GORO" {
			t.Errorf("all: %s", got)
		}
		for _, chip := range []string{`href="/admin/customers?band=fresh">`, `href="/admin/customers?band=cooling">`, `href="/admin/customers?band=lost">`} {
			if !strings.Contains(r.Body, chip) {
				t.Errorf("no chip %s", chip)
			}
		}

		for _, tt := range []struct {
			name, query, want string
			contains          []string
		}{
			{"name", "q=" + url.QueryEscape("花子"), "HANAKO", nil},
			{"email", "q=JIRO%40EXAMPLE", "JIRO", nil},
			{"phone as written", "q=090-1234-5678", "HANAKO", nil},
			{"external id", "q=sabu", "SABURO", nil},
			{"tag", "tag=vip", "HANAKO", nil},
			{"band fresh", "band=fresh", "HANAKO,GORO", []string{`<option value="fresh" selected>`, "条件に合う顧客: 2人"}},
			{"band cooling", "band=cooling", "JIRO", nil},
			{"band lost", "band=lost", "SABURO", []string{`aria-current="page"><span class="cu-dot band-lost"`}},
			{"email granted", "consent_channel=email&consent=granted", "HANAKO,SABURO", []string{"条件に合う顧客: 2人"}},
			{"email withdrawn", "consent_channel=email&consent=withdrawn", "SHIRO", nil},
			{"email none", "consent_channel=email&consent=none", "JIRO,GORO", nil},
			{"band and consent", "band=lost&consent_channel=email&consent=granted", "SABURO", nil},
			{"nothing", "q=nobody", "", []string{"条件に合う顧客はいません。", "条件をクリア"}},
		} {
			r := c.get("/admin/customers?" + tt.query)
			want(t, tt.name, r, http.StatusOK, tt.contains...)
			if got := strings.Join(listed(r.Body, ids), ","); got != tt.want {
				t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
			}
		}
		// The chips keep the other filters.
		want(t, "chips keep filters", c.get("/admin/customers?tag=vip"), http.StatusOK, `href="/admin/customers?band=fresh&amp;tag=vip"`)

		// Bad filters: the page again with the problem beside the filter.
		for _, tt := range []struct{ query, field string }{
			{"band=warm", "f-band-error"},
			{"consent=granted", "f-consent-channel-error"},
			{"consent_channel=email", "f-consent-error"},
			{"consent_channel=fax&consent=granted", "f-consent-channel-error"},
			{"q=" + strings.Repeat("x", 201), "f-q-error"},
		} {
			r := c.get("/admin/customers?" + tt.query)
			want(t, tt.query, r, http.StatusUnprocessableEntity, `id="`+tt.field+`"`, `aria-invalid="true"`)
			noKeys(t, tt.query, r)
			if len(listed(r.Body, ids)) > 0 {
				t.Errorf("%s: customers listed", tt.query)
			}
		}
		want(t, "bad cursor", c.get("/admin/customers?cursor=not-a-cursor!"), http.StatusBadRequest)

		// English.
		c.post("/admin/lang", url.Values{"lang": {"en"}, "next": {"/admin/customers"}})
		want(t, "english", c.get("/admin/customers?band=cooling"), http.StatusOK, "Matching customers: 1", "Cooling")
	})
}

// TestCustomerPaging: 35 customers make two pages, the second reached by
// its cursor link with the filters kept.
func TestCustomerPaging(t *testing.T) {
	t.Parallel()
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	e.user(t, staff.Viewer, "viewer@example.jp")
	c := e.login(t, "viewer@example.jp")
	for i := range 35 {
		ext := "P" + string(rune('A'+i/26)) + string(rune('A'+i%26))
		if r := ae.Do("POST", "/api/v1/customers", map[string]any{"external_id": ext, "tags": []string{"paged"}}); r.Status != http.StatusCreated {
			t.Fatalf("customer: %d %s", r.Status, r.Body)
		}
	}
	r := c.get("/admin/customers?tag=paged")
	want(t, "page 1", r, http.StatusOK, "条件に合う顧客: 35人", `rel="next"`)
	if n := strings.Count(r.Body, `<th scope="row"><a href="/admin/customers/`); n != 30 {
		t.Fatalf("page 1 shows %d", n)
	}
	i := strings.Index(r.Body, `rel="next"`)
	start := strings.LastIndex(r.Body[:i], `href="`) + len(`href="`)
	next := strings.ReplaceAll(r.Body[start:strings.Index(r.Body[start:], `"`)+start], "&amp;", "&")
	if !strings.Contains(next, "tag=paged") {
		t.Fatalf("next link drops the filter: %s", next)
	}
	r = c.get(next)
	want(t, "page 2", r, http.StatusOK, "最初のページへ")
	if n := strings.Count(r.Body, `<th scope="row"><a href="/admin/customers/`); n != 5 || strings.Contains(r.Body, `rel="next"`) {
		t.Fatalf("page 2 shows %d", n)
	}
}

func TestCustomerDetail(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		e.user(t, staff.Owner, "owner@example.jp")
		ids := seedCustomers(t, ae)
		c := e.login(t, "viewer@example.jp")

		r := c.get("/admin/customers/" + ids["HANAKO"])
		want(t, "hanako", r, http.StatusOK, "<h1>山田 花子", "hanako@example.jp", "&#43;819012345678", "vip", "日本語",
			`id="customer-band">フレッシュ`, "最終購入", "2026年11月23日", "ケア", "想定の購入間隔", "30日", `id="customer-next">2026年12月23日`,
			"ご注文 R-HANAKO", "¥2,800 · 渋谷店 · LOTION", "メッセージ", "送信済み", `href="/admin/messages/`,
			"問い合わせの受付", `href="/admin/tickets/`, "質問", "同意の変更: メール 同意あり", "取得元: pos_form",
			`id="consent-history"`, "メールでお知らせを受け取る")
		noKeys(t, "hanako", r)
		if strings.Contains(r.Body, "/export") || strings.Contains(r.Body, "/erase") {
			t.Error("a viewer is offered export or erasure")
		}
		// A suppressed message shows why, in words.
		want(t, "jiro", c.get("/admin/customers/"+ids["JIRO"]), http.StatusOK, `id="customer-band">ひんやり`, "鮮度が「ひんやり」になりました")
		want(t, "goro", c.get("/admin/customers/"+ids["GORO"]), http.StatusOK, "見送り", "理由: 同意なし", "ケア")
		want(t, "shiro", c.get("/admin/customers/"+ids["SHIRO"]), http.StatusOK, "まだ注文がないため", "撤回", "取得元: unsubscribe_link")

		// Another shop's customer, an unknown one: the 404 page.
		want(t, "other shop", c.get("/admin/customers/"+ids["OTHER"]), http.StatusNotFound, "ページが見つかりません")
		want(t, "unknown", c.get("/admin/customers/cus_nope"), http.StatusNotFound)
		want(t, "bad cursor", c.get("/admin/customers/"+ids["HANAKO"]+"?cursor=not-a-cursor!"), http.StatusBadRequest)

		// The owner sees the APPI actions; English works.
		o := e.login(t, "owner@example.jp")
		o.post("/admin/lang", url.Values{"lang": {"en"}, "next": {"/admin/"}})
		r = o.get("/admin/customers/" + ids["GORO"])
		noKeys(t, "goro en", r)
		want(t, "owner en", r, http.StatusOK, "Fresh", "Suppressed", "Reason: No consent",
			`href="/admin/customers/`+ids["GORO"]+`/export"`, `href="/admin/customers/`+ids["GORO"]+`/erase"`)
	})
}

// TestCustomerTimelinePaging: the timeline pages by its cursor.
func TestCustomerTimelinePaging(t *testing.T) {
	t.Parallel()
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	e.user(t, staff.Viewer, "viewer@example.jp")
	c := e.login(t, "viewer@example.jp")
	r := ae.Do("POST", "/api/v1/customers", map[string]any{"external_id": "MANY"})
	if r.Status != http.StatusCreated {
		t.Fatalf("customer: %d", r.Status)
	}
	cid := r.Map(t)["id"].(string)
	for i := range 35 {
		if r := ae.Do("PUT", "/api/v1/customers/"+cid+"/consents/sms", map[string]any{"granted": i%2 == 0, "source": "test"}); r.Status != http.StatusOK {
			t.Fatalf("consent: %d", r.Status)
		}
	}
	r1 := c.get("/admin/customers/" + cid)
	want(t, "page 1", r1, http.StatusOK, `rel="next"`)
	if n := strings.Count(r1.Body, `<li class="cu-ev `); n != 30 {
		t.Fatalf("timeline page 1: %d", n)
	}
	i := strings.Index(r1.Body, `rel="next"`)
	start := strings.LastIndex(r1.Body[:i], `href="`) + len(`href="`)
	next := strings.ReplaceAll(r1.Body[start:strings.Index(r1.Body[start:], `"`)+start], "&amp;", "&")
	r2 := c.get(next)
	want(t, "page 2", r2, http.StatusOK, "最新に戻る")
	if n := strings.Count(r2.Body, `<li class="cu-ev `); n != 5 {
		t.Fatalf("timeline page 2: %d", n)
	}
}

// customerAudit lists the shop's audit actions on an object, newest first.
func customerAudit(t *testing.T, ae *apptest.Env, objectID string) []string {
	t.Helper()
	es, _, err := audit.List(context.Background(), ae.App.DB, audit.ListParams{ShopID: ae.Shop.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.ObjectID == objectID {
			out = append(out, e.Action)
		}
	}
	return out
}

func TestCustomerExportAndErase(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		for _, role := range []staff.Role{staff.Marketer, staff.Support, staff.Viewer} {
			e.user(t, role, string(role)+"@example.jp")
		}
		ids := seedCustomers(t, ae)
		cid := ids["HANAKO"]

		// Only the owner may export or erase.
		for _, role := range []staff.Role{staff.Marketer, staff.Support, staff.Viewer} {
			c := e.login(t, string(role)+"@example.jp")
			want(t, string(role)+" export", c.get("/admin/customers/"+cid+"/export"), http.StatusForbidden, "この操作の権限がありません")
			want(t, string(role)+" erase form", c.get("/admin/customers/"+cid+"/erase"), http.StatusForbidden)
			want(t, string(role)+" erase", c.post("/admin/customers/"+cid+"/erase", url.Values{"confirm": {"HANAKO"}}), http.StatusForbidden)
		}
		if r := ae.Do("GET", "/api/v1/customers/"+cid, nil); r.Status != http.StatusOK {
			t.Fatalf("a denied erasure erased: %d", r.Status)
		}
		if got := customerAudit(t, ae, cid); len(got) != 0 {
			t.Fatalf("denied requests audited: %v", got)
		}

		o := e.login(t, "owner@example.jp")
		// Export: the API's JSON, as a download, audited.
		r := o.get("/admin/customers/" + cid + "/export")
		want(t, "export", r, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("export type %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="customer-`+cid+`.json"` {
			t.Errorf("export disposition %q", cd)
		}
		var got, api map[string]any
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatalf("export is not JSON: %v", err)
		}
		ae.Do("GET", "/api/v1/customers/"+cid+"/export", nil).JSON(t, &api)
		for _, k := range []string{"customer", "consent_history", "orders", "events", "tickets", "messages"} {
			a, _ := json.Marshal(api[k])
			b, _ := json.Marshal(got[k])
			if string(a) != string(b) {
				t.Errorf("export %s differs from the API's:\n%s\n%s", k, b, a)
			}
		}
		if got["customer"].(map[string]any)["name"] != "山田 花子" {
			t.Errorf("export customer: %v", got["customer"])
		}
		want(t, "other shop export", o.get("/admin/customers/"+ids["OTHER"]+"/export"), http.StatusNotFound)

		// Erasure needs the customer ID typed.
		want(t, "erase form", o.get("/admin/customers/"+cid+"/erase"), http.StatusOK, "を入力してください", "「HANAKO」", `name="confirm"`)
		want(t, "erase unconfirmed", o.post("/admin/customers/"+cid+"/erase", url.Values{}), http.StatusUnprocessableEntity,
			`id="confirm-error"`, "削除するには顧客IDを入力してください。")
		want(t, "erase mistyped", o.post("/admin/customers/"+cid+"/erase", url.Values{"confirm": {"HANAK0"}}), http.StatusUnprocessableEntity,
			`id="confirm-error"`, "顧客IDが一致しません。", `value="HANAK0"`)
		want(t, "erase by name", o.post("/admin/customers/"+cid+"/erase", url.Values{"confirm": {"山田 花子"}}), http.StatusUnprocessableEntity)
		want(t, "erase repeated", o.post("/admin/customers/"+cid+"/erase", url.Values{"confirm": {"HANAKO", "HANAKO"}}), http.StatusBadRequest)
		if r := ae.Do("GET", "/api/v1/customers/"+cid, nil); r.Status != http.StatusOK {
			t.Fatalf("an unconfirmed erasure erased: %d", r.Status)
		}
		want(t, "other shop erase", o.post("/admin/customers/"+ids["OTHER"]+"/erase", url.Values{"confirm": {"OTHER"}}), http.StatusNotFound)
		if r := ae.Do("GET", "/api/v1/customers", nil); !strings.Contains(string(r.Body), "HANAKO") {
			t.Fatal("customer lost")
		}

		r = o.post("/admin/customers/"+cid+"/erase", url.Values{"confirm": {" HANAKO "}})
		if r.Status != http.StatusSeeOther || r.Location != "/admin/customers" {
			t.Fatalf("erase: %d %s\n%s", r.Status, r.Location, r.Body)
		}
		want(t, "after erasure", o.get("/admin/customers"), http.StatusOK, "顧客の個人データを削除しました。", "条件に合う顧客: 4人")
		if strings.Contains(o.get("/admin/customers").Body, "山田 花子") {
			t.Error("the erased customer is still listed")
		}
		if r := ae.Do("GET", "/api/v1/customers/"+cid, nil); r.Status != http.StatusNotFound {
			t.Errorf("API after erasure: %d", r.Status)
		}
		want(t, "erased page", o.get("/admin/customers/"+cid), http.StatusNotFound)
		want(t, "erase twice", o.post("/admin/customers/"+cid+"/erase", url.Values{"confirm": {"HANAKO"}}), http.StatusNotFound)
		if got := strings.Join(customerAudit(t, ae, cid), ","); got != "customer.erase,customer.export" {
			t.Errorf("audit: %s", got)
		}
		// Orders are kept (aggregates unchanged).
		if r := ae.Do("GET", "/api/v1/orders?limit=200", nil); strings.Count(string(r.Body), `"external_id":"R-`) != 4 {
			t.Errorf("orders after erasure: %s", r.Body)
		}
	})
}
