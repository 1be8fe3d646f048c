package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/clock"
)

// Client sends email through one SMTP server, reusing up to MaxConns
// connections. It is safe for concurrent use.
type Client struct {
	mailer *gomail.Client
	from   string
	domain string // of From, for Message-ID
	clock  clock.Clock
	idle   chan *smtp.Client // open connections ready for the next message
}

var _ channel.Sender = (*Client)(nil)

// New returns a Client for a valid cfg. It does not connect yet.
func New(cfg Config) (*Client, error) {
	s, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	port, _ := strconv.Atoi(s.port)
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: s.host, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12})}
	switch {
	case s.implicitTLS:
		opts = append(opts, gomail.WithSSL())
	case cfg.StartTLS == StartTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case cfg.StartTLS == StartTLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
	}
	mailer, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	maxConns := cfg.MaxConns
	if maxConns == 0 {
		maxConns = DefaultMaxConns
	}
	c := &Client{mailer: mailer, from: cfg.From, domain: cfg.From[strings.LastIndexByte(cfg.From, '@')+1:],
		clock: cfg.Clock, idle: make(chan *smtp.Client, maxConns)}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	return c, nil
}

// Name returns "smtp".
func (c *Client) Name() string { return "smtp" }

// Dedupes returns false: SMTP has no idempotency key. A stable Message-ID
// lets a mailbox or a human spot a repeat, but does not prevent one.
func (c *Client) Dedupes() bool { return false }

// Send sends m on a pooled connection, or a new one. A pooled connection
// the server closed meanwhile fails its NOOP check before anything is
// sent, and the message goes out once on a fresh connection. ctx bounds
// dialling; once connected, each SMTP command is bounded by Config.Timeout
// (go-mail takes no context there).
func (c *Client) Send(ctx context.Context, m channel.Message) (channel.Receipt, error) {
	msg, err := c.build(m)
	if err != nil {
		return channel.Receipt{}, err
	}
	for attempt := 0; ; attempt++ {
		conn, pooled, err := c.conn(ctx)
		if err != nil {
			return channel.Receipt{}, classifyDial(err)
		}
		err = c.mailer.SendWithSMTPClient(conn, msg)
		if msg.IsDelivered() {
			// The server accepted the DATA; a failing RSET afterwards only
			// costs the connection.
			c.release(conn, err == nil)
			return channel.Receipt{ProviderID: MessageID(m.ID, c.domain)}, nil
		}
		c.release(conn, false)
		var se *gomail.SendError
		if pooled && attempt == 0 && errors.As(err, &se) && se.Reason == gomail.ErrConnCheck {
			continue // stale pooled connection: nothing was sent
		}
		return channel.Receipt{}, classifySend(err)
	}
}

// conn returns an idle connection, or dials one.
func (c *Client) conn(ctx context.Context) (*smtp.Client, bool, error) {
	select {
	case conn := <-c.idle:
		return conn, true, nil
	default:
	}
	conn, err := c.mailer.DialToSMTPClientWithContext(ctx)
	return conn, false, err
}

// release keeps a healthy connection for the next message when there is
// room, and closes it otherwise.
func (c *Client) release(conn *smtp.Client, healthy bool) {
	if healthy {
		select {
		case c.idle <- conn:
			return
		default:
		}
	}
	_ = c.mailer.CloseWithSMTPClient(conn)
}

// Close closes the idle connections. Sends after Close dial again.
func (c *Client) Close() error {
	for {
		select {
		case conn := <-c.idle:
			_ = c.mailer.CloseWithSMTPClient(conn)
		default:
			return nil
		}
	}
}

// classifyDial classifies a failure to connect, greet, STARTTLS or AUTH:
// nothing was sent. A 5xx reply (e.g. 535 bad credentials) is Permanent.
func classifyDial(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return replyError("connect", te.Code, "")
	}
	kind := "connection failed"
	var cv *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		kind = "connection timed out"
	case errors.As(err, &cv):
		kind = "server certificate not trusted"
	case errors.Is(err, smtp.ErrUnencrypted):
		kind = "server offers no TLS for the password"
	case strings.Contains(err.Error(), "STARTTLS"):
		kind = "server does not offer STARTTLS"
	}
	return channel.Retryable(errors.New("smtp: " + kind))
}

// classifySend classifies a failure during MAIL, RCPT, DATA or its end.
func classifySend(err error) error {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return channel.Retryable(errors.New("smtp: send failed"))
	}
	if code := se.ErrorCode(); code >= 400 {
		return replyError(se.Reason.String(), code, se.EnhancedStatusCode())
	}
	if se.Reason == gomail.ErrSMTPDataClose {
		// The final "." went out and no reply came back: the server may
		// have queued the message.
		return channel.Ambiguous(errors.New("smtp: connection lost after the message was sent"))
	}
	return channel.Retryable(fmt.Errorf("smtp: %s: connection failed", se.Reason))
}

// replyError classifies an SMTP reply code: 5xx Permanent, else Retryable.
// The reply text is left out: servers quote the recipient address in it.
func replyError(stage string, code int, enhanced string) error {
	msg := fmt.Sprintf("smtp: %s: server replied %d", stage, code)
	if enhanced != "" {
		msg += " (" + enhanced + ")"
	}
	if code >= 500 {
		return channel.Permanent(errors.New(msg))
	}
	return channel.Retryable(errors.New(msg))
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
