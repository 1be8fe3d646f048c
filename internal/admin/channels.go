package admin

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/errs"
)

// channelRoutes are the channel settings pages (owner only): the delivery
// providers of email, SMS and LINE, as GET/PUT /api/v1/channels/{channel}.
func (h *Handler) channelRoutes() []route {
	return []route{
		{"GET", "/admin/settings/channels", owner, h.channelsPage},
		{"POST", "/admin/settings/channels/{channel}", owner, h.saveChannel},
	}
}

// chanForm is one provider's settings form: the stored settings (secrets
// only as whether they are set) or, after a refused save, what was typed
// (secrets never echoed).
type chanForm struct {
	Channel, Provider string
	ID                string // prefix of the form's element IDs
	Values            map[string]string
	Set               map[string]bool // secret fields: stored or not
	Errors            map[string]string
	Active            bool // the channel's stored provider
}

// chanCard is one channel: its state and its forms (SMS has two providers).
type chanCard struct {
	Channel    string
	View       delivery.View
	WebhookURL string
	Forms      []*chanForm
}

// channelsView is the channel settings page.
type channelsView struct {
	settingsPage
	Cards   []chanCard
	Invalid bool
}

// chanProviders are the forms of each channel, by provider.
var chanProviders = map[string][]string{
	"email": {delivery.ProviderSMTP},
	"sms":   {delivery.ProviderGeneric, delivery.ProviderTwilio},
	"line":  {delivery.ProviderLINE},
}

// chanFields are the text fields of each provider's form; chanSecrets
// its write-only ones.
var (
	chanFields = map[string][]string{
		delivery.ProviderSMTP:    {"smtp_url", "from", "starttls", "rate_per_second"},
		delivery.ProviderGeneric: {"url", "sender_id", "rate_per_second"},
		delivery.ProviderTwilio:  {"account_sid", "from", "base_url", "rate_per_second"},
		delivery.ProviderLINE:    {"endpoint", "rate_per_second"},
	}
	chanSecrets = map[string][]string{
		delivery.ProviderSMTP:    {"smtp_password"},
		delivery.ProviderGeneric: {"secret"},
		delivery.ProviderTwilio:  {"auth_token"},
		delivery.ProviderLINE:    {"channel_secret", "channel_access_token"},
	}
)

// storedForm fills a provider's form from the channel's view.
func storedForm(v delivery.View, provider string) *chanForm {
	f := &chanForm{Channel: v.Channel, Provider: provider, ID: v.Channel + "-" + provider, Values: map[string]string{},
		Set: map[string]bool{}, Active: v.Configured && v.Provider == provider}
	if !f.Active {
		return f
	}
	f.Values = map[string]string{"smtp_url": v.SMTPURL, "from": v.From, "starttls": v.StartTLS, "url": v.URL, "sender_id": v.SenderID,
		"account_sid": v.AccountSID, "base_url": v.BaseURL, "endpoint": v.Endpoint, "rate_per_second": formatRate(v.RatePerSecond)}
	f.Set = map[string]bool{"smtp_password": v.SMTPPasswordSet, "secret": v.SecretSet, "auth_token": v.AuthTokenSet,
		"channel_secret": v.ChannelSecretSet, "channel_access_token": v.ChannelTokenSet}
	return f
}

func formatRate(r float64) string {
	if r == 0 {
		return ""
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// channelsView builds the page; typed replaces the form of its channel
// and provider (a refused save).
func (h *Handler) channelsView(r *http.Request, v *visit, typed *chanForm) (channelsView, error) {
	cv := channelsView{settingsPage: h.settingsPage(r, v, "settings.channels"), Invalid: typed != nil}
	for _, ch := range delivery.Channels {
		view, err := h.Delivery.Channel(r.Context(), v.Shop.ID, ch)
		if err != nil {
			return channelsView{}, err
		}
		card := chanCard{Channel: ch, View: view}
		if view.WebhookPath != "" {
			card.WebhookURL = strings.TrimRight(h.BaseURL, "/") + view.WebhookPath
		}
		for _, p := range chanProviders[ch] {
			f := storedForm(view, p)
			if typed != nil && typed.Channel == ch && typed.Provider == p {
				typed.Set, typed.Active = f.Set, f.Active
				f = typed
			}
			card.Forms = append(card.Forms, f)
		}
		cv.Cards = append(cv.Cards, card)
	}
	return cv, nil
}

func (h *Handler) channelsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	cv, err := h.channelsView(r, v, nil)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "channels_settings", cv)
}

