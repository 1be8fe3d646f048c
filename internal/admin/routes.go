package admin

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/staff"
)

// access says who may use a route: a set of roles (signed-in staff), or
// one of the sign-in states. The route table below is the one place where
// it is decided; a test walks every route with every role.
type access uint

const (
	owner    access = 1 << iota // staff.Owner
	marketer                    // staff.Marketer
	support                     // staff.Support
	viewer                      // staff.Viewer
	// public routes need no session (sign-in, language).
	public
	// preAuth routes need a session between password and second factor or
	// shop choice.
	preAuth
	// anySession routes need a session of any stage (logout).
	anySession
	// setup marks routes open while the user must first change a one-time
	// password or enrol in two-factor sign-in.
	setup

	anyRole = owner | marketer | support | viewer
)

var roleBits = map[staff.Role]access{staff.Owner: owner, staff.Marketer: marketer, staff.Support: support, staff.Viewer: viewer}

// allows reports whether a signed-in user of role may use the route.
func (a access) allows(role staff.Role) bool { return a&roleBits[role] != 0 }

// route is one admin route.
type route struct {
	method string
	path   string
	access access
	h      handlerFunc
}

// handlerFunc is an admin handler: it writes a page or a redirect, or
// returns an error that handle renders as a page.
type handlerFunc func(w http.ResponseWriter, r *http.Request, v *visit) error

// routes is the whole admin UI, each route with who may use it. Each
// resource area lists its routes in its own file (customerRoutes in
// customers.go, ...).
func (h *Handler) routes() []route {
	var out []route
	for _, part := range [][]route{h.baseRoutes(), h.customerRoutes(), h.productRoutes(), h.messageRoutes(),
		h.journeyRoutes(), h.ticketRoutes(), h.channelRoutes()} {
		out = append(out, part...)
	}
	return out
}

// baseRoutes are sign-in, dashboard, account and settings.
func (h *Handler) baseRoutes() []route {
	return []route{
		{"GET", "/admin/login", public, h.loginForm},
		{"POST", "/admin/login", public, h.login},
		{"POST", "/admin/lang", public, h.switchLang},
		{"GET", "/admin/login/shop", preAuth, h.chooseShopForm},
		{"POST", "/admin/login/shop", preAuth, h.chooseShop},
		{"GET", "/admin/login/totp", preAuth, h.totpLoginForm},
		{"POST", "/admin/login/totp", preAuth, h.totpLogin},
		{"POST", "/admin/logout", anySession, h.logout},

		{"GET", "/admin/{$}", anyRole, h.dashboard},

		{"GET", "/admin/account", anyRole | setup, h.accountPage},
		{"POST", "/admin/account/password", anyRole | setup, h.changePassword},
		{"GET", "/admin/account/totp", anyRole | setup, h.totpPage},
		{"POST", "/admin/account/totp/start", anyRole | setup, h.totpStart},
		{"POST", "/admin/account/totp/confirm", anyRole | setup, h.totpConfirm},
		{"POST", "/admin/account/totp/disable", anyRole, h.totpDisable},

		{"GET", "/admin/settings", anyRole, h.settingsIndex},
		{"GET", "/admin/settings/profile", anyRole, h.profilePage}, // read-only unless owner
		{"POST", "/admin/settings/profile", owner, h.saveProfile},
		{"GET", "/admin/settings/security", owner, h.securityPage},
		{"POST", "/admin/settings/security", owner, h.saveSecurity},
		{"GET", "/admin/settings/users", owner, h.listUsers},
		{"POST", "/admin/settings/users", owner, h.createUser},
		{"POST", "/admin/settings/users/{id}/role", owner, h.setUserRole},
		{"POST", "/admin/settings/users/{id}/disable", owner, h.disableUser},
		{"GET", "/admin/settings/apikeys", owner, h.listKeys},
		{"POST", "/admin/settings/apikeys", owner, h.createKey},
		{"POST", "/admin/settings/apikeys/{id}/revoke", owner, h.revokeKey},
		{"GET", "/admin/settings/audit", owner, h.auditPage},
	}
}

// Route describes a route for tests and documentation.
type Route struct {
	Method, Path string
	Roles        []staff.Role // signed-in roles allowed; empty for public and sign-in routes
	Public       bool         // no session needed
	SignIn       bool         // a session of the sign-in steps (or any session) is needed
}

// Routes lists every admin route with who may use it.
func (h *Handler) Routes() []Route {
	var out []Route
	for _, rt := range h.routes() {
		r := Route{Method: rt.method, Path: rt.path, Public: rt.access&public != 0, SignIn: rt.access&(preAuth|anySession) != 0}
		for _, role := range roles {
			if rt.access.allows(role) {
				r.Roles = append(r.Roles, role)
			}
		}
		out = append(out, r)
	}
	return out
}
