package pages

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/token"
)

// Consent sources the pages record.
const (
	SourcePreferences = "preferences_page"
	SourceUnsubscribe = "one_click_unsubscribe"
)

// pushChannels are the channels a shop pushes on, in the order shown.
var pushChannels = []string{"email", "sms", "line", "postal", "phone"}

type prefsView struct {
	page
	Action      string
	Channels    []channelRow
	Preferred   string
	Options     []channelRow // for the preferred channel: reachable ones
	History     []historyRow
	Saved       bool
	Errors      map[string]string
	ReceiptLess bool
}

type channelRow struct {
	Channel   string
	Label     string
	Contact   string // masked contact point; "" when none
	Granted   bool
	Reachable bool
}

type historyRow struct {
	At      time.Time
	Channel string
	Granted bool
	Source  string
}

// mask hides most of a contact point: t***@example.com, ***-5678.
func mask(channel, v string) string {
	if v == "" {
		return ""
	}
	switch channel {
	case "email":
		local, domain, ok := strings.Cut(v, "@")
		if !ok || local == "" {
			return "***"
		}
		r := []rune(local)
		return string(r[0]) + "***@" + domain
	case "sms", "phone":
		if len(v) <= 4 {
			return "***"
		}
		return "***" + v[len(v)-4:]
	case "line":
		return "LINE"
	}
	r := []rune(v)
	if len(r) > 6 {
		return string(r[:6]) + "…"
	}
	return v
}

func contactPoint(c customer.Customer, channel string) string {
	switch channel {
	case "email":
		return c.Email
	case "sms", "phone":
		return c.Phone
	case "line":
		return c.LineUserID
	case "postal":
		return c.PostalAddress
	}
	return ""
}

// prefsForm is the parsed preferences form.
type prefsForm struct {
	Granted   map[string]bool // every push channel: checked or not
	Preferred string
}

// parsePrefsForm reads the preferences form: "consent" values name the
// checked channels, "preferred" one channel or "".
func parsePrefsForm(f url.Values) (prefsForm, errs.Fields) {
	var fields errs.Fields
	p := prefsForm{Granted: map[string]bool{}}
	for _, ch := range pushChannels {
		p.Granted[ch] = false
	}
	if len(f["consent"]) > len(pushChannels) {
		fields.Add("consent", "invalid")
	}
	for _, ch := range f["consent"] {
		if !slices.Contains(pushChannels, ch) {
			fields.Add("consent", "invalid")
			continue
		}
		p.Granted[ch] = true
	}
	pref, ok := single(f, "preferred")
	if !ok || pref != "" && !slices.Contains(pushChannels, pref) {
		fields.Add("preferred", "invalid")
	}
	p.Preferred = pref
	return p, fields
}

func (h *Handler) prefsContext(r *http.Request) (customer.Customer, prefsView, error) {
	c, err := h.verify(r, token.Preferences)
	if err != nil {
		return customer.Customer{}, prefsView{}, err
	}
	cust, err := h.Customers.ByID(r.Context(), c.ShopID, c.ObjectID)
	if err != nil {
		return customer.Customer{}, prefsView{}, notFoundIf(err)
	}
	sh, err := h.shop(r.Context(), c.ShopID)
	if err != nil {
		return customer.Customer{}, prefsView{}, err
	}
	l := chooseLang(r, cust.Locale)
	v := prefsView{page: h.newPage(r, l, sh, "prefs.title"), Action: withLang("/p/"+r.PathValue("token"), l)}
	return cust, v, nil
}

func (h *Handler) fillPrefs(r *http.Request, v *prefsView, cust customer.Customer, granted map[string]bool, preferred string) error {
	v.Channels, v.Options, v.Preferred = nil, nil, preferred
	for _, ch := range pushChannels {
		cp := contactPoint(cust, ch)
		row := channelRow{Channel: ch, Label: v.L.T("channel." + ch), Contact: mask(ch, cp), Granted: granted[ch], Reachable: cp != ""}
		v.Channels = append(v.Channels, row)
		if row.Reachable || ch == preferred {
			v.Options = append(v.Options, row)
		}
	}
	es, err := event.List(r.Context(), h.DB, event.ListParams{ShopID: v.Shop.ID, CustomerID: cust.ID,
		Types: []string{event.ConsentChanged}, Limit: 20})
	if err != nil {
		return err
	}
	for _, e := range es {
		var d struct {
			Channel string `json:"channel"`
			Granted bool   `json:"granted"`
			Source  string `json:"source"`
		}
		if json.Unmarshal(e.Data, &d) != nil || d.Channel == "" {
			continue
		}
		v.History = append(v.History, historyRow{At: e.OccurredAt.In(v.Shop.Location()), Channel: v.L.T("channel." + d.Channel),
			Granted: d.Granted, Source: v.L.T("source." + sourceKey(d.Source))})
	}
	return nil
}

// sourceKey maps a consent source to its catalogue key; sources the pages
// do not know (an integrator's own) show as "other".
func sourceKey(s string) string {
	switch s {
	case SourcePreferences, SourceUnsubscribe, "csv_import", "api", "line_follow", "line_unfollow":
		return s
	}
	return "other"
}

func currentGrants(cust customer.Customer) map[string]bool {
	out := map[string]bool{}
	for ch, c := range cust.Consents {
		out[ch] = c.Granted
	}
	return out
}

