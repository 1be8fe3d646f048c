package admin_test

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// apiMessages lists the shop's messages through the API.
func apiMessages(t *testing.T, ae *apptest.Env, query string) []map[string]any {
	t.Helper()
	r := ae.Do("GET", "/api/v1/messages?limit=200&"+query, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("messages: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	for _, it := range r.Map(t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// seedNoConsent orders for a customer who consented to nothing: the
// care messages are suppressed (no_consent).
func seedNoConsent(t *testing.T, ae *apptest.Env) {
	t.Helper()
	r := ae.Do("POST", "/api/v1/orders", map[string]any{"external_id": "R-NC", "ordered_at": apptest.Start.Add(-time.Hour).Format(time.RFC3339),
		"customer": map[string]any{"external_id": "NC", "name": "同意なし", "email": "nc@example.jp"},
		"channel":  "store", "lines": []any{map[string]any{"sku": "LOTION", "quantity": 1, "unit_price": 2800}}, "total": 2800})
	if r.Status != http.StatusCreated {
		t.Fatalf("order: %d %s", r.Status, r.Body)
	}
	if r := ae.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "1m"}); r.Status != http.StatusOK {
		t.Fatalf("advance: %d", r.Status)
	}
}

func TestMessagePages(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		e.user(t, staff.Owner, "owner@example.jp")
		c := e.login(t, "viewer@example.jp")
		want(t, "empty", c.get("/admin/messages"), http.StatusOK, "まだメッセージはありません。")
		want(t, "empty outbox", c.get("/admin/messages/outbox"), http.StatusOK, "送信トレイにメッセージはありません。")
		seed(t, ae)
		seedNoConsent(t, ae)
		sent := apiMessages(t, ae, "status=sent")
		suppressed := apiMessages(t, ae, "status=suppressed&reason=no_consent")
		if len(sent) == 0 || len(suppressed) == 0 {
			t.Fatalf("%d sent, %d suppressed", len(sent), len(suppressed))
		}
		first := sent[0]
		id := first["id"].(string)
		esc := func(s string) string { return template.HTMLEscapeString(s) }

		// Every message, with filters.
		r := c.get("/admin/messages")
		want(t, "list", r, http.StatusOK, `href="/admin/messages/`+id+`"`, "送信済み", "見送り", "同意なし", "メール", `id="f-channel"`)
		r = c.get("/admin/messages?status=suppressed&reason=no_consent")
		want(t, "suppressed", r, http.StatusOK, `href="/admin/messages/`+suppressed[0]["id"].(string)+`"`, `<option value="no_consent" selected>`)
		if strings.Contains(r.Body, `href="/admin/messages/`+id+`"`) {
			t.Error("the status filter let a sent message through")
		}
		r = c.get("/admin/messages?channel=sms")
		want(t, "sms", r, http.StatusOK, "条件に合うメッセージはありません。")
		want(t, "email", c.get("/admin/messages?channel=email&purpose="+first["purpose"].(string)), http.StatusOK, `href="/admin/messages/`+id+`"`)
		for _, q := range []string{"status=bogus", "purpose=spam", "channel=fax", "cursor=not-a-cursor!"} {
			want(t, q, c.get("/admin/messages?"+q), http.StatusBadRequest)
		}

		// The outbox: no provider yet, so every sent message, with its text.
		r = c.get("/admin/messages/outbox")
		want(t, "outbox", r, http.StatusOK, "まだ配信サービスが接続されていない", `href="/admin/messages/`+id+`"`,
			esc(first["subject"].(string)), esc(strings.SplitN(first["body"].(string), "\n", 2)[0]))
		if strings.Contains(r.Body, `href="/admin/messages/`+suppressed[0]["id"].(string)+`"`) {
			t.Error("a suppressed message is in the outbox")
		}
		if strings.Contains(r.Body, "チャネル設定で配信サービスを接続する") {
			t.Error("a viewer is sent to the owner's channel settings")
		}

		// One message: recipient, purpose, history, cause, text.
		r = c.get("/admin/messages/" + id)
		want(t, "detail", r, http.StatusOK, "送信トレイに届いたもの", "c", "@example.jp", "状態の履歴", "送信済み", "ジャーニー",
			esc(first["subject"].(string)), `<code>`+first["template_key"].(string)+`</code>`)
		r = c.get("/admin/messages/" + suppressed[0]["id"].(string))
		want(t, "suppressed detail", r, http.StatusOK, "見送り", "同意なし", "いま送るとこうなる")

		// Another shop's message is a 404; a made-up one too.
		other, otherKey := ae.OtherShop("other-shop")
		if r := ae.DoKey(otherKey, "GET", "/api/v1/messages/"+id, nil); r.Status != http.StatusNotFound {
			t.Fatalf("api other shop: %d", r.Status)
		}
		want(t, "unknown", c.get("/admin/messages/msg_nope"), http.StatusNotFound)
		ou := otherShopOwner(t, e, other.ID)
		want(t, "other shop detail", ou.get("/admin/messages/"+id), http.StatusNotFound)
		if r := ou.get("/admin/messages"); strings.Contains(r.Body, id) {
			t.Error("another shop lists this shop's message")
		}

		// With an email provider, email messages are no longer in the outbox.
		if r := ae.Do("PUT", "/api/v1/channels/email", map[string]any{"smtp_url": "smtp://127.0.0.1:2525", "from": "shop@example.jp",
			"starttls": "none"}); r.Status != http.StatusOK {
			t.Fatalf("email settings: %d %s", r.Status, r.Body)
		}
		owner := e.login(t, "owner@example.jp")
		r = owner.get("/admin/messages/outbox")
		want(t, "outbox with email", r, http.StatusOK, "配信サービスが接続されていないチャネル", `href="/admin/messages/outbox?channel=line"`,
			"チャネル設定で配信サービスを接続する")
		if strings.Contains(r.Body, `href="/admin/messages/`+id+`"`) || strings.Contains(r.Body, `?channel=email"`) {
			t.Error("email messages still in the outbox")
		}
		want(t, "outbox email", owner.get("/admin/messages/outbox?channel=email"), http.StatusNotFound)
		if strings.Contains(owner.get("/admin/messages/"+id).Body, "送信トレイに届いたもの") {
			t.Error("detail still says outbox")
		}
	})
}

