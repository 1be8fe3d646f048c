package admin

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/shop"
)

// keysView lists the shop's API keys (never the keys themselves).
type keysView struct {
	settingsPage
	Keys   []shop.APIKey
	Name   string
	Errors map[string]string
}

func (h *Handler) keysView(r *http.Request, v *visit) (keysView, error) {
	ks, err := shop.ListKeys(r.Context(), h.DB, v.Shop.ID)
	if err != nil {
		return keysView{}, err
	}
	return keysView{settingsPage: h.settingsPage(r, v, "settings.apikeys"), Keys: ks}, nil
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request, v *visit) error {
	kv, err := h.keysView(r, v)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "apikeys", kv)
}

// createKey makes a key and shows it once, on the answer page itself.
func (h *Handler) createKey(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "name")
	if err != nil {
		return err
	}
	var key string
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		var k shop.APIKey
		if key, k, err = shop.CreateKey(r.Context(), tx, v.Shop.ID, in["name"], h.Clock.Now()); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "api_key.create", "api_key", k.ID)
	})
	if fe, ok := fieldErrors(v.L, err); ok {
		kv, err := h.keysView(r, v)
		if err != nil {
			return err
		}
		kv.Name, kv.Errors = in["name"], fe
		return h.render(w, http.StatusUnprocessableEntity, "apikeys", kv)
	}
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "shown_once", shownOnceView{page: h.newPage(r, v, "apikeys.created.title", "nav.settings"),
		Heading: v.L.T("apikeys.created.title"), Text: v.L.T("apikeys.created.text"), Label: v.L.T("apikeys.created.label"),
		Secrets: []string{key}, Back: "/admin/settings/apikeys"})
}

// revokeKey revokes a key: the next API request with it gets 401.
func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request, v *visit) error {
	kid := r.PathValue("id")
	err := h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := shop.RevokeKey(r.Context(), tx, v.Shop.ID, kid, h.Clock.Now()); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "api_key.revoke", "api_key", kid)
	})
	if err != nil {
		return err
	}
	h.flash(w, "flash.key_revoked")
	return seeOther(w, r, "/admin/settings/apikeys")
}
