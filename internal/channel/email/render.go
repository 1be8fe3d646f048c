package email

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/kizukai/kizukai/internal/channel"
)

// headerName is what an extra header may be called: an X- header, so an
// extra can never replace From, To, Subject or the RFC 8058 headers.
var headerName = regexp.MustCompile(`^X-[A-Za-z0-9-]{1,60}$`)

// safeID is what a message id may hold to go into Message-ID verbatim.
var safeID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,200}$`)

// clean replaces every control character (CR and LF above all) with a
// space, so a value can never end a header line and start another. It also
// puts an invisible WORD JOINER into "=?", so a value that looks like an
// RFC 2047 encoded word is encoded as text and is not decoded by the
// reader's mail client into something else.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
	return strings.ReplaceAll(s, "=?", "=\u2060?")
}

// MessageID returns the Message-ID (without angle brackets) of message id
// sent from the domain: the same for every attempt of one message.
func MessageID(id, domain string) string {
	if !safeID.MatchString(id) {
		sum := sha256.Sum256([]byte(id))
		id = "h" + hex.EncodeToString(sum[:16])
	}
	return id + "@" + domain
}

// unsubscribeURL checks a List-Unsubscribe target: an absolute http(s) URL
// with nothing that could end the <...> or the header.
func unsubscribeURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New("unsubscribe url must be an absolute http or https url")
	}
	s := u.String()
	if strings.ContainsAny(s, "<>, \"\r\n\t") {
		return "", errors.New("unsubscribe url has characters a header cannot carry")
	}
	return s, nil
}

// build turns m into a go-mail message, or a Permanent error when m cannot
// be sent as it is.
func (c *Client) build(m channel.Message) (*gomail.Msg, error) {
	if m.ID == "" || m.Text == "" {
		return nil, channel.Permanent(errors.New("email needs an id and a text body"))
	}
	to, err := mail.ParseAddress(m.To.Email)
	if err != nil || to.Address != m.To.Email {
		return nil, channel.Permanent(errors.New("recipient email address is not valid"))
	}
	sum := sha256.Sum256([]byte(m.ID))
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithBoundary("kizukai-"+hex.EncodeToString(sum[:12])))
	if err := msg.FromFormat(clean(m.Sender.Name), c.from); err != nil {
		return nil, channel.Permanent(errors.New("sender address is not valid"))
	}
	if err := msg.AddToFormat(clean(m.To.Name), to.Address); err != nil {
		return nil, channel.Permanent(errors.New("recipient email address is not valid"))
	}
	if m.Sender.Email != "" {
		if err := msg.ReplyToFormat(clean(m.Sender.Name), m.Sender.Email); err != nil {
			return nil, channel.Permanent(errors.New("reply-to address is not valid"))
		}
	}
	msg.Subject(clean(m.Subject))
	msg.SetMessageIDWithValue(MessageID(m.ID, c.domain))
	msg.SetDateWithValue(c.clock.Now())
	if !m.Transactional() {
		if strings.TrimSpace(m.Sender.Name) == "" {
			return nil, channel.Permanent(errors.New("non-transactional email must name its sender"))
		}
		u, err := unsubscribeURL(m.UnsubscribeURL)
		if err != nil {
			return nil, channel.Permanent(fmt.Errorf("non-transactional email: %w", err))
		}
		msg.SetListUnsubscribe(u)
		msg.SetListUnsubscribePost()
	}
	names := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !headerName.MatchString(k) {
			return nil, channel.Permanent(errors.New("extra header names must match X-[A-Za-z0-9-]+"))
		}
		msg.SetGenHeader(gomail.Header(k), clean(m.Headers[k]))
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// Render writes m as the exact RFC 5322 message Send would send.
func (c *Client) Render(w io.Writer, m channel.Message) error {
	msg, err := c.build(m)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(w); err != nil {
		return fmt.Errorf("render email: %w", err)
	}
	return nil
}
