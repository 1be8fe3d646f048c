package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // Twilio signs webhooks with HMAC-SHA1; not our choice
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/errs"
)

// TwilioBaseURL is Twilio's REST API.
const TwilioBaseURL = "https://api.twilio.com"

// TwilioConfig configures a shop's Twilio account.
type TwilioConfig struct {
	BaseURL    string // TwilioBaseURL when empty; a test server in tests
	AccountSID string // AC...
	AuthToken  string // also the key of X-Twilio-Signature
	// From is the sender: a number, an alphanumeric sender id, or a
	// messaging service SID (MG...), sent as MessagingServiceSid.
	From string
	// StatusCallback is the public URL Twilio posts status changes to (built
	// from the configured base URL); Send adds ?id=<message id>. Empty for
	// none.
	StatusCallback string
	Timeout        time.Duration // per request; DefaultTimeout when zero
	HTTPClient     *http.Client  // replaces the client built from Timeout (tests)
}

// Validate checks c, naming fields as the channel settings API does.
func (c TwilioConfig) Validate() error {
	var f errs.Fields
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.Add("base_url", "must be an http or https URL")
		}
	}
	if !strings.HasPrefix(c.AccountSID, "AC") || len(c.AccountSID) > 64 || strings.ContainsAny(c.AccountSID, "/?#%") {
		f.Add("account_sid", "must be a Twilio account SID (AC...)")
	}
	if c.AuthToken == "" {
		f.Add("auth_token", "required")
	}
	if c.From == "" {
		f.Add("from", "required")
	}
	if c.StatusCallback != "" {
		if u, err := url.Parse(c.StatusCallback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.Add("status_callback", "must be an http or https URL")
		}
	}
	return f.Err()
}

// Twilio sends SMS through Twilio's Messages API.
type Twilio struct {
	cfg    TwilioConfig
	client *http.Client
}

var _ channel.Sender = (*Twilio)(nil)

// NewTwilio returns a Twilio provider for a valid cfg.
func NewTwilio(cfg TwilioConfig) (*Twilio, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = TwilioBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Twilio{cfg: cfg, client: newHTTPClient(cfg.HTTPClient, cfg.Timeout)}, nil
}

// Name returns "twilio".
func (t *Twilio) Name() string { return "twilio" }

// Dedupes returns false: Twilio documents that creating a message is not
// idempotent, so a retry after a lost reply may deliver twice.
func (t *Twilio) Dedupes() bool { return false }

// Form returns the form Send posts for m.
func (t *Twilio) Form(m channel.Message) url.Values {
	form := url.Values{"To": {m.To.Phone}, "Body": {m.Text}}
	if strings.HasPrefix(t.cfg.From, "MG") {
		form.Set("MessagingServiceSid", t.cfg.From)
	} else {
		form.Set("From", t.cfg.From)
	}
	if t.cfg.StatusCallback != "" {
		form.Set("StatusCallback", withID(t.cfg.StatusCallback, m.ID))
	}
	return form
}

// withID adds id=<id> to the query of callback.
func withID(callback, id string) string {
	u, err := url.Parse(callback)
	if err != nil { // validated in NewTwilio
		return callback
	}
	q := u.Query()
	q.Set("id", id)
	u.RawQuery = q.Encode()
	return u.String()
}

// twilioReply is the part of a Messages API reply Send reads.
type twilioReply struct {
	SID         string `json:"sid"`
	NumSegments string `json:"num_segments"`
	Code        int    `json:"code"` // error replies only
}

