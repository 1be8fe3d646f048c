package line

import (
	"context"
	"crypto/sha1" //nolint:gosec // UUIDv5 is defined with SHA-1; not used for security
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
	"unicode/utf16"

	"github.com/line/line-bot-sdk-go/v8/linebot/messaging_api"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/errs"
)

// Endpoint is LINE's Messaging API.
const Endpoint = "https://api.line.me"

// DefaultTimeout bounds one push when the config sets none.
const DefaultTimeout = 10 * time.Second

// maxText is LINE's limit for one text message.
const maxText = 5000

// Config configures one shop's LINE official account.
type Config struct {
	ChannelAccessToken string        // long-lived channel access token
	ChannelSecret      string        // verifies webhooks (ParseWebhook); not used to send
	Endpoint           string        // Endpoint when empty; a test server in tests
	Timeout            time.Duration // per push; DefaultTimeout when zero
	HTTPClient         *http.Client  // replaces the client built from Timeout (tests)
}

// Validate checks c, naming fields as the channel settings API does.
func (c Config) Validate() error {
	var f errs.Fields
	if c.ChannelAccessToken == "" {
		f.Add("channel_access_token", "required")
	}
	if c.ChannelSecret == "" {
		f.Add("channel_secret", "required")
	}
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			f.Add("endpoint", "must be an http or https URL")
		}
	}
	return f.Err()
}

// Client pushes messages to LINE users. It is safe for concurrent use.
type Client struct {
	cfg    Config
	client *http.Client
}

var _ channel.Sender = (*Client)(nil)

// New returns a Client for a valid cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Endpoint == "" {
		cfg.Endpoint = Endpoint
	}
	client := cfg.HTTPClient
	if client == nil {
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		client = &http.Client{Timeout: timeout}
	}
	return &Client{cfg: cfg, client: client}, nil
}

// Name returns "line".
func (c *Client) Name() string { return "line" }

// Dedupes returns true: pushes carry X-Line-Retry-Key (see RetryKey).
func (c *Client) Dedupes() bool { return true }

// retryKeySpace is the UUIDv5 namespace of Kizukai message ids (itself a
// UUIDv5 of "kizukai.message" in the URL namespace; any fixed value works,
// but it must never change).
var retryKeySpace = [16]byte{0x5c, 0x0e, 0x6c, 0x2b, 0x3a, 0x4f, 0x5d, 0x1e, 0x9b, 0x7a, 0x2f, 0x61, 0x0c, 0x8d, 0x44, 0x13}

// RetryKey returns the X-Line-Retry-Key of message id: the UUIDv5 (RFC
// 9562) of id in a fixed namespace, in hexadecimal form, the same for every
// attempt of one message.
func RetryKey(id string) string {
	h := sha1.New() //nolint:gosec // see import
	h.Write(retryKeySpace[:])
	h.Write([]byte(id))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Request returns the push request Send makes for m.
func Request(m channel.Message) *messaging_api.PushMessageRequest {
	return &messaging_api.PushMessageRequest{
		To:       m.To.LineUserID,
		Messages: []messaging_api.MessageInterface{messaging_api.TextMessage{Text: m.Text}},
	}
}

// Send pushes m.Text to m.To.LineUserID. 2xx is sent, and so is 409 (LINE
// already accepted this retry key); 429 and 5xx are retryable; other 4xx
// permanent; a timeout after the request was written ambiguous (safe to
// retry: the retry key dedupes).
func (c *Client) Send(ctx context.Context, m channel.Message) (channel.Receipt, error) {
	switch {
	case m.ID == "" || m.To.LineUserID == "" || m.Text == "":
		return channel.Receipt{}, channel.Permanent(errors.New("line message needs an id, a user id and a text"))
	case len(utf16.Encode([]rune(m.Text))) > maxText:
		return channel.Receipt{}, channel.Permanent(errors.New("line text is longer than 5000 characters"))
	}
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}})
	// The SDK keeps the context in the client value, so each send gets its
	// own (cheap) client sharing one http.Client.
	api, err := messaging_api.NewMessagingApiAPI(c.cfg.ChannelAccessToken,
		messaging_api.WithEndpoint(c.cfg.Endpoint), messaging_api.WithHTTPClient(c.client))
	if err != nil {
		return channel.Receipt{}, channel.Permanent(errors.New("line: endpoint is not usable"))
	}
	// The SDK's error is not used: it may quote the reply body, and the
	// status code (or its absence) says all that matters here.
	res, body, _ := api.WithContext(ctx).PushMessageWithHttpInfo(Request(m), RetryKey(m.ID))
	if res == nil {
		// Transport failure. The SDK's error names the endpoint only, but
		// keep to the kind of failure.
		if wrote.Load() {
			return channel.Receipt{}, channel.Ambiguous(errors.New("line: request sent, reply lost"))
		}
		return channel.Receipt{}, channel.Retryable(errors.New("line: request not sent"))
	}
	if res.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		_ = res.Body.Close()
	}
	switch code := res.StatusCode; {
	case code >= 200 && code < 300:
		id := res.Header.Get("X-Line-Request-Id")
		if body != nil && len(body.SentMessages) > 0 {
			id = body.SentMessages[0].Id
		}
		return channel.Receipt{ProviderID: id}, nil
	case code == http.StatusConflict:
		// "A request with this retry key was already accepted."
		return channel.Receipt{ProviderID: res.Header.Get("X-Line-Accepted-Request-Id")}, nil
	case code == http.StatusTooManyRequests || code >= 500:
		return channel.Receipt{}, channel.Retryable(fmt.Errorf("line replied %d", code))
	default:
		return channel.Receipt{}, channel.Permanent(fmt.Errorf("line replied %d", code))
	}
}
