package delivery

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/channel/email"
	"github.com/kizukai/kizukai/internal/channel/line"
	"github.com/kizukai/kizukai/internal/channel/sms"
	"github.com/kizukai/kizukai/internal/errs"
)

// Channels with a configurable provider.
var Channels = []string{"email", "sms", "line"}

// Providers, by the name Settings.Provider takes.
const (
	ProviderSMTP    = "smtp"    // email
	ProviderGeneric = "generic" // sms: the generic HTTP gateway of SPEC §5
	ProviderTwilio  = "twilio"  // sms
	ProviderLINE    = "line"    // line
)

// providersOf lists the providers each channel accepts; the first is the
// default when a PUT names none.
var providersOf = map[string][]string{
	"email": {ProviderSMTP},
	"sms":   {ProviderGeneric, ProviderTwilio},
	"line":  {ProviderLINE},
}

// Default rates (messages per second per shop and provider, per node):
// conservative figures a provider accepts without throttling a new
// account. A shop raises them in its settings when its contract allows.
var defaultRate = map[string]float64{ProviderSMTP: 10, ProviderGeneric: 30, ProviderTwilio: 10, ProviderLINE: 100}

// maxRate bounds rate_per_second.
const maxRate = 10000

// Input is the body of PUT /channels/{channel}: the provider and its
// fields. Secrets (the password in smtp_url, secret, auth_token,
// channel_secret, channel_access_token) are write-only: left out or empty,
// the stored value is kept.
type Input struct {
	Provider      string  `json:"provider,omitempty" doc:"email: smtp (default); sms: generic (default) or twilio; line: line (default)"`
	SMTPURL       string  `json:"smtp_url,omitempty" doc:"email: smtp://user:pass@host:port (STARTTLS) or smtps://... (TLS); without a password the stored one is kept"`
	From          string  `json:"from,omitempty" doc:"email: the From address; twilio: the sender number, alphanumeric id or messaging service SID (MG...)"`
	StartTLS      string  `json:"starttls,omitempty" doc:"email: required (default), opportunistic or none"`
	URL           string  `json:"url,omitempty" doc:"sms generic: the gateway URL (http or https)"`
	SenderID      string  `json:"sender_id,omitempty" doc:"sms generic: the sender id sent as from"`
	Secret        string  `json:"secret,omitempty" doc:"sms generic: the HMAC key of X-Kizukai-Signature (at least 16 bytes); write-only"`
	AccountSID    string  `json:"account_sid,omitempty" doc:"twilio: the account SID (AC...)"`
	AuthToken     string  `json:"auth_token,omitempty" doc:"twilio: the auth token; write-only"`
	BaseURL       string  `json:"base_url,omitempty" doc:"twilio: the API base URL (default https://api.twilio.com)"`
	ChannelSecret string  `json:"channel_secret,omitempty" doc:"line: the channel secret (verifies webhooks); write-only"`
	ChannelToken  string  `json:"channel_access_token,omitempty" doc:"line: the long-lived channel access token; write-only"`
	Endpoint      string  `json:"endpoint,omitempty" doc:"line: the Messaging API endpoint (default https://api.line.me)"`
	RatePerSecond float64 `json:"rate_per_second,omitempty" doc:"messages per second this node sends through the provider for the shop (default: smtp 10, generic 30, twilio 10, line 100; at most 10000)"`
}

// View is a channel's settings as the API shows them: every secret is
// replaced by whether it is set.
type View struct {
	Channel          string     `json:"channel"`
	Configured       bool       `json:"configured" doc:"false: messages on this channel go to the outbox"`
	Provider         string     `json:"provider"`
	SMTPURL          string     `json:"smtp_url,omitempty" doc:"without the password"`
	SMTPPasswordSet  bool       `json:"smtp_password_set,omitempty"`
	From             string     `json:"from,omitempty"`
	StartTLS         string     `json:"starttls,omitempty"`
	URL              string     `json:"url,omitempty"`
	SenderID         string     `json:"sender_id,omitempty"`
	SecretSet        bool       `json:"secret_set,omitempty"`
	AccountSID       string     `json:"account_sid,omitempty"`
	AuthTokenSet     bool       `json:"auth_token_set,omitempty"`
	BaseURL          string     `json:"base_url,omitempty"`
	ChannelSecretSet bool       `json:"channel_secret_set,omitempty"`
	ChannelTokenSet  bool       `json:"channel_access_token_set,omitempty"`
	Endpoint         string     `json:"endpoint,omitempty"`
	RatePerSecond    float64    `json:"rate_per_second"`
	WebhookPath      string     `json:"webhook_path,omitempty" doc:"where the provider posts status callbacks or webhooks, under the public base URL"`
	UpdatedAt        *time.Time `json:"updated_at"`
}

// config is the stored, non-secret part of a channel's settings.
type config struct {
	Provider      string  `json:"provider"`
	SMTPURL       string  `json:"smtp_url,omitempty"` // without the password
	From          string  `json:"from,omitempty"`
	StartTLS      string  `json:"starttls,omitempty"`
	URL           string  `json:"url,omitempty"`
	SenderID      string  `json:"sender_id,omitempty"`
	AccountSID    string  `json:"account_sid,omitempty"`
	BaseURL       string  `json:"base_url,omitempty"`
	Endpoint      string  `json:"endpoint,omitempty"`
	RatePerSecond float64 `json:"rate_per_second"`
}

