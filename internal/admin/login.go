package admin

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/kizukai/kizukai/internal/admin/audit"
	"github.com/kizukai/kizukai/internal/admin/auth"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/staff"
)

// loginView is the sign-in form.
type loginView struct {
	page
	Email string
	Next  string
	Error string // one message for every failure: nothing tells which part was wrong
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	if v.signedIn() {
		return seeOther(w, r, "/admin/")
	}
	return h.render(w, http.StatusOK, "login", loginView{page: h.newPage(r, v, "login.title", ""), Next: r.URL.Query().Get("next")})
}

// login checks email and password. Every failure, unknown email or wrong
// password alike, gets the same page and status after the same work (one
// password hash at least); the throttle counts failures per email and per
// client address.
func (h *Handler) login(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "email", "password", "next")
	if err != nil {
		return err
	}
	view := loginView{page: h.newPage(r, v, "login.title", ""), Email: in["email"], Next: in["next"]}
	acct, addr := auth.AccountKey(in["email"]), auth.AddressKey(clientIP(r))
	wait, err := h.auth.Blocked(r.Context(), auth.Limit{Key: acct, Window: auth.AccountWindow}, auth.Limit{Key: addr, Window: auth.AddressWindow})
	if err != nil {
		return err
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
		view.Error = v.L.T("login.throttled")
		return h.render(w, http.StatusTooManyRequests, "login", view)
	}
	var cands []auth.Candidate
	if in["email"] != "" && in["password"] != "" && len(in["password"]) <= 1024 {
		if cands, err = h.auth.CheckCredentials(r.Context(), in["email"], in["password"]); err != nil {
			return err
		}
	}
	if len(cands) == 0 {
		if err := h.auth.Fail(r.Context(), acct, addr); err != nil {
			return err
		}
		h.Log.InfoContext(r.Context(), "admin sign-in failed", "request_id", httpx.RequestID(r.Context()))
		view.Error = v.L.T("login.failed")
		return h.render(w, http.StatusUnauthorized, "login", view)
	}
	var tok string
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := h.auth.Forgive(r.Context(), tx, acct); err != nil {
			return err
		}
		if len(cands) > 1 {
			ids := make([]string, len(cands))
			for i, c := range cands {
				ids[i] = c.User.ID
			}
			tok, err = h.auth.NewSession(r.Context(), tx, auth.NewSessionParams{Stage: auth.StageChoose, Candidates: ids, Replaces: v.Token})
			return err
		}
		tok, err = h.startSession(r, tx, cands[0].User, v.Token)
		return err
	})
	if err != nil {
		return err
	}
	if _, err := h.auth.PurgeExpired(r.Context()); err != nil {
		return err
	}
	h.setSession(w, tok)
	if len(cands) > 1 {
		return seeOther(w, r, "/admin/login/shop")
	}
	return h.afterPassword(w, r, tok, in["next"])
}

// startSession opens the session of a user whose password (and shop) is
// settled: the second-factor stage when they use TOTP, else signed in.
func (h *Handler) startSession(r *http.Request, tx db.DBTX, u staff.User, replaces string) (string, error) {
	a, err := auth.AccountOf(r.Context(), tx, u.ShopID, u.ID)
	if err != nil {
		return "", err
	}
	stage := auth.StageFull
	if a.TOTPEnabled {
		stage = auth.StageTOTP
	}
	tok, err := h.auth.NewSession(r.Context(), tx, auth.NewSessionParams{ShopID: u.ShopID, UserID: u.ID, Stage: stage, Replaces: replaces})
	if err != nil {
		return "", err
	}
	if stage == auth.StageFull {
		err = h.audit(r, tx, u.ShopID, u.ID, "session.login", "staff_user", u.ID)
	}
	return tok, err
}

// afterPassword goes on from a settled password: to the second factor, or in.
func (h *Handler) afterPassword(w http.ResponseWriter, r *http.Request, tok, next string) error {
	s, err := h.auth.Lookup(r.Context(), tok)
	if err != nil {
		return err
	}
	if s.Stage == auth.StageTOTP {
		return seeOther(w, r, "/admin/login/totp")
	}
	return seeOther(w, r, safeNext(next))
}

type chooseView struct {
	page
	Shops []auth.Candidate
}

func (h *Handler) chooseShopForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	if v.Session.Stage != auth.StageChoose {
		return seeOther(w, r, "/admin/login/totp")
	}
	shops, err := auth.Choices(r.Context(), h.DB, v.Session.Candidates)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "login_shop", chooseView{page: h.newPage(r, v, "login.shop.title", ""), Shops: shops})
}

