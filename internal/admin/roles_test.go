package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// TestRoleMatrix walks every admin route with every role: a role the route
// table does not list gets the 403 page, a listed one never does; signed
// out, every staff route sends to the sign-in form.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		roles := []staff.Role{staff.Owner, staff.Marketer, staff.Support, staff.Viewer}
		clients := map[staff.Role]*client{}
		for _, r := range roles {
			// A second owner, so that no request of the walk can trip the
			// last-owner rule (a disable sent by the walk hits a stranger).
			e.user(t, r, string(r)+"@example.jp")
			clients[r] = e.login(t, string(r)+"@example.jp")
		}
		victim := e.user(t, staff.Viewer, "victim@example.jp")
		anon := e.client(t)
		checked := 0
		for _, rt := range e.h.Routes() {
			path := strings.ReplaceAll(strings.ReplaceAll(rt.Path, "{id}", victim.ID), "{$}", "")
			// Disabling, revoking and logging out change who can go on:
			// each role uses them on a throw-away target or session.
			for _, role := range roles {
				c := clients[role]
				if rt.Path == "/admin/logout" {
					c = e.login(t, string(role)+"@example.jp")
				}
				var r res
				if rt.Method == "GET" {
					r = c.get(path)
				} else {
					r = c.post(path, url.Values{"role": {"viewer"}, "name": {"x"}})
				}
				allowed := rt.Public || rt.SignIn || slices.Contains(rt.Roles, role)
				if denied := r.Status == http.StatusForbidden; denied == allowed {
					t.Errorf("%s %s as %s: status %d, allowed=%v", rt.Method, rt.Path, role, r.Status, allowed)
				}
				if r.Status == http.StatusForbidden && !strings.Contains(r.Body, "この操作の権限がありません") {
					t.Errorf("%s %s as %s: 403 without the denial page", rt.Method, rt.Path, role)
				}
				checked++
			}
			if len(rt.Roles) > 0 {
				if r := anon.do(rt.Method, path, url.Values{}); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/admin/login") {
					t.Errorf("%s %s signed out: %d %s", rt.Method, rt.Path, r.Status, r.Location)
				}
			}
		}
		if checked < 4*30 {
			t.Fatalf("only %d route × role checks", checked)
		}
	})
}

// TestRouteTable: every staff route is listed with at least one role, and
// everything that changes something is a POST.
func TestRouteTable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.SQLite(t))
	for _, rt := range e.h.Routes() {
		if !rt.Public && !rt.SignIn && len(rt.Roles) == 0 {
			t.Errorf("%s %s is open to no one", rt.Method, rt.Path)
		}
		if rt.Method != "GET" && rt.Method != "POST" {
			t.Errorf("%s %s: forms only GET and POST", rt.Method, rt.Path)
		}
		if strings.HasPrefix(rt.Path, "/admin/settings/") && rt.Path != "/admin/settings/profile" && rt.Method == "GET" &&
			!slices.Equal(rt.Roles, []staff.Role{staff.Owner}) {
			t.Errorf("%s %s: settings pages are for owners", rt.Method, rt.Path)
		}
	}
}
