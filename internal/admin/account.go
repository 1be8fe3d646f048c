package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kizukai/kizukai/internal/admin/auth"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/staff"
)

// accountView is the signed-in user's own page: password and two-factor.
type accountView struct {
	page
	Setup        auth.Setup
	TOTPEnabled  bool
	CodesLeft    int
	Errors       map[string]string
	PasswordRule string
}

func (h *Handler) accountView(r *http.Request, v *visit) (accountView, error) {
	u := v.Session.User
	a, err := auth.AccountOf(r.Context(), h.DB, u.ShopID, u.ID)
	if err != nil {
		return accountView{}, err
	}
	left, err := auth.RecoveryCodesLeft(r.Context(), h.DB, u.ShopID, u.ID)
	if err != nil {
		return accountView{}, err
	}
	return accountView{page: h.newPage(r, v, "account.title", ""), Setup: v.Setup, TOTPEnabled: a.TOTPEnabled, CodesLeft: left}, nil
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	view, err := h.accountView(r, v)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "account", view)
}

// changePassword needs the current password; it ends every session of the
// user and hands this browser a new one.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in := map[string]string{}
	for _, n := range []string{"current_password", "new_password", "confirm_password"} {
		s, ok := single(f, n)
		if !ok {
			return errs.Malformed("malformed_form", "the form could not be read")
		}
		in[n] = s // passwords are not trimmed
	}
	u := v.Session.User
	key := auth.UserKey(u.ID)
	if wait, err := h.auth.Blocked(r.Context(), auth.Limit{Key: key, Window: auth.AccountWindow}); err != nil {
		return err
	} else if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
		h.renderError(w, r, v, http.StatusTooManyRequests)
		return nil
	}
	tok, err := h.auth.ChangePassword(r.Context(), auth.ChangePasswordParams{ShopID: u.ShopID, UserID: u.ID,
		Current: in["current_password"], New: in["new_password"], Confirm: in["confirm_password"], Replaces: v.Token,
		AuditFunc: func(ctx context.Context, tx db.DBTX) error {
			return h.audit(r, tx, u.ShopID, u.ID, "staff_user.password_change", "staff_user", u.ID)
		}})
	if fe, ok := fieldErrors(v.L, err); ok {
		var e *errs.Error
		if errors.As(err, &e) && e.Fields["current_password"] != "" {
			if err := h.auth.Fail(r.Context(), key); err != nil {
				return err
			}
		}
		view, err := h.accountView(r, v)
		if err != nil {
			return err
		}
		view.Errors = fe
		return h.render(w, http.StatusUnprocessableEntity, "account", view)
	}
	if err != nil {
		return err
	}
	h.setSession(w, tok)
	h.flash(w, "flash.password_changed")
	return seeOther(w, r, "/admin/account")
}

// totpView is the two-factor page: start, confirm with the secret shown as
// text (no QR code: nothing leaves the server), or turn off.
type totpView struct {
	page
	Setup   auth.Setup
	Enabled bool
	Pending bool
	Secret  string // grouped for typing
	URI     string // otpauth://
	Errors  map[string]string
}

func (h *Handler) totpView(r *http.Request, v *visit) (totpView, error) {
	u := v.Session.User
	a, err := auth.AccountOf(r.Context(), h.DB, u.ShopID, u.ID)
	if err != nil {
		return totpView{}, err
	}
	tv := totpView{page: h.newPage(r, v, "totp.title", ""), Setup: v.Setup, Enabled: a.TOTPEnabled, Pending: a.TOTPPending != ""}
	if tv.Pending && !tv.Enabled {
		tv.Secret = auth.GroupSecret(a.TOTPPending)
		tv.URI = auth.OTPAuthURI("Kizukai "+v.Shop.Name, u.Email, a.TOTPPending)
	}
	return tv, nil
}

func (h *Handler) totpPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	tv, err := h.totpView(r, v)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "account_totp", tv)
}

func (h *Handler) totpStart(w http.ResponseWriter, r *http.Request, v *visit) error {
	u := v.Session.User
	if err := h.DB.InTx(r.Context(), func(tx *db.Tx) error { return h.auth.StartTOTP(r.Context(), tx, u.ShopID, u.ID) }); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/account/totp")
}

// shownOnceView shows secrets that are never shown again: a new API key,
// a one-time password, recovery codes. It is the answer to the POST itself
// (no redirect), so the secret is never in a URL or a cookie.
type shownOnceView struct {
	page
	Heading string
	Text    string
	Label   string
	Secrets []string
	Back    string
}

func (h *Handler) totpConfirm(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	code, _ := single(f, "code")
	u := v.Session.User
	var codes []string
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if codes, err = h.auth.ConfirmTOTP(r.Context(), tx, u.ShopID, u.ID, code); err != nil {
			return err
		}
		return h.audit(r, tx, u.ShopID, u.ID, "staff_user.totp_enable", "staff_user", u.ID)
	})
	if fe, ok := fieldErrors(v.L, err); ok {
		tv, err := h.totpView(r, v)
		if err != nil {
			return err
		}
		tv.Errors = fe
		return h.render(w, http.StatusUnprocessableEntity, "account_totp", tv)
	}
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "shown_once", shownOnceView{page: h.newPage(r, v, "totp.codes.title", ""),
		Heading: v.L.T("totp.codes.title"), Text: v.L.T("totp.codes.text"), Label: v.L.T("totp.codes.label"), Secrets: codes, Back: "/admin/account"})
}

// totpDisable turns two-factor sign-in off, with the password as proof;
// an owner of a shop that requires it cannot.
func (h *Handler) totpDisable(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	pw, _ := single(f, "password")
	u := v.Session.User
	fe := map[string]string{}
	if req, err := auth.RequireOwnerTOTP(r.Context(), h.DB, u.ShopID); err != nil {
		return err
	} else if req && u.Role == staff.Owner {
		fe["password"] = v.L.T("totp.required_by_shop")
	} else if ok, err := h.auth.CheckPassword(r.Context(), u.ShopID, u.ID, pw); err != nil {
		return err
	} else if !ok {
		fe["password"] = v.L.Problem("does not match")
	}
	if len(fe) > 0 {
		tv, err := h.totpView(r, v)
		if err != nil {
			return err
		}
		tv.Errors = fe
		return h.render(w, http.StatusUnprocessableEntity, "account_totp", tv)
	}
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := h.auth.DisableTOTP(r.Context(), tx, u.ShopID, u.ID); err != nil {
			return err
		}
		return h.audit(r, tx, u.ShopID, u.ID, "staff_user.totp_disable", "staff_user", u.ID)
	})
	if err != nil {
		return err
	}
	h.flash(w, "flash.totp_disabled")
	return seeOther(w, r, "/admin/account")
}
