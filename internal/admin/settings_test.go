package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/admin/auth"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
)

func TestProfile(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		e.user(t, staff.Support, "support@example.jp")
		owner := e.login(t, "owner@example.jp")
		form := url.Values{"name": {"テスト商店"}, "sender_name": {"テスト商店 お客さま係"}, "postal_address": {"東京都渋谷区神南1-2-3"},
			"contact_email": {"support@shop.example"}, "contact_phone": {"03-1234-5678"}, "line_url": {"https://line.me/R/ti/p/@shop"},
			"timezone": {"Asia/Tokyo"}}
		r := owner.post("/admin/settings/profile", form)
		if r.Status != http.StatusSeeOther || r.Location != "/admin/settings/profile" {
			t.Fatalf("save: %d %s", r.Status, r.Body)
		}
		want(t, "saved", owner.get("/admin/settings/profile"), http.StatusOK, "保存しました", "東京都渋谷区神南1-2-3")

		// A bad form is shown again with its field errors; nothing changes.
		bad := url.Values{"name": {""}, "line_url": {"http://line.me/x"}, "timezone": {"Mars/Base"}, "postal_address": {"変更されない住所"}}
		r = owner.post("/admin/settings/profile", bad)
		want(t, "invalid", r, http.StatusUnprocessableEntity, `id="name-error"`, "https:// で始まるURLを入力してください", `id="timezone-error"`,
			`value="変更されない住所"`)
		s, _ := shop.ByID(context.Background(), ae.App.DB, e.Shop.ID)
		if s.PostalAddress != "東京都渋谷区神南1-2-3" || s.LineURL != "https://line.me/R/ti/p/@shop" {
			t.Fatalf("shop changed by a refused form: %+v", s)
		}
		r = owner.post("/admin/settings/profile", url.Values{"name": {"x", "y"}})
		want(t, "repeated field", r, http.StatusBadRequest)
		r = owner.post("/admin/settings/profile", url.Values{"name": {strings.Repeat("あ", 30000)}})
		want(t, "too large", r, http.StatusRequestEntityTooLarge)

		// Support reads the profile, cannot change it.
		sup := e.login(t, "support@example.jp")
		r = sup.get("/admin/settings/profile")
		want(t, "read-only", r, http.StatusOK, "オーナーだけ", "東京都渋谷区神南1-2-3")
		if strings.Contains(r.Body, `action="/admin/settings/profile"`) {
			t.Fatal("read-only profile has a form")
		}
		want(t, "support save", sup.post("/admin/settings/profile", form), http.StatusForbidden)
		want(t, "audit", owner.get("/admin/settings/audit"), http.StatusOK, "ショップ情報を変更")
	})
}

var secretRE = regexp.MustCompile(`<code class="secret">([^<]+)</code>`)

