package admin_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/admin"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/staff"
)

const password = "correct horse battery"

// env is a running Kizukai with the admin UI in front.
type env struct {
	*apptest.Env
	h   *admin.Handler
	url string
}

// newEnv mounts the admin UI on its own server in front of the app, so
// the tests do not depend on the app's wiring.
func newEnv(t testing.TB, e *apptest.Env) *env {
	t.Helper()
	return newEnvWith(t, e, func(*admin.Deps) {})
}

// newEnvWith is newEnv with the admin's dependencies changed by tune.
func newEnvWith(t testing.TB, e *apptest.Env, tune func(*admin.Deps)) *env {
	t.Helper()
	a := e.App
	d := admin.Deps{DB: a.DB, Clock: a.Clock, BaseURL: a.Config.BaseURL, Customers: a.Customers, Products: a.Products,
		Orders: a.Orders, Policies: a.Policies, Tickets: a.Tickets, Messages: a.Messages, Journeys: a.Journeys, Surveys: a.Surveys,
		Events: a.Events, Delivery: a.Delivery, Signer: a.Signer, Coupons: a.Coupons}
	tune(&d)
	h := admin.New(d)
	mux := http.NewServeMux()
	h.Mount(mux)
	mux.Handle("/", e.App.Handler)
	srv := httptest.NewServer(httpx.WithRequestID(mux))
	t.Cleanup(srv.Close)
	return &env{Env: e, h: h, url: srv.URL}
}

// user creates a staff user of the env's shop.
func (e *env) user(t testing.TB, role staff.Role, email string) staff.User {
	t.Helper()
	u, err := staff.Create(context.Background(), e.App.DB, staff.CreateParams{ShopID: e.Shop.ID, Email: email, Role: role, Password: password},
		e.App.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// client is a browser-like client: a cookie jar, no redirect following.
type client struct {
	t   testing.TB
	e   *env
	c   *http.Client
	hdr http.Header
}

func (e *env) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		hdr: http.Header{}}
}

// res is a fetched page.
type res struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

func (c *client) do(method, path string, form url.Values, hdr ...string) res {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.url+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.hdr {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r, err := c.c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res{Status: r.StatusCode, Header: r.Header, Body: string(b), Location: r.Header.Get("Location")}
}

func (c *client) get(path string) res { c.t.Helper(); return c.do("GET", path, nil) }

func (c *client) post(path string, form url.Values, hdr ...string) res {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return c.do("POST", path, form, hdr...)
}

// cookie returns the value of a cookie the client holds.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.e.url)
	for _, k := range c.c.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// login signs in and checks the redirect to the dashboard.
func (e *env) login(t testing.TB, email string) *client {
	t.Helper()
	c := e.client(t)
	r := c.post("/admin/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther || r.Location != "/admin/" {
		t.Fatalf("login %s: %d %s\n%s", email, r.Status, r.Location, r.Body)
	}
	return c
}

// want checks a page's status and that it contains every string.
func want(t *testing.T, what string, r res, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Status, status, r.Body)
	}
	for _, s := range contains {
		if !strings.Contains(r.Body, s) {
			t.Errorf("%s: page lacks %q", what, s)
		}
	}
}
