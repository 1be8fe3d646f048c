package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// The secrets of these tests: none may ever appear in a page.
const (
	smtpPass    = "smtp-pass-Zq81"
	gwSecret    = "gateway-secret-0123456789"
	twilioToken = "twilio-token-Xy77"
	lineSecret  = "line-secret-Ab12"
	lineToken   = "line-token-Cd34"
)

func noSecrets(t *testing.T, what string, r res) {
	t.Helper()
	for _, s := range []string{smtpPass, gwSecret, twilioToken, lineSecret, lineToken} {
		if strings.Contains(r.Body, s) || strings.Contains(r.Body, url.QueryEscape(s)) {
			t.Fatalf("%s shows a secret %q", what, s)
		}
	}
}

func TestChannelSettings(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		c := e.login(t, "owner@example.jp")

		r := c.get("/admin/settings/channels")
		want(t, "page", r, http.StatusOK, `href="/admin/settings/channels" aria-current="page"`, "未接続（送信トレイ）",
			`id="form-email-smtp"`, `id="form-sms-generic"`, `id="form-sms-twilio"`, `id="form-line-line"`, "未設定")

		// Email: the password goes in its own write-only field.
		r = c.post("/admin/settings/channels/email", url.Values{"provider": {"smtp"}, "smtp_url": {"smtp://shop@192.0.2.10:2525"},
			"smtp_password": {smtpPass}, "from": {"shop@example.jp"}, "starttls": {"none"}, "rate_per_second": {""}})
		want(t, "email (password without TLS)", r, http.StatusUnprocessableEntity, `id="email-smtp-starttls-error"`, "暗号化なしではパスワードを送れません")
		noSecrets(t, "refused email", r)
		if v := ae.Do("GET", "/api/v1/channels/email", nil).Map(t); v["configured"] != false {
			t.Fatalf("a refused save stored: %v", v)
		}
		r = c.post("/admin/settings/channels/email", url.Values{"provider": {"smtp"}, "smtp_url": {"smtp://shop:" + smtpPass + "@127.0.0.1:2525"},
			"smtp_password": {""}, "from": {"not an address"}, "starttls": {"required"}, "rate_per_second": {"fast"}})
		want(t, "email bad", r, http.StatusUnprocessableEntity, `id="email-smtp-from-error"`, `id="email-smtp-rate_per_second-error"`,
			`value="smtp://shop@127.0.0.1:2525"`)
		noSecrets(t, "refused email with password in URL", r)
		r = c.post("/admin/settings/channels/email", url.Values{"provider": {"smtp"}, "smtp_url": {"smtp://127.0.0.1:2525"},
			"smtp_password": {smtpPass}, "from": {"shop@example.jp"}, "starttls": {"required"}, "rate_per_second": {"NaN"}})
		want(t, "password without user", r, http.StatusUnprocessableEntity, `id="email-smtp-smtp_password-error"`, "ユーザー名を入れてください")
		r = c.post("/admin/settings/channels/email", url.Values{"provider": {"smtp"}, "smtp_url": {"smtp://shop@127.0.0.1:2525"},
			"smtp_password": {smtpPass}, "from": {"shop@example.jp"}, "starttls": {"required"}, "rate_per_second": {"5"}})
		if r.Status != http.StatusSeeOther || r.Location != "/admin/settings/channels#channel-email" {
			t.Fatalf("email: %d %s\n%s", r.Status, r.Location, r.Body)
		}
		v := ae.Do("GET", "/api/v1/channels/email", nil).Map(t)
		if v["configured"] != true || v["smtp_password_set"] != true || v["smtp_url"] != "smtp://shop@127.0.0.1:2525" || v["rate_per_second"] != float64(5) {
			t.Fatalf("email stored: %v", v)
		}
		r = c.get("/admin/settings/channels")
		want(t, "email shown", r, http.StatusOK, "保存しました。", `value="smtp://shop@127.0.0.1:2525"`, "接続済み", "設定済み")
		noSecrets(t, "settings page", r)
		// An empty password keeps the stored one.
		r = c.post("/admin/settings/channels/email", url.Values{"provider": {"smtp"}, "smtp_url": {"smtp://shop@127.0.0.1:2525"},
			"smtp_password": {""}, "from": {"news@example.jp"}, "starttls": {"required"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("keep password: %d\n%s", r.Status, r.Body)
		}
		if v := ae.Do("GET", "/api/v1/channels/email", nil).Map(t); v["smtp_password_set"] != true || v["from"] != "news@example.jp" {
			t.Fatalf("kept: %v", v)
		}

		// SMS: the generic gateway, then Twilio; a short secret is refused.
		r = c.post("/admin/settings/channels/sms", url.Values{"provider": {"generic"}, "url": {"ftp://gw.example"}, "sender_id": {"SHOP"},
			"secret": {"short"}})
		want(t, "sms bad", r, http.StatusUnprocessableEntity, `id="sms-generic-url-error"`, `id="sms-generic-secret-error"`, "16バイト以上")
		noSecrets(t, "refused sms", r)
		r = c.post("/admin/settings/channels/sms", url.Values{"provider": {"generic"}, "url": {"http://127.0.0.1:9/sms"}, "sender_id": {"SHOP"},
			"secret": {gwSecret}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("sms generic: %d\n%s", r.Status, r.Body)
		}
		if v := ae.Do("GET", "/api/v1/channels/sms", nil).Map(t); v["provider"] != "generic" || v["secret_set"] != true {
			t.Fatalf("sms: %v", v)
		}
		r = c.post("/admin/settings/channels/sms", url.Values{"provider": {"twilio"}, "account_sid": {"AC0123"}, "from": {"+815012345678"}})
		want(t, "twilio without token", r, http.StatusUnprocessableEntity, `id="sms-twilio-auth_token-error"`)
		if v := ae.Do("GET", "/api/v1/channels/sms", nil).Map(t); v["provider"] != "generic" {
			t.Fatalf("a refused switch stored: %v", v)
		}
		r = c.post("/admin/settings/channels/sms", url.Values{"provider": {"twilio"}, "account_sid": {"AC0123456789abcdef0123456789abcdef"},
			"from": {"+815012345678"}, "auth_token": {twilioToken}, "base_url": {"http://127.0.0.1:9"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("twilio: %d\n%s", r.Status, r.Body)
		}
		r = c.get("/admin/settings/channels")
		want(t, "twilio shown", r, http.StatusOK, "/hooks/sms/twilio/"+ae.Shop.ID, `value="AC0123456789abcdef0123456789abcdef"`)
		noSecrets(t, "after twilio", r)

		// LINE.
		r = c.post("/admin/settings/channels/line", url.Values{"provider": {"line"}, "channel_secret": {lineSecret}})
		want(t, "line without token", r, http.StatusUnprocessableEntity, `id="line-line-channel_access_token-error"`, "入力してください。")
		noSecrets(t, "refused line", r)
		r = c.post("/admin/settings/channels/line", url.Values{"provider": {"line"}, "channel_secret": {lineSecret}, "channel_access_token": {lineToken},
			"endpoint": {"http://127.0.0.1:9"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("line: %d\n%s", r.Status, r.Body)
		}
		r = c.get("/admin/settings/channels")
		noSecrets(t, "after line", r)
		if n := strings.Count(r.Body, "接続済み"); n < 3 {
			t.Fatalf("%d channels connected", n)
		}

		// Bad requests.
		want(t, "unknown channel", c.post("/admin/settings/channels/fax", url.Values{"provider": {"smtp"}}), http.StatusNotFound)
		want(t, "wrong provider", c.post("/admin/settings/channels/email", url.Values{"provider": {"twilio"}}), http.StatusBadRequest)

		// Audited.
		want(t, "audit", c.get("/admin/settings/audit"), http.StatusOK, "チャネル設定を変更", "<code>email</code>", "<code>sms</code>", "<code>line</code>")

		// Owners only.
		for _, role := range []staff.Role{staff.Marketer, staff.Support, staff.Viewer} {
			e.user(t, role, string(role)+"@example.jp")
			rc := e.login(t, string(role)+"@example.jp")
			want(t, string(role)+" page", rc.get("/admin/settings/channels"), http.StatusForbidden)
			want(t, string(role)+" save", rc.post("/admin/settings/channels/line", url.Values{"provider": {"line"}, "channel_secret": {"x"},
				"channel_access_token": {"y"}}), http.StatusForbidden)
		}
		if v := ae.Do("GET", "/api/v1/channels/line", nil).Map(t); v["endpoint"] != "http://127.0.0.1:9" {
			t.Fatalf("a refused role changed line: %v", v)
		}

		// Another shop's owner sees their own (empty) settings only.
		other, _ := ae.OtherShop("other-shop")
		oc := otherShopOwner(t, e, other.ID)
		r = oc.get("/admin/settings/channels")
		want(t, "other shop", r, http.StatusOK, "未接続（送信トレイ）")
		if strings.Contains(r.Body, "127.0.0.1") || strings.Contains(r.Body, ae.Shop.ID) || strings.Contains(r.Body, "接続済み") {
			t.Fatal("another shop sees this shop's channel settings")
		}
	})
}