func (h *Handler) prefsForm(w http.ResponseWriter, r *http.Request) error {
	cust, v, err := h.prefsContext(r)
	if err != nil {
		return err
	}
	v.Saved = r.URL.Query().Get("saved") == "1"
	if err := h.fillPrefs(r, &v, cust, currentGrants(cust), cust.PreferredChannel); err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "prefs", v)
}

func (h *Handler) prefsSubmit(w http.ResponseWriter, r *http.Request) error {
	cust, v, err := h.prefsContext(r)
	if err != nil {
		return err
	}
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	p, fields := parsePrefsForm(f)
	if len(fields) > 0 {
		v.Errors = h.fieldErrors(v.L, "prefs", fields)
		if err := h.fillPrefs(r, &v, cust, currentGrants(cust), cust.PreferredChannel); err != nil {
			return err
		}
		return h.render(w, http.StatusUnprocessableEntity, "prefs", v)
	}
	in := customer.Input{Consents: map[string]customer.ConsentInput{}}
	current := currentGrants(cust)
	for _, ch := range pushChannels {
		_, had := cust.Consents[ch]
		if p.Granted[ch] == current[ch] && (had || !p.Granted[ch]) {
			continue // unchanged (an unchecked channel without history stays without)
		}
		granted := p.Granted[ch]
		in.Consents[ch] = customer.ConsentInput{Granted: &granted, Source: SourcePreferences,
			Text: v.L.T("prefs.consent_text")}
	}
	if p.Preferred != cust.PreferredChannel {
		in.PreferredChannel = &p.Preferred
	}
	if len(in.Consents) > 0 || in.PreferredChannel != nil {
		if _, err := h.Customers.Update(r.Context(), v.Shop.ID, cust.ID, in); err != nil {
			return notFoundIf(err)
		}
	}
	http.Redirect(w, r, withLang("/p/"+r.PathValue("token"), v.L, "saved", "1"), http.StatusSeeOther)
	return nil
}

// unsubscribeTarget reads an unsubscribe token: the customer, and the
// channels to withdraw (one when the object is "<customer>:<channel>").
func (h *Handler) unsubscribeTarget(r *http.Request) (token.Claims, string, []string, error) {
	c, err := h.verify(r, token.Unsubscribe)
	if err != nil {
		return c, "", nil, err
	}
	customerID, ch, one := strings.Cut(c.ObjectID, ":")
	if !one {
		return c, customerID, pushChannels, nil
	}
	if !slices.Contains(pushChannels, ch) {
		return c, "", nil, notFound()
	}
	return c, customerID, []string{ch}, nil
}

type unsubscribeView struct {
	page
	Action   string
	Channels []string // labels
	Done     bool
	PrefsURL string
}

func (h *Handler) unsubscribeContext(r *http.Request) (customer.Customer, []string, unsubscribeView, error) {
	c, customerID, channels, err := h.unsubscribeTarget(r)
	if err != nil {
		return customer.Customer{}, nil, unsubscribeView{}, err
	}
	cust, err := h.Customers.ByID(r.Context(), c.ShopID, customerID)
	if err != nil {
		return customer.Customer{}, nil, unsubscribeView{}, notFoundIf(err)
	}
	sh, err := h.shop(r.Context(), c.ShopID)
	if err != nil {
		return customer.Customer{}, nil, unsubscribeView{}, err
	}
	l := chooseLang(r, cust.Locale)
	v := unsubscribeView{page: h.newPage(r, l, sh, "unsub.title"), Action: withLang("/u/"+r.PathValue("token"), l),
		PrefsURL: withLang("/p/"+h.sign(token.Preferences, sh.ID, cust.ID, time.Time{}), l)}
	for _, ch := range channels {
		v.Channels = append(v.Channels, l.T("channel."+ch))
	}
	return cust, channels, v, nil
}

// unsubscribeForm shows the one-button confirmation; GET changes nothing.
func (h *Handler) unsubscribeForm(w http.ResponseWriter, r *http.Request) error {
	_, _, v, err := h.unsubscribeContext(r)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "unsubscribe", v)
}

// unsubscribe is the RFC 8058 one-click POST (and the confirmation
// button's): the body must carry List-Unsubscribe=One-Click. Channels
// already withdrawn are left alone, so repeating it changes nothing.
func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	cust, channels, v, err := h.unsubscribeContext(r)
	if err != nil {
		return err
	}
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	if vs := f["List-Unsubscribe"]; len(vs) != 1 || vs[0] != "One-Click" {
		return errs.Malformed("one_click_required", "the body must be List-Unsubscribe=One-Click")
	}
	in := customer.Input{Consents: map[string]customer.ConsentInput{}}
	for _, ch := range channels {
		if c, ok := cust.Consents[ch]; ok && !c.Granted {
			continue
		}
		no := false
		in.Consents[ch] = customer.ConsentInput{Granted: &no, Source: SourceUnsubscribe, Text: v.L.T("unsub.consent_text")}
	}
	if len(in.Consents) > 0 {
		if _, err := h.Customers.Update(r.Context(), v.Shop.ID, cust.ID, in); err != nil {
			return notFoundIf(err)
		}
	}
	v.Done = true
	return h.render(w, http.StatusOK, "unsubscribe", v)
}