// secrets is the sealed part.
type secrets struct {
	SMTPPassword  string `json:"smtp_password,omitempty"`
	Secret        string `json:"secret,omitempty"`
	AuthToken     string `json:"auth_token,omitempty"`
	ChannelSecret string `json:"channel_secret,omitempty"`
	ChannelToken  string `json:"channel_access_token,omitempty"`
}

// Settings are one channel's provider settings, secrets opened.
type Settings struct {
	ShopID    string
	Channel   string
	Version   int64
	UpdatedAt time.Time
	config
	secrets
}

// smtpURL returns the SMTP URL with the stored password put back.
func (s Settings) smtpURL() string {
	u, err := url.Parse(s.SMTPURL)
	if err != nil || u.User == nil || s.SMTPPassword == "" {
		return s.SMTPURL
	}
	u.User = url.UserPassword(u.User.Username(), s.SMTPPassword)
	return u.String()
}

// view returns what the API shows of s.
func (s Settings) view() View {
	t := s.UpdatedAt
	v := View{Channel: s.Channel, Configured: true, Provider: s.Provider, SMTPURL: s.SMTPURL, SMTPPasswordSet: s.SMTPPassword != "",
		From: s.From, StartTLS: s.StartTLS, URL: s.URL, SenderID: s.SenderID, SecretSet: s.Secret != "",
		AccountSID: s.AccountSID, AuthTokenSet: s.AuthToken != "", BaseURL: s.BaseURL,
		ChannelSecretSet: s.ChannelSecret != "", ChannelTokenSet: s.ChannelToken != "", Endpoint: s.Endpoint,
		RatePerSecond: s.RatePerSecond, UpdatedAt: &t}
	return v
}

// URLPolicy says which provider hosts a shop may configure.
type URLPolicy struct {
	// AllowLoopback admits 127.0.0.0/8, ::1 and localhost: tests and
	// gateways on the same machine. Off by default, so a shop cannot make
	// Kizukai post to services bound to the server's loopback.
	AllowLoopback bool
	// Resolve looks host names up (net.DefaultResolver when nil); a name
	// that resolves to a forbidden address is refused. A failed lookup is
	// not an error (the provider may be unreachable at configuration time).
	Resolve func(ctx context.Context, host string) ([]net.IPAddr, error)
}

// metadataHosts are cloud metadata names, refused whatever they resolve to.
var metadataHosts = []string{"metadata", "metadata.google.internal", "metadata.goog", "instance-data"}

// checkHost reports why host may not be contacted, or "".
func (p URLPolicy) checkHost(ctx context.Context, host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if slices.Contains(metadataHosts, host) {
		return "must not be a cloud metadata address"
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		if !p.AllowLoopback {
			return "must not be a loopback address"
		}
		return ""
	}
	ips := []net.IP{}
	if ip := net.ParseIP(host); ip != nil {
		ips = append(ips, ip)
	} else if !validHostname(host) {
		// Anything else (stray bytes after an IP, spaces, non-ASCII) could be
		// read differently by a resolver or a proxy: refuse it.
		return "is not a valid host name"
	} else {
		resolve := p.Resolve
		if resolve == nil {
			resolve = net.DefaultResolver.LookupIPAddr
		}
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		addrs, err := resolve(lctx, host)
		cancel()
		if err == nil {
			for _, a := range addrs {
				ips = append(ips, a.IP)
			}
		}
	}
	for _, ip := range ips {
		switch {
		case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
			return "must not be a link-local or metadata address"
		case ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast():
			return "must be a unicast address"
		case ip.IsLoopback() && !p.AllowLoopback:
			return "must not be a loopback address"
		case ip.Equal(net.ParseIP("100.100.100.200")) || ip.Equal(net.ParseIP("fd00:ec2::254")):
			return "must not be a cloud metadata address"
		}
	}
	return ""
}

