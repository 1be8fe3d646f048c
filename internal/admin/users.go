package admin

import (
	"errors"
	"net/http"

	"github.com/kizukai/kizukai/internal/admin/auth"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/staff"
)

// usersView lists the shop's staff with the invite form.
type usersView struct {
	settingsPage
	Users   []staff.User
	Roles   []staff.Role
	Form    map[string]string
	Errors  map[string]string
	Problem string // why a change to a user was refused
}

var roles = []staff.Role{staff.Owner, staff.Marketer, staff.Support, staff.Viewer}

func (h *Handler) usersView(r *http.Request, v *visit) (usersView, error) {
	us, err := staff.List(r.Context(), h.DB, v.Shop.ID)
	if err != nil {
		return usersView{}, err
	}
	return usersView{settingsPage: h.settingsPage(r, v, "settings.users"), Users: us, Roles: roles,
		Form: map[string]string{"role": string(staff.Viewer)}}, nil
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, v *visit) error {
	uv, err := h.usersView(r, v)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "users", uv)
}

// createUser adds a staff user with a one-time password, shown once on
// the answer page; they choose their own at first sign-in.
func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "email", "name", "role")
	if err != nil {
		return err
	}
	var u staff.User
	var pw string
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if u, pw, err = h.auth.CreateUser(r.Context(), tx, auth.NewUserParams{ShopID: v.Shop.ID, Email: in["email"], Name: in["name"],
			Role: staff.Role(in["role"])}); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "staff_user.create", "staff_user", u.ID)
	})
	fe, invalid := fieldErrors(v.L, err)
	if errors.Is(err, errs.ErrConflict) {
		fe, invalid = map[string]string{"email": v.L.T("users.exists")}, true
	}
	if invalid {
		uv, err := h.usersView(r, v)
		if err != nil {
			return err
		}
		uv.Form, uv.Errors = in, fe
		return h.render(w, http.StatusUnprocessableEntity, "users", uv)
	}
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "shown_once", shownOnceView{page: h.newPage(r, v, "users.created.title", "nav.settings"),
		Heading: v.L.T("users.created.title"), Text: v.L.Tf("users.created.text", u.Email), Label: v.L.T("users.created.label"),
		Secrets: []string{pw}, Back: "/admin/settings/users"})
}

// setUserRole changes a role; the last enabled owner keeps theirs (409).
func (h *Handler) setUserRole(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	role, _ := single(f, "role")
	uid := r.PathValue("id")
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := h.auth.SetRole(r.Context(), tx, v.Shop.ID, uid, staff.Role(role)); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "staff_user.role_change", "staff_user", uid)
	})
	return h.afterUserChange(w, r, v, err, "flash.role_changed")
}

// disableUser disables a user and ends their sessions at once.
func (h *Handler) disableUser(w http.ResponseWriter, r *http.Request, v *visit) error {
	uid := r.PathValue("id")
	err := h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := h.auth.Disable(r.Context(), tx, v.Shop.ID, uid); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "staff_user.disable", "staff_user", uid)
	})
	return h.afterUserChange(w, r, v, err, "flash.user_disabled")
}

// afterUserChange redirects after a change, or shows the list again with
// why it was refused (409 for the last owner, 422 for a bad role).
func (h *Handler) afterUserChange(w http.ResponseWriter, r *http.Request, v *visit, err error, flash string) error {
	status, problem := 0, ""
	switch {
	case auth.ErrIsLastOwner(err):
		status, problem = http.StatusConflict, "users.last_owner"
	case errors.Is(err, errs.ErrInvalid):
		status, problem = http.StatusUnprocessableEntity, "users.invalid_role"
	case err != nil:
		return err
	}
	if status != 0 {
		uv, err := h.usersView(r, v)
		if err != nil {
			return err
		}
		uv.Problem = v.L.T(problem)
		return h.render(w, status, "users", uv)
	}
	h.flash(w, flash)
	return seeOther(w, r, "/admin/settings/users")
}
