package admin

import (
	"net/http"
	"time"

	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
)

// page is what every page's view has: language, title, the signed-in user
// and shop, the navigation, the flash message and the language switch.
type page struct {
	L         Lang
	Title     string
	CSSURL    string
	Shop      shop.Shop
	User      staff.User
	SignedIn  bool
	IsOwner   bool
	Nav       []navItem
	Flash     string
	Path      string // this page, for the language switch to come back to
	OtherLang string // ja or en
	OtherName string // its name in itself
	RequestID string
}

// navItem is a link of the main navigation.
type navItem struct {
	URL, Label string
	Current    bool
}

// navigation is the main menu: key, URL.
var navigation = [][2]string{
	{"nav.dashboard", "/admin/"}, {"nav.customers", "/admin/customers"}, {"nav.products", "/admin/products"},
	{"nav.journeys", "/admin/journeys"}, {"nav.messages", "/admin/messages"}, {"nav.tickets", "/admin/tickets"},
	{"nav.settings", "/admin/settings"},
}

// newPage builds the common view; current is the nav key of the page.
func (h *Handler) newPage(r *http.Request, v *visit, titleKey, current string) page {
	other := "en"
	if v.L.Code == "en" {
		other = "ja"
	}
	p := page{L: v.L, Title: v.L.T(titleKey), CSSURL: h.cssURL, Path: r.URL.RequestURI(), OtherLang: other,
		OtherName: catalogue[other]["lang.name"], RequestID: httpx.RequestID(r.Context())}
	if v.Flash != "" {
		p.Flash = v.L.T(v.Flash)
	}
	if v.signedIn() {
		p.SignedIn, p.User, p.Shop, p.IsOwner = true, v.Session.User, v.Shop, v.Session.User.Role == staff.Owner
		for _, n := range navigation {
			p.Nav = append(p.Nav, navItem{URL: n[1], Label: v.L.T(n[0]), Current: n[0] == current})
		}
	}
	return p
}

// Loc is the shop's time zone (Asia/Tokyo by default).
func (p page) Loc() *time.Location { return p.Shop.Location() }

// RoleName is the translated name of a role.
func (p page) RoleName(r staff.Role) string { return p.L.T("role." + string(r)) }