// otherShopOwner signs in an owner of another shop.
func otherShopOwner(t *testing.T, e *env, shopID string) *client {
	t.Helper()
	email := "owner-" + shopID + "@example.jp"
	if _, err := staff.Create(context.Background(), e.App.DB, staff.CreateParams{ShopID: shopID, Email: email, Role: staff.Owner,
		Password: password}, e.App.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	return e.login(t, email)
}

// TestObjectPagesInBothLanguages renders a product, a message and the
// import result in Japanese and English, without a catalogue key shown.
func TestObjectPagesInBothLanguages(t *testing.T) {
	t.Parallel()
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	e.user(t, staff.Owner, "owner@example.jp")
	seed(t, ae)
	seedNoConsent(t, ae)
	c := e.login(t, "owner@example.jp")
	var paths []string
	for _, m := range apiMessages(t, ae, "") {
		paths = append(paths, "/admin/messages/"+m["id"].(string))
	}
	paths = append(paths, "/admin/products/sku/LOTION", "/admin/messages?status=suppressed", "/admin/messages/outbox?channel=email",
		"/admin/settings/channels", "/admin/products", "/admin/products/new", "/admin/products/import")
	for _, lang := range []string{"ja", "en"} {
		c.post("/admin/lang", url.Values{"lang": {lang}, "next": {"/admin/"}})
		for _, p := range paths {
			r := c.get(p)
			want(t, lang+" "+p, r, http.StatusOK, `<html lang="`+lang+`">`)
			for _, leak := range []*regexp.Regexp{keyLeak, regexp.MustCompile(`>\s*(products|messages|channels)\.[a-z_.]+\s*<`)} {
				if m := leak.FindString(r.Body); m != "" {
					t.Errorf("%s %s shows a key: %s", lang, p, m)
				}
			}
		}
		r := c.upload("/admin/products/import", "file", "p.csv", []byte("sku,name,price\nA,x,1\nB,,zz\n"))
		want(t, lang+" import", r, http.StatusOK, `id="rejected">1<`)
		if m := keyLeak.FindString(r.Body); m != "" {
			t.Errorf("%s import shows a key: %s", lang, m)
		}
	}
}