// withoutPassword drops a password from a typed SMTP URL, so that a
// refused form never shows it back.
func withoutPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.LastIndex(raw, "@"); err != nil && i > 0 {
			return "" // unreadable, and it may hold a password: not echoed
		}
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// saveChannel stores one provider's settings through the delivery service
// (as PUT /api/v1/channels/{channel}); a secret field left empty keeps the
// stored secret. On a problem nothing is stored and the form comes back
// with every problem named.
func (h *Handler) saveChannel(w http.ResponseWriter, r *http.Request, v *visit) error {
	ch := r.PathValue("channel")
	if _, err := h.Delivery.Channel(r.Context(), v.Shop.ID, ch); err != nil {
		return err // an unknown channel: 404
	}
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	provider, ok := single(f, "provider")
	if !ok {
		return errs.Malformed("malformed_form", "the form could not be read")
	}
	provider = strings.TrimSpace(provider)
	if !slices.Contains(chanProviders[ch], provider) {
		return errs.Malformed("malformed_form", "unknown provider for this channel")
	}
	in, err := fields(f, append(append([]string{}, chanFields[provider]...), chanSecrets[provider]...)...)
	if err != nil {
		return err
	}
	typed := &chanForm{Channel: ch, Provider: provider, ID: ch + "-" + provider, Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range chanFields[provider] {
		typed.Values[k] = in[k]
	}
	typed.Values["smtp_url"] = withoutPassword(in["smtp_url"])
	input := delivery.Input{Provider: provider}
	var bad errs.Fields
	if s := in["rate_per_second"]; s != "" {
		if n, err := strconv.ParseFloat(s, 64); err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			// Out of range on purpose: the service names it, with every
			// other problem of the form, and stores nothing.
			input.RatePerSecond = -1
		} else {
			input.RatePerSecond = n
		}
	}
	switch provider {
	case delivery.ProviderSMTP:
		input.SMTPURL, input.From, input.StartTLS = in["smtp_url"], in["from"], in["starttls"]
		if pass := in["smtp_password"]; pass != "" {
			u, err := url.Parse(in["smtp_url"])
			switch {
			case err != nil || u.Host == "":
				// The URL's own problem is reported below.
			case u.User == nil || u.User.Username() == "":
				bad.Add("smtp_password", "put the user name in the SMTP URL (smtp://user@host:587)")
			default:
				u.User = url.UserPassword(u.User.Username(), pass)
				input.SMTPURL = u.String()
			}
		}
	case delivery.ProviderGeneric:
		input.URL, input.SenderID, input.Secret = in["url"], in["sender_id"], in["secret"]
	case delivery.ProviderTwilio:
		input.AccountSID, input.From, input.BaseURL, input.AuthToken = in["account_sid"], in["from"], in["base_url"], in["auth_token"]
	case delivery.ProviderLINE:
		input.Endpoint, input.ChannelSecret, input.ChannelToken = in["endpoint"], in["channel_secret"], in["channel_access_token"]
	}
	if len(bad) == 0 {
		_, err = h.Delivery.PutChannel(r.Context(), v.Shop.ID, ch, input)
		if err == nil {
			// The delivery service stores in a transaction of its own; the
			// entry follows it at once.
			err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
				return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "channel.update", "channel", ch)
			})
			if err != nil {
				return err
			}
			h.flash(w, "flash.saved")
			return seeOther(w, r, "/admin/settings/channels#channel-"+ch)
		}
	} else {
		err = bad.Err()
	}
	var e *errs.Error
	if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) || len(e.Fields) == 0 {
		return err
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	known := map[string]bool{}
	for _, k := range append(append([]string{}, chanFields[provider]...), chanSecrets[provider]...) {
		known[k] = true
	}
	for _, k := range keys {
		field := k
		if !known[field] {
			field = "provider" // a problem of no field of this form: shown at its top
		}
		msg := chanProblem(v.L, e.Fields[k])
		if typed.Errors[field] != "" {
			msg = typed.Errors[field] + " / " + msg
		}
		typed.Errors[field] = msg
	}
	cv, err := h.channelsView(r, v, typed)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusUnprocessableEntity, "channels_settings", cv)
}

// chanProblem translates a channel settings problem: the channels' own
// texts first, then the shared ones.
func chanProblem(l Lang, p string) string {
	if s, ok := catalogue[l.Code]["channels.problem."+p]; ok {
		return s
	}
	return l.Problem(p)
}

// chanField is one input of a provider form, for the template.
type chanField struct {
	L                     Lang
	ID, Name, Label, Hint string
	Value, Type, Error    string
	Secret, IsSet         bool
	Options               []string // a select's choices
}

// Fields are the inputs of the form, in order.
func (f *chanForm) Fields(l Lang) []chanField {
	var out []chanField
	add := func(name string, secret bool) {
		cf := chanField{L: l, ID: f.ID + "-" + name, Name: name, Label: l.T("channels.field." + name), Value: f.Values[name], Type: "text",
			Error: f.Errors[name], Secret: secret, IsSet: f.Set[name]}
		if hasKey("channels.hint." + f.Provider + "." + name) {
			cf.Hint = l.T("channels.hint." + f.Provider + "." + name)
		} else if hasKey("channels.hint." + name) {
			cf.Hint = l.T("channels.hint." + name)
		}
		switch {
		case secret:
			cf.Type, cf.Value = "password", ""
		case name == "starttls":
			cf.Options = []string{"", "required", "opportunistic", "none"}
		case name == "smtp_url" || name == "url" || name == "base_url" || name == "endpoint":
			cf.Type = "url"
		case name == "rate_per_second":
			cf.Type = "number"
		}
		out = append(out, cf)
	}
	// The secrets come before the rate, the last field of every form.
	for _, name := range chanFields[f.Provider] {
		if name == "rate_per_second" {
			for _, s := range chanSecrets[f.Provider] {
				add(s, true)
			}
		}
		add(name, false)
	}
	return out
}