// Send creates a message. 2xx is sent; 4xx permanent (408, 409 and 429
// retryable); 5xx and a lost reply ambiguous: Twilio may have accepted it.
func (t *Twilio) Send(ctx context.Context, m channel.Message) (channel.Receipt, error) {
	if m.ID == "" || m.To.Phone == "" || m.Text == "" {
		return channel.Receipt{}, channel.Permanent(errors.New("sms message needs an id, a phone number and a body"))
	}
	endpoint := t.cfg.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.cfg.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(t.Form(m).Encode()))
	if err != nil {
		return channel.Receipt{}, channel.Permanent(errors.New("twilio url is not usable"))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Kizukai")
	req.SetBasicAuth(t.cfg.AccountSID, t.cfg.AuthToken)
	res, err := do(t.client, req)
	if err != nil {
		return channel.Receipt{}, fmt.Errorf("twilio: %w", err)
	}
	var reply twilioReply
	decodeErr := json.NewDecoder(io.LimitReader(res.Body, maxReply)).Decode(&reply)
	drain(res)
	switch code := res.StatusCode; {
	case code >= 200 && code < 300:
		if decodeErr != nil || reply.SID == "" {
			// Accepted, but we cannot tell which message it is: the status
			// callback still finds it by the id in its URL.
			return channel.Receipt{}, nil
		}
		segments, _ := strconv.Atoi(reply.NumSegments)
		if segments == 0 {
			_, _, segments = Segments(m.Text)
		}
		return channel.Receipt{ProviderID: reply.SID, Segments: segments}, nil
	case temporary4xx(code):
		return channel.Receipt{}, channel.Retryable(fmt.Errorf("twilio replied %d (error %d)", code, reply.Code))
	case code >= 500:
		return channel.Receipt{}, channel.Ambiguous(fmt.Errorf("twilio replied %d (error %d)", code, reply.Code))
	default:
		// Twilio's message text echoes the phone number: keep only its code.
		return channel.Receipt{}, channel.Permanent(fmt.Errorf("twilio replied %d (error %d)", code, reply.Code))
	}
}

// TwilioSignature computes X-Twilio-Signature for a request to fullURL with
// form parameters form: Base64(HMAC-SHA1(authToken, fullURL followed by
// each parameter name and value, sorted by name, then by value)).
func TwilioSignature(authToken, fullURL string, form url.Values) string {
	h := hmac.New(sha1.New, []byte(authToken))
	h.Write([]byte(fullURL))
	for _, k := range slices.Sorted(maps.Keys(form)) {
		for _, v := range slices.Sorted(slices.Values(form[k])) {
			h.Write([]byte(k))
			h.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// VerifyTwilioSignature reports whether signature is Twilio's signature of
// a POST to fullURL with form parameters form, comparing in constant time.
// fullURL must be rebuilt from the configured public base URL and the
// request's path and query, never from the request's Host (a proxy may
// rewrite it, and a forged Host would then sign for itself). An empty auth
// token verifies nothing.
func VerifyTwilioSignature(authToken, fullURL string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	want := TwilioSignature(authToken, fullURL, form)
	return subtle.ConstantTimeCompare([]byte(want), []byte(signature)) == 1
}

// TwilioCallback is a verified status callback from Twilio.
type TwilioCallback struct {
	ID        string // our message id, from the callback URL's id parameter
	SID       string // Twilio's MessageSid
	Status    string // Twilio's MessageStatus: queued, sent, delivered, undelivered, failed, ...
	ErrorCode string // Twilio's ErrorCode on failures
}

// Outcome maps Twilio's status to the generic one: StatusDelivered,
// StatusFailed, or "" for an intermediate status that changes nothing.
func (c TwilioCallback) Outcome() string {
	switch c.Status {
	case "delivered", "read":
		return StatusDelivered
	case "failed", "undelivered", "canceled":
		return StatusFailed
	}
	return ""
}

// ParseTwilioCallback reads a verified status callback: query is the
// callback URL's query (it carries id), form the POSTed parameters.
func ParseTwilioCallback(query, form url.Values) (TwilioCallback, error) {
	c := TwilioCallback{ID: query.Get("id"), SID: form.Get("MessageSid"), Status: form.Get("MessageStatus"), ErrorCode: form.Get("ErrorCode")}
	var f errs.Fields
	if c.ID == "" || len(c.ID) > maxCallbackID {
		f.Add("id", "required, at most 200 bytes")
	}
	if c.SID == "" || len(c.SID) > 64 {
		f.Add("MessageSid", "required, at most 64 bytes")
	}
	if c.Status == "" || len(c.Status) > 32 {
		f.Add("MessageStatus", "required, at most 32 bytes")
	}
	if len(c.ErrorCode) > 16 {
		f.Add("ErrorCode", "at most 16 bytes")
	}
	return c, f.Err()
}
