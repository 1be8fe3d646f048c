package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/errs"
)

// SignatureHeader carries the HMAC-SHA256 of a request body, both on sends
// and on status callbacks (SPEC §5).
const SignatureHeader = "X-Kizukai-Signature"

// GenericConfig configures the generic HTTP gateway of one shop.
type GenericConfig struct {
	URL     string        // where messages are POSTed; http or https
	From    string        // sender id passed as "from"
	Secret  []byte        // HMAC key for X-Kizukai-Signature; at least 16 bytes
	Timeout time.Duration // per request; DefaultTimeout when zero
	// HTTPClient replaces the client built from Timeout (tests).
	HTTPClient *http.Client
}

// Validate checks c, naming fields as the channel settings API does.
func (c GenericConfig) Validate() error {
	var f errs.Fields
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		f.Add("url", "must be an http or https URL")
	}
	if c.From == "" {
		f.Add("from", "required")
	}
	if len(c.Secret) < 16 {
		f.Add("secret", "at least 16 bytes")
	}
	return f.Err()
}

// Generic sends SMS through the generic HTTP gateway of SPEC §5.
type Generic struct {
	cfg    GenericConfig
	client *http.Client
}

var _ channel.Sender = (*Generic)(nil)

// NewGeneric returns a Generic provider for a valid cfg.
func NewGeneric(cfg GenericConfig) (*Generic, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Generic{cfg: cfg, client: newHTTPClient(cfg.HTTPClient, cfg.Timeout)}, nil
}

// Name returns "sms_generic".
func (g *Generic) Name() string { return "sms_generic" }

// Dedupes returns true: the gateway receives the message id as
// Idempotency-Key and must accept each id once (SPEC §5).
func (g *Generic) Dedupes() bool { return true }

// genericPayload is the body of a send, fields in the order SPEC §5 lists.
type genericPayload struct {
	ID   string `json:"id"`
	To   string `json:"to"`
	From string `json:"from"`
	Body string `json:"body"`
}

// Payload returns the exact body Send posts for m.
func (g *Generic) Payload(m channel.Message) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // URLs in bodies stay readable: & not \u0026
	if err := enc.Encode(genericPayload{ID: m.ID, To: m.To.Phone, From: g.cfg.From, Body: m.Text}); err != nil {
		return nil, fmt.Errorf("encode sms payload: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Sign returns the X-Kizukai-Signature value for body: "sha256=" and the
// hex HMAC-SHA256 of body with secret.
func Sign(secret, body []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// Send posts m to the gateway. 2xx is sent; 4xx permanent (408, 409 and
// 429 retryable); 5xx retryable; a timeout after the request was written
// ambiguous (safe to retry: the gateway dedupes on the id).
func (g *Generic) Send(ctx context.Context, m channel.Message) (channel.Receipt, error) {
	if m.ID == "" || m.To.Phone == "" || m.Text == "" {
		return channel.Receipt{}, channel.Permanent(errors.New("sms message needs an id, a phone number and a body"))
	}
	body, err := g.Payload(m)
	if err != nil {
		return channel.Receipt{}, channel.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return channel.Receipt{}, channel.Permanent(errors.New("sms gateway url is not usable"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Kizukai")
	req.Header.Set("Idempotency-Key", m.ID)
	req.Header.Set(SignatureHeader, Sign(g.cfg.Secret, body))
	res, err := do(g.client, req)
	if err != nil {
		return channel.Receipt{}, fmt.Errorf("sms gateway: %w", err)
	}
	drain(res)
	switch code := res.StatusCode; {
	case code >= 200 && code < 300:
		_, _, segments := Segments(m.Text)
		return channel.Receipt{ProviderID: m.ID, Segments: segments}, nil
	case temporary4xx(code) || code >= 500:
		return channel.Receipt{}, channel.Retryable(fmt.Errorf("sms gateway replied %d", code))
	default:
		return channel.Receipt{}, channel.Permanent(fmt.Errorf("sms gateway replied %d", code))
	}
}
