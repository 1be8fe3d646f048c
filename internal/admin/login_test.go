package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/admin"
	"github.com/kizukai/kizukai/internal/admin/auth"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
)

func TestLoginLogout(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		c := e.client(t)

		// Signed out: pages send to the sign-in form, keeping where to go.
		r := c.get("/admin/settings/users")
		if r.Status != http.StatusSeeOther || r.Location != "/admin/login?next=%2Fadmin%2Fsettings%2Fusers" {
			t.Fatalf("signed out: %d %s", r.Status, r.Location)
		}
		want(t, "login form", c.get("/admin/login"), http.StatusOK, `name="email"`, `name="password"`, "ログイン")

		// Wrong password and unknown email: the same status and page.
		bad := c.post("/admin/login", url.Values{"email": {"owner@example.jp"}, "password": {"wrong horse battery"}})
		unknown := c.post("/admin/login", url.Values{"email": {"ghost@example.jp"}, "password": {"wrong horse battery"}})
		if bad.Status != http.StatusUnauthorized || unknown.Status != bad.Status ||
			strings.ReplaceAll(unknown.Body, "ghost@", "owner@") != bad.Body {
			t.Fatalf("failures differ: %d vs %d", bad.Status, unknown.Status)
		}
		if !strings.Contains(bad.Body, "メールアドレスまたはパスワードが正しくありません") || c.cookie("kizukai_admin") != "" {
			t.Fatal("failure page or cookie wrong")
		}

		// A session planted before sign-in is replaced (no fixation).
		c.c.Jar.SetCookies(mustURL(e.url), []*http.Cookie{{Name: "kizukai_admin", Value: "planted", Path: "/"}})
		r = c.post("/admin/login", url.Values{"email": {" Owner@Example.jp "}, "password": {password}, "next": {"/admin/settings/users"}})
		if r.Status != http.StatusSeeOther || r.Location != "/admin/settings/users" {
			t.Fatalf("login: %d %s", r.Status, r.Location)
		}
		set := r.Header.Get("Set-Cookie")
		if !strings.Contains(set, "HttpOnly") || !strings.Contains(set, "SameSite=Lax") || strings.Contains(set, "Secure") ||
			!strings.Contains(set, "Path=/") {
			t.Fatalf("session cookie %q", set)
		}
		tok := c.cookie("kizukai_admin")
		if len(tok) < 43 || tok == "planted" {
			t.Fatalf("session token %q", tok)
		}
		want(t, "dashboard", c.get("/admin/"), http.StatusOK, "ダッシュボード", "テスト商店", "owner@example.jp")

		// Off-site next is ignored.
		c2 := e.client(t)
		r = c2.post("/admin/login", url.Values{"email": {"owner@example.jp"}, "password": {password}, "next": {"//evil.example/admin/"}})
		if r.Location != "/admin/" {
			t.Fatalf("next followed off-site: %s", r.Location)
		}

		// Logout ends the session on the server: the old token is dead.
		r = c.post("/admin/logout", nil)
		if r.Status != http.StatusSeeOther || r.Location != "/admin/login" {
			t.Fatalf("logout: %d %s", r.Status, r.Location)
		}
		want(t, "after logout", c.get("/admin/login"), http.StatusOK, "ログアウトしました")
		replay := e.client(t)
		replay.c.Jar.SetCookies(mustURL(e.url), []*http.Cookie{{Name: "kizukai_admin", Value: tok, Path: "/"}})
		if r := replay.get("/admin/"); r.Status != http.StatusSeeOther {
			t.Fatalf("old token after logout: %d", r.Status)
		}
		// The audit log has the sign-in and sign-out, by ID.
		owner := e.login(t, "owner@example.jp")
		want(t, "audit", owner.get("/admin/settings/audit"), http.StatusOK, "ログイン", "ログアウト")
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		c := e.client(t)
		fail := func(email string) res {
			return c.post("/admin/login", url.Values{"email": {email}, "password": {"wrong horse battery"}})
		}
		for i := 0; i < auth.MaxFailures; i++ {
			if r := fail("owner@example.jp"); r.Status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i, r.Status)
			}
			ae.App.Sim.Advance(61 * time.Second) // stay under the per-address limit
		}
		// The account is blocked, even with the right password.
		r := c.post("/admin/login", url.Values{"email": {"owner@example.jp"}, "password": {password}})
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("blocked account: %d %q", r.Status, r.Header.Get("Retry-After"))
		}
		// An unknown email is blocked the same way (nothing tells them apart).
		for i := 0; i < auth.MaxFailures; i++ {
			fail("ghost@example.jp")
			ae.App.Sim.Advance(61 * time.Second)
		}
		if r := fail("ghost@example.jp"); r.Status != http.StatusTooManyRequests {
			t.Fatalf("blocked unknown email: %d", r.Status)
		}
		ae.App.Sim.Advance(auth.AccountWindow)
		e.login(t, "owner@example.jp")

		// Per address: ten failures in a minute across emails block the address.
		for i := 0; i < auth.MaxFailures; i++ {
			fail("someone" + string(rune('a'+i)) + "@example.jp")
		}
		r = c.post("/admin/login", url.Values{"email": {"owner@example.jp"}, "password": {password}})
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "60" {
			t.Fatalf("blocked address: %d %q", r.Status, r.Header.Get("Retry-After"))
		}
		ae.App.Sim.Advance(time.Minute)
		e.login(t, "owner@example.jp")
	})
}

