package admin

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/admin/auth"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/shop"
)

// settingsTabs are the settings sub-pages; only the profile is open to
// every role (read-only unless owner).
var settingsTabs = [][2]string{
	{"settings.profile", "/admin/settings/profile"}, {"settings.security", "/admin/settings/security"},
	{"settings.users", "/admin/settings/users"}, {"settings.apikeys", "/admin/settings/apikeys"},
	{"settings.audit", "/admin/settings/audit"},
	{"settings.channels", "/admin/settings/channels"},
}

// settingsPage is what every settings page's view has: the tabs.
type settingsPage struct {
	page
	Tabs []navItem
}

func (h *Handler) settingsPage(r *http.Request, v *visit, titleKey string) settingsPage {
	sp := settingsPage{page: h.newPage(r, v, titleKey, "nav.settings")}
	for _, t := range settingsTabs {
		if t[0] != "settings.profile" && !sp.IsOwner {
			continue
		}
		sp.Tabs = append(sp.Tabs, navItem{URL: t[1], Label: v.L.T(t[0]), Current: t[0] == titleKey})
	}
	return sp
}

func (h *Handler) settingsIndex(w http.ResponseWriter, r *http.Request, v *visit) error {
	http.Redirect(w, r, "/admin/settings/profile", http.StatusSeeOther)
	return nil
}

// profileView is the shop profile: who sends the messages and how to reach
// them (特定電子メール法: shown in every message).
type profileView struct {
	settingsPage
	Form     shop.ProfileParams
	Errors   map[string]string
	ReadOnly bool
}

func profileOf(s shop.Shop) shop.ProfileParams {
	return shop.ProfileParams{Name: s.Name, SenderName: s.SenderName, PostalAddress: s.PostalAddress, ContactEmail: s.ContactEmail,
		ContactPhone: s.ContactPhone, LineURL: s.LineURL, Timezone: s.Timezone}
}

func (h *Handler) profilePage(w http.ResponseWriter, r *http.Request, v *visit) error {
	sp := h.settingsPage(r, v, "settings.profile")
	return h.render(w, http.StatusOK, "settings_profile", profileView{settingsPage: sp, Form: profileOf(v.Shop), ReadOnly: !sp.IsOwner})
}

func (h *Handler) saveProfile(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "name", "sender_name", "postal_address", "contact_email", "contact_phone", "line_url", "timezone")
	if err != nil {
		return err
	}
	p := shop.ProfileParams{Name: in["name"], SenderName: in["sender_name"], PostalAddress: in["postal_address"],
		ContactEmail: in["contact_email"], ContactPhone: in["contact_phone"], LineURL: in["line_url"], Timezone: in["timezone"]}
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if _, err := shop.UpdateProfile(r.Context(), tx, v.Shop.ID, p); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "shop.profile_update", "shop", v.Shop.ID)
	})
	if fe, ok := fieldErrors(v.L, err); ok {
		return h.render(w, http.StatusUnprocessableEntity, "settings_profile",
			profileView{settingsPage: h.settingsPage(r, v, "settings.profile"), Form: p, Errors: fe})
	}
	if err != nil {
		return err
	}
	h.flash(w, "flash.saved")
	return seeOther(w, r, "/admin/settings/profile")
}

// securityView is the shop's sign-in security settings.
type securityView struct {
	settingsPage
	RequireOwnerTOTP bool
	OwnTOTP          bool
	Errors           map[string]string
}

func (h *Handler) securityView(r *http.Request, v *visit) (securityView, error) {
	req, err := auth.RequireOwnerTOTP(r.Context(), h.DB, v.Shop.ID)
	if err != nil {
		return securityView{}, err
	}
	a, err := auth.AccountOf(r.Context(), h.DB, v.Shop.ID, v.Session.User.ID)
	if err != nil {
		return securityView{}, err
	}
	return securityView{settingsPage: h.settingsPage(r, v, "settings.security"), RequireOwnerTOTP: req, OwnTOTP: a.TOTPEnabled}, nil
}

func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	sv, err := h.securityView(r, v)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "settings_security", sv)
}

// saveSecurity turns the owners' two-factor requirement on or off. The
// owner turning it on must use two-factor sign-in already, so no one locks
// themselves into a set-up step by surprise.
func (h *Handler) saveSecurity(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	on, _ := single(f, "require_owner_totp")
	sv, err := h.securityView(r, v)
	if err != nil {
		return err
	}
	if on == "on" && !sv.OwnTOTP {
		sv.Errors = map[string]string{"require_owner_totp": v.L.T("security.enable_own_first")}
		return h.render(w, http.StatusUnprocessableEntity, "settings_security", sv)
	}
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := h.auth.SetRequireOwnerTOTP(r.Context(), tx, v.Shop.ID, on == "on"); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "shop.security_update", "shop", v.Shop.ID)
	})
	if err != nil {
		return err
	}
	h.flash(w, "flash.saved")
	return seeOther(w, r, "/admin/settings/security")
}
