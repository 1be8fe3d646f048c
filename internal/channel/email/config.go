package email

import (
	"crypto/x509"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/errs"
)

// STARTTLS policies for smtp:// URLs (smtps:// is TLS from the first byte).
const (
	StartTLSRequired      = "required"      // refuse a server without STARTTLS
	StartTLSOpportunistic = "opportunistic" // use it when offered
	StartTLSNone          = "none"          // plain text; only without credentials
)

// DefaultTimeout bounds dialling and each SMTP command when the config sets none.
const DefaultTimeout = 30 * time.Second

// DefaultMaxConns is how many SMTP connections a Client keeps open.
const DefaultMaxConns = 4

// Config configures one shop's SMTP server.
type Config struct {
	// SMTPURL is smtp://user:pass@host:port (port 587 by default) or
	// smtps://user:pass@host:port (465). User and password are optional.
	SMTPURL  string
	From     string // the envelope and header From address, e.g. info@shop.example
	StartTLS string // StartTLSRequired (default), StartTLSOpportunistic or StartTLSNone
	Timeout  time.Duration
	MaxConns int         // connections kept open for reuse; DefaultMaxConns when zero
	Clock    clock.Clock // for the Date header; clock.Real when nil

	// RootCAs replaces the system roots for verifying the server. Tests
	// only: a self-signed test server.
	RootCAs *x509.CertPool
}

// server is a parsed SMTPURL.
type server struct {
	host, port, user, pass string
	implicitTLS            bool
}

// Validate checks c, naming fields as the channel settings API does.
func (c Config) Validate() error {
	_, err := c.parse()
	return err
}

func (c Config) parse() (server, error) {
	var f errs.Fields
	var s server
	u, err := url.Parse(c.SMTPURL)
	switch {
	case err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "":
		f.Add("smtp_url", "must be smtp://[user:pass@]host[:port] or smtps://...")
	case u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "":
		f.Add("smtp_url", "must not have a path or query")
	default:
		s.host, s.port, s.implicitTLS = u.Hostname(), u.Port(), u.Scheme == "smtps"
		if s.port == "" {
			s.port = map[bool]string{true: "465", false: "587"}[s.implicitTLS]
		}
		if p, err := strconv.Atoi(s.port); err != nil || p < 1 || p > 65535 {
			f.Add("smtp_url", "port must be 1-65535")
		}
		if u.User != nil {
			s.user = u.User.Username()
			s.pass, _ = u.User.Password()
		}
	}
	if a, err := mail.ParseAddress(c.From); err != nil || a.Address != c.From {
		f.Add("from", "must be a bare email address")
	}
	switch c.StartTLS {
	case "", StartTLSRequired, StartTLSOpportunistic:
	case StartTLSNone:
		if s.user != "" && !s.implicitTLS && !isLoopback(s.host) {
			f.Add("starttls", "a password is never sent without TLS: use required, or smtps://")
		}
	default:
		f.Add("starttls", "must be required, opportunistic or none")
	}
	if c.Timeout < 0 || c.MaxConns < 0 {
		f.Add("timeout", "must not be negative")
	}
	return s, f.Err()
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