// validHostname reports whether host is a DNS name of letters, digits and
// hyphens (IDNs in their xn-- form), at most 253 characters, whose last
// label starts with a letter.
func validHostname(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	labels := strings.Split(host, ".")
	// A top-level label never starts with a digit: "169.254" or
	// "0x7f000001" would be read by some resolvers as IPv4 shorthand.
	if last := labels[len(labels)-1]; last == "" || last[0] < 'a' || last[0] > 'z' {
		return false
	}
	for _, label := range labels {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// checkURL adds a problem for field to f when raw is not an http(s) URL
// to an admissible host.
func (p URLPolicy) checkURL(ctx context.Context, f *errs.Fields, field, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.Fragment != "" {
		f.Add(field, "must be an http or https URL without credentials")
		return
	}
	if problem := p.checkHost(ctx, u.Hostname()); problem != "" {
		f.Add(field, problem)
	}
}

// merge validates in for channel against the stored settings old (zero
// when none) and returns the settings to store. Secrets absent from in are
// kept from old when the provider is unchanged.
func (p URLPolicy) merge(ctx context.Context, shopID, ch string, in Input, old Settings) (Settings, error) {
	allowed, ok := providersOf[ch]
	if !ok {
		return Settings{}, errs.NotFound("channel_not_found", "channels are email, sms and line")
	}
	if in.Provider == "" {
		in.Provider = allowed[0]
	}
	if !slices.Contains(allowed, in.Provider) {
		return Settings{}, errs.Invalid("provider", "for "+ch+": one of "+strings.Join(allowed, ", "))
	}
	s := Settings{ShopID: shopID, Channel: ch, config: config{Provider: in.Provider, RatePerSecond: in.RatePerSecond}}
	keep := old.Provider == in.Provider
	pick := func(new, stored string) string {
		if new == "" && keep {
			return stored
		}
		return new
	}
	var f errs.Fields
	if in.RatePerSecond == 0 {
		s.RatePerSecond = defaultRate[in.Provider]
	} else if in.RatePerSecond < 0.01 || in.RatePerSecond > maxRate {
		f.Add("rate_per_second", "from 0.01 to 10000")
	}
	var err error
	switch in.Provider {
	case ProviderSMTP:
		err = p.mergeSMTP(ctx, &s, in, old, keep, &f)
	case ProviderGeneric:
		s.URL, s.SenderID, s.Secret = in.URL, in.SenderID, pick(in.Secret, old.Secret)
		if in.URL != "" {
			p.checkURL(ctx, &f, "url", in.URL)
		}
		err = sms.GenericConfig{URL: s.URL, From: s.SenderID, Secret: []byte(s.Secret)}.Validate()
	case ProviderTwilio:
		s.AccountSID, s.From, s.BaseURL, s.AuthToken = in.AccountSID, in.From, in.BaseURL, pick(in.AuthToken, old.AuthToken)
		if in.BaseURL != "" {
			p.checkURL(ctx, &f, "base_url", in.BaseURL)
		}
		err = sms.TwilioConfig{BaseURL: s.BaseURL, AccountSID: s.AccountSID, AuthToken: s.AuthToken, From: s.From}.Validate()
	case ProviderLINE:
		s.Endpoint = in.Endpoint
		s.ChannelSecret, s.ChannelToken = pick(in.ChannelSecret, old.ChannelSecret), pick(in.ChannelToken, old.ChannelToken)
		if in.Endpoint != "" {
			p.checkURL(ctx, &f, "endpoint", in.Endpoint)
		}
		err = line.Config{ChannelAccessToken: s.ChannelToken, ChannelSecret: s.ChannelSecret, Endpoint: s.Endpoint}.Validate()
	}
	if s.Provider != ProviderSMTP && (in.SMTPURL != "" || in.StartTLS != "") {
		f.Add("smtp_url", "only for email")
	}
	if s.Provider != ProviderGeneric && (in.URL != "" || in.SenderID != "" || in.Secret != "") {
		f.Add("url", "only for the generic sms provider")
	}
	if s.Provider != ProviderTwilio && (in.AccountSID != "" || in.AuthToken != "" || in.BaseURL != "") {
		f.Add("account_sid", "only for twilio")
	}
	if s.Provider != ProviderLINE && (in.ChannelSecret != "" || in.ChannelToken != "" || in.Endpoint != "") {
		f.Add("channel_secret", "only for line")
	}
	if s.Provider == ProviderGeneric && in.From != "" {
		f.Add("from", "the generic gateway's sender is sender_id")
	}
	addProviderFields(&f, s.Provider, err)
	return s, f.Err()
}

// mergeSMTP validates the email fields; the password comes out of the URL
// into the sealed secrets.
func (p URLPolicy) mergeSMTP(ctx context.Context, s *Settings, in Input, old Settings, keep bool, f *errs.Fields) error {
	s.From, s.StartTLS = in.From, in.StartTLS
	u, err := url.Parse(in.SMTPURL)
	if err != nil || in.SMTPURL == "" {
		f.Add("smtp_url", "must be smtp://[user:pass@]host[:port] or smtps://...")
		return nil
	}
	if problem := p.checkHost(ctx, u.Hostname()); problem != "" && u.Hostname() != "" {
		f.Add("smtp_url", problem)
	}
	if u.User != nil {
		if pass, ok := u.User.Password(); ok {
			s.SMTPPassword = pass
		} else if keep {
			s.SMTPPassword = old.SMTPPassword
		}
		u.User = url.User(u.User.Username())
	}
	s.SMTPURL = u.String()
	return email.Config{SMTPURL: s.smtpURL(), From: s.From, StartTLS: s.StartTLS}.Validate()
}

// addProviderFields copies a provider's validation problems into f, under
// the names of this API (the generic gateway calls its sender "from").
func addProviderFields(f *errs.Fields, provider string, err error) {
	if err == nil {
		return
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		f.Add("provider", "invalid settings")
		return
	}
	for k, v := range e.Fields {
		if provider == ProviderGeneric && k == "from" {
			k = "sender_id"
		}
		if (*f)[k] == "" {
			f.Add(k, v)
		}
	}
}