// chooseShop settles which shop's account signs in, among those whose
// password matched; a new session replaces the chooser's.
func (h *Handler) chooseShop(w http.ResponseWriter, r *http.Request, v *visit) error {
	if v.Session.Stage != auth.StageChoose {
		return seeOther(w, r, "/admin/login/totp")
	}
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	uid, _ := single(f, "user")
	if !slices.Contains(v.Session.Candidates, uid) {
		return seeOther(w, r, "/admin/login/shop")
	}
	var tok string
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		cs, err := auth.Choices(r.Context(), tx, []string{uid})
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return errs.NotFound("user_not_found", "staff user not found")
		}
		u, err := staff.ByID(r.Context(), tx, cs[0].User.ShopID, uid)
		if err != nil {
			return err
		}
		tok, err = h.startSession(r, tx, u, v.Token)
		return err
	})
	if err != nil {
		return err
	}
	h.setSession(w, tok)
	return h.afterPassword(w, r, tok, "")
}

type totpLoginView struct {
	page
	Error string
}

func (h *Handler) totpLoginForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	if v.Session.Stage != auth.StageTOTP {
		return seeOther(w, r, "/admin/login/shop")
	}
	return h.render(w, http.StatusOK, "login_totp", totpLoginView{page: h.newPage(r, v, "login.totp.title", "")})
}

// totpLogin checks the second factor (a TOTP code or a recovery code),
// under the same throttle as passwords, keyed by user and address.
func (h *Handler) totpLogin(w http.ResponseWriter, r *http.Request, v *visit) error {
	if v.Session.Stage != auth.StageTOTP {
		return seeOther(w, r, "/admin/login/shop")
	}
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	code, _ := single(f, "code")
	view := totpLoginView{page: h.newPage(r, v, "login.totp.title", "")}
	u := v.Session.User
	userKey, addr := auth.UserKey(u.ID), auth.AddressKey(clientIP(r))
	wait, err := h.auth.Blocked(r.Context(), auth.Limit{Key: userKey, Window: auth.AccountWindow}, auth.Limit{Key: addr, Window: auth.AddressWindow})
	if err != nil {
		return err
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)))
		view.Error = v.L.T("login.throttled")
		return h.render(w, http.StatusTooManyRequests, "login_totp", view)
	}
	var tok string
	var ok bool
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		var recovery bool
		ok, recovery, err = h.auth.SecondFactor(r.Context(), tx, u.ShopID, u.ID, code)
		if err != nil || !ok {
			return err
		}
		if recovery {
			if err := h.audit(r, tx, u.ShopID, u.ID, "totp.recovery_code_used", "staff_user", u.ID); err != nil {
				return err
			}
		}
		if err := h.auth.Forgive(r.Context(), tx, userKey); err != nil {
			return err
		}
		if tok, err = h.auth.NewSession(r.Context(), tx, auth.NewSessionParams{ShopID: u.ShopID, UserID: u.ID, Stage: auth.StageFull, Replaces: v.Token}); err != nil {
			return err
		}
		return h.audit(r, tx, u.ShopID, u.ID, "session.login", "staff_user", u.ID)
	})
	if err != nil {
		return err
	}
	if !ok {
		if err := h.auth.Fail(r.Context(), userKey, addr); err != nil {
			return err
		}
		view.Error = v.L.T("login.totp.failed")
		return h.render(w, http.StatusUnauthorized, "login_totp", view)
	}
	h.setSession(w, tok)
	return seeOther(w, r, "/admin/")
}

// logout ends the session on the server and in the browser.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, v *visit) error {
	if v.Token != "" {
		err := h.DB.InTx(r.Context(), func(tx *db.Tx) error {
			if v.signedIn() {
				if err := h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "session.logout", "staff_user", v.Session.User.ID); err != nil {
					return err
				}
			}
			return h.auth.EndSession(r.Context(), tx, v.Token)
		})
		if err != nil {
			return err
		}
	}
	h.clearSession(w)
	h.flash(w, "flash.logged_out")
	return seeOther(w, r, "/admin/login")
}

// audit records a staff action in tx.
func (h *Handler) audit(r *http.Request, tx db.DBTX, shopID, actorID, action, objectType, objectID string) error {
	return audit.Record(r.Context(), tx, audit.RecordParams{ShopID: shopID, ActorID: actorID, Action: action,
		ObjectType: objectType, ObjectID: objectID, At: h.Clock.Now()})
}
