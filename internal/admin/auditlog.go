package admin

import (
	"net/http"
	"net/url"

	"github.com/kizukai/kizukai/internal/admin/audit"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/staff"
)

// auditView is a page of the audit log, newest first.
type auditView struct {
	settingsPage
	Entries []auditRow
	NextURL string
}

// auditRow is an entry with its actor's email (the staff list, not the
// log, holds it).
type auditRow struct {
	audit.Entry
	Actor string
}

const auditPageSize = 50

func (h *Handler) auditPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	var after *audit.Cursor
	var c audit.Cursor
	if ok, err := httpx.DecodeCursor(r, &c); err != nil {
		return err
	} else if ok {
		after = &c
	}
	es, more, err := audit.List(r.Context(), h.DB, audit.ListParams{ShopID: v.Shop.ID, Limit: auditPageSize, After: after})
	if err != nil {
		return err
	}
	us, err := staff.List(r.Context(), h.DB, v.Shop.ID)
	if err != nil {
		return err
	}
	emails := map[string]string{}
	for _, u := range us {
		emails[u.ID] = u.Email
	}
	av := auditView{settingsPage: h.settingsPage(r, v, "settings.audit")}
	for _, e := range es {
		av.Entries = append(av.Entries, auditRow{Entry: e, Actor: emails[e.ActorID]})
	}
	if more {
		last := es[len(es)-1]
		av.NextURL = "/admin/settings/audit?" + url.Values{"cursor": {httpx.EncodeCursor(audit.Cursor{At: last.At, ID: last.ID})}}.Encode()
	}
	return h.render(w, http.StatusOK, "audit", av)
}