func TestSessionEnds(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		v := e.user(t, staff.Viewer, "viewer@example.jp")
		// Idle 31 minutes.
		c := e.login(t, "owner@example.jp")
		ae.App.Sim.Advance(31 * time.Minute)
		if r := c.get("/admin/"); r.Status != http.StatusSeeOther {
			t.Fatalf("idle session: %d", r.Status)
		}
		// Disabling a user ends their session at once.
		owner := e.login(t, "owner@example.jp")
		viewer := e.login(t, "viewer@example.jp")
		want(t, "viewer dashboard", viewer.get("/admin/"), http.StatusOK)
		if r := owner.post("/admin/settings/users/"+v.ID+"/disable", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		if r := viewer.get("/admin/"); r.Status != http.StatusSeeOther {
			t.Fatalf("disabled user's session: %d", r.Status)
		}
		if r := e.client(t).post("/admin/login", url.Values{"email": {"viewer@example.jp"}, "password": {password}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("disabled user signs in: %d", r.Status)
		}
		// A password change ends the other sessions and keeps this one.
		other := e.login(t, "owner@example.jp")
		r := owner.post("/admin/account/password", url.Values{"current_password": {"nope"}, "new_password": {"short"}, "confirm_password": {"x"}})
		want(t, "bad password change", r, http.StatusUnprocessableEntity, `id="current_password-error"`, `id="new_password-error"`, `id="confirm_password-error"`)
		r = owner.post("/admin/account/password", url.Values{"current_password": {password}, "new_password": {"a much longer passphrase"},
			"confirm_password": {"a much longer passphrase"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("password change: %d %s", r.Status, r.Body)
		}
		want(t, "after change", owner.get("/admin/account"), http.StatusOK, "パスワードを変更しました")
		if r := other.get("/admin/"); r.Status != http.StatusSeeOther {
			t.Fatalf("other session after password change: %d", r.Status)
		}
	})
}

// TestCSRF: a state-changing request from another site is refused before
// anything happens.
func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.SQLite(t))
	e.user(t, staff.Owner, "owner@example.jp")
	c := e.login(t, "owner@example.jp")
	for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		r := c.post("/admin/settings/profile", url.Values{"name": {"Hacked"}}, hdr...)
		want(t, "cross-site "+hdr[0], r, http.StatusForbidden)
		if r := c.post("/admin/login", url.Values{"email": {"owner@example.jp"}, "password": {password}}, hdr...); r.Status != http.StatusForbidden {
			t.Fatalf("cross-site login: %d", r.Status)
		}
	}
	s, _ := shop.ByID(context.Background(), e.App.DB, e.Shop.ID)
	if s.Name != "テスト商店" {
		t.Fatalf("shop name changed to %q", s.Name)
	}
	r := c.post("/admin/settings/profile", url.Values{"name": {"Same site"}}, "Sec-Fetch-Site", "same-origin")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("same-origin post: %d", r.Status)
	}
}

// TestSecureCookie: on HTTPS the session cookie is __Host- prefixed and Secure.
func TestSecureCookie(t *testing.T) {
	t.Parallel()
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	e.user(t, staff.Owner, "owner@example.jp")
	h := admin.New(admin.Deps{DB: ae.App.DB, Clock: ae.App.Clock, BaseURL: "https://shop.example"})
	mux := http.NewServeMux()
	h.Mount(mux)
	req := httptest.NewRequest("POST", "https://shop.example/admin/login", strings.NewReader("email=owner%40example.jp&password="+url.QueryEscape(password)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	set := rec.Header().Get("Set-Cookie")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(set, "__Host-kizukai_admin=") || !strings.Contains(set, "Secure") ||
		!strings.Contains(set, "HttpOnly") || strings.Contains(set, "Domain") {
		t.Fatalf("https login: %d %q", rec.Code, set)
	}
}

func TestShopChooser(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		ctx := context.Background()
		e.user(t, staff.Viewer, "both@example.jp")
		other, err := ae.App.CreateShop(ctx, shop.CreateParams{Slug: "bakery", Name: "ベーカリー"})
		if err != nil {
			t.Fatal(err)
		}
		o, err := staff.Create(ctx, ae.App.DB, staff.CreateParams{ShopID: other.ID, Email: "both@example.jp", Role: staff.Owner, Password: password}, ae.App.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		c := e.client(t)
		r := c.post("/admin/login", url.Values{"email": {"both@example.jp"}, "password": {password}})
		if r.Status != http.StatusSeeOther || r.Location != "/admin/login/shop" {
			t.Fatalf("login: %d %s", r.Status, r.Location)
		}
		want(t, "chooser", c.get("/admin/login/shop"), http.StatusOK, "ベーカリー", "テスト商店", `value="`+o.ID+`"`)
		if r := c.get("/admin/"); r.Status != http.StatusSeeOther {
			t.Fatalf("dashboard before choosing: %d", r.Status)
		}
		// A user ID that is not a candidate changes nothing.
		if r := c.post("/admin/login/shop", url.Values{"user": {"usr_other"}}); r.Location != "/admin/login/shop" {
			t.Fatalf("foreign choice: %d %s", r.Status, r.Location)
		}
		if r := c.post("/admin/login/shop", url.Values{"user": {o.ID}}); r.Status != http.StatusSeeOther || r.Location != "/admin/" {
			t.Fatalf("choose: %d %s", r.Status, r.Location)
		}
		want(t, "bakery dashboard", c.get("/admin/"), http.StatusOK, "ベーカリー")
		want(t, "bakery users", c.get("/admin/settings/users"), http.StatusOK, "both@example.jp")
	})
}