func TestUsersAndKeys(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		owner0 := e.user(t, staff.Owner, "owner@example.jp")
		owner := e.login(t, "owner@example.jp")

		// Invite: a one-time password, shown once.
		r := owner.post("/admin/settings/users", url.Values{"email": {"New@Example.jp"}, "name": {"新人"}, "role": {"support"}})
		want(t, "created", r, http.StatusOK, "仮パスワード")
		m := secretRE.FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatal("no one-time password shown")
		}
		otp := m[1]
		want(t, "duplicate", owner.post("/admin/settings/users", url.Values{"email": {"new@example.jp"}, "role": {"viewer"}}),
			http.StatusUnprocessableEntity, "すでに登録されています", `value="new@example.jp"`)
		want(t, "invalid", owner.post("/admin/settings/users", url.Values{"email": {"x"}, "role": {"boss"}}),
			http.StatusUnprocessableEntity, `id="email-error"`, `id="role-error"`)
		users, _ := staff.List(context.Background(), ae.App.DB, e.Shop.ID)
		if len(users) != 2 {
			t.Fatalf("%d users after refused invites", len(users))
		}

		// The new user must choose a password before anything else.
		nu := e.client(t)
		r = nu.post("/admin/login", url.Values{"email": {"new@example.jp"}, "password": {otp}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("one-time login: %d", r.Status)
		}
		if r := nu.get("/admin/"); r.Status != http.StatusSeeOther || r.Location != "/admin/account" {
			t.Fatalf("before choosing a password: %d %s", r.Status, r.Location)
		}
		want(t, "must change", nu.get("/admin/account"), http.StatusOK, "仮パスワードでログインしています")
		r = nu.post("/admin/account/password", url.Values{"current_password": {otp}, "new_password": {"my own passphrase"}, "confirm_password": {"my own passphrase"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("choose password: %d %s", r.Status, r.Body)
		}
		want(t, "in", nu.get("/admin/"), http.StatusOK)

		// Roles: change one; the last owner keeps theirs (409).
		var newID string
		users, _ = staff.List(context.Background(), ae.App.DB, e.Shop.ID)
		for _, u := range users {
			if u.Email == "new@example.jp" {
				newID = u.ID
			}
		}
		if r := owner.post("/admin/settings/users/"+newID+"/role", url.Values{"role": {"marketer"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("role: %d", r.Status)
		}
		want(t, "last owner", owner.post("/admin/settings/users/"+owner0.ID+"/role", url.Values{"role": {"viewer"}}), http.StatusConflict, "有効なオーナー")
		want(t, "last owner disable", owner.post("/admin/settings/users/"+owner0.ID+"/disable", nil), http.StatusConflict)
		want(t, "bad role", owner.post("/admin/settings/users/"+newID+"/role", url.Values{"role": {"boss"}}), http.StatusUnprocessableEntity)
		want(t, "unknown user", owner.post("/admin/settings/users/usr_nobody/role", url.Values{"role": {"viewer"}}), http.StatusNotFound)
		u, _ := staff.ByID(context.Background(), ae.App.DB, e.Shop.ID, newID)
		if u.Role != staff.Marketer {
			t.Fatalf("role %q", u.Role)
		}
		// Another shop's user is not found.
		other, _ := ae.App.CreateShop(context.Background(), shop.CreateParams{Slug: "other", Name: "Other"})
		ou, _ := staff.Create(context.Background(), ae.App.DB, staff.CreateParams{ShopID: other.ID, Email: "x@example.jp", Role: staff.Owner, Password: password}, ae.App.Clock.Now())
		want(t, "other shop's user", owner.post("/admin/settings/users/"+ou.ID+"/disable", nil), http.StatusNotFound)

		// API keys: shown once, work, revoked → 401.
		r = owner.post("/admin/settings/apikeys", url.Values{"name": {"POS"}})
		want(t, "key", r, http.StatusOK, "APIキーを作成しました")
		key := secretRE.FindStringSubmatch(r.Body)[1]
		if res := ae.DoKey(key, "GET", "/api/v1/customers", nil); res.Status != http.StatusOK {
			t.Fatalf("new key: %d", res.Status)
		}
		list := owner.get("/admin/settings/apikeys")
		if strings.Contains(list.Body, key) {
			t.Fatal("the key is shown again")
		}
		keys, _ := shop.ListKeys(context.Background(), ae.App.DB, e.Shop.ID)
		want(t, "too long name", owner.post("/admin/settings/apikeys", url.Values{"name": {strings.Repeat("x", 101)}}), http.StatusUnprocessableEntity, `id="name-error"`)
		if r := owner.post("/admin/settings/apikeys/"+keys[0].ID+"/revoke", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.Status)
		}
		if res := ae.DoKey(key, "GET", "/api/v1/customers", nil); res.Status != http.StatusUnauthorized {
			t.Fatalf("revoked key: %d", res.Status)
		}
		want(t, "revoke twice", owner.post("/admin/settings/apikeys/"+keys[0].ID+"/revoke", nil), http.StatusNotFound)
		r = owner.get("/admin/settings/audit")
		want(t, "audit", r, http.StatusOK, "スタッフを追加", "役割を変更", "APIキーを作成", "APIキーを無効化", newID, keys[0].ID)
	})
}

func TestTwoFactor(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		owner := e.login(t, "owner@example.jp")

		// The shop cannot require it before the owner uses it.
		want(t, "require first", owner.post("/admin/settings/security", url.Values{"require_owner_totp": {"on"}}), http.StatusUnprocessableEntity,
			"先にご自分の2段階認証")
		want(t, "get is pure", owner.get("/admin/account/totp"), http.StatusOK, `action="/admin/account/totp/start"`)
		if r := owner.post("/admin/account/totp/start", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("start: %d", r.Status)
		}
		r := owner.get("/admin/account/totp")
		want(t, "secret shown", r, http.StatusOK, "otpauth://totp/")
		secret := strings.ReplaceAll(regexp.MustCompile(`id="totp-secret">([^<]+)<`).FindStringSubmatch(r.Body)[1], " ", "")
		want(t, "wrong code", owner.post("/admin/account/totp/confirm", url.Values{"code": {"000000"}}), http.StatusUnprocessableEntity, `id="code-error"`)
		code, _ := auth.TOTPCode(secret, ae.App.Clock.Now())
		r = owner.post("/admin/account/totp/confirm", url.Values{"code": {code}})
		want(t, "codes", r, http.StatusOK, "リカバリーコード")
		codes := secretRE.FindAllStringSubmatch(r.Body, -1)
		if len(codes) != auth.RecoveryCodes {
			t.Fatalf("%d recovery codes", len(codes))
		}
		if r := owner.post("/admin/settings/security", url.Values{"require_owner_totp": {"on"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("require: %d", r.Status)
		}

		// Sign-in now asks for the code; a wrong one is refused.
		ae.App.Sim.Advance(time.Minute)
		c := e.client(t)
		r = c.post("/admin/login", url.Values{"email": {"owner@example.jp"}, "password": {password}})
		if r.Location != "/admin/login/totp" {
			t.Fatalf("login with totp: %d %s", r.Status, r.Location)
		}
		if r := c.get("/admin/"); r.Status != http.StatusSeeOther {
			t.Fatalf("dashboard before the second factor: %d", r.Status)
		}
		want(t, "bad code", c.post("/admin/login/totp", url.Values{"code": {"123"}}), http.StatusUnauthorized, "コードが正しくない")
		code, _ = auth.TOTPCode(secret, ae.App.Clock.Now())
		if r := c.post("/admin/login/totp", url.Values{"code": {code}}); r.Status != http.StatusSeeOther || r.Location != "/admin/" {
			t.Fatalf("code: %d %s", r.Status, r.Location)
		}
		want(t, "in", c.get("/admin/"), http.StatusOK)

		// A recovery code works once.
		c2 := e.client(t)
		c2.post("/admin/login", url.Values{"email": {"owner@example.jp"}, "password": {password}})
		if r := c2.post("/admin/login/totp", url.Values{"code": {codes[0][1]}}); r.Status != http.StatusSeeOther {
			t.Fatalf("recovery: %d", r.Status)
		}
		c3 := e.client(t)
		c3.post("/admin/login", url.Values{"email": {"owner@example.jp"}, "password": {password}})
		want(t, "recovery again", c3.post("/admin/login/totp", url.Values{"code": {codes[0][1]}}), http.StatusUnauthorized)

		// The shop requires it: the owner cannot turn it off; a new owner
		// must enrol before anything else.
		want(t, "disable refused", c.post("/admin/account/totp/disable", url.Values{"password": {password}}), http.StatusUnprocessableEntity,
			"オーナーの2段階認証が必須")
		e.user(t, staff.Owner, "owner2@example.jp")
		o2 := e.login(t, "owner2@example.jp")
		if r := o2.get("/admin/settings/users"); r.Location != "/admin/account/totp" {
			t.Fatalf("unenrolled owner: %d %s", r.Status, r.Location)
		}
		want(t, "enrol notice", o2.get("/admin/account/totp"), http.StatusOK, "オーナーは2段階認証が必須です")
	})
}
