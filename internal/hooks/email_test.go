package hooks_test

import (
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

// smtpSink is a real SMTP server (emersion/go-smtp) recording messages.
type smtpSink struct {
	addr string
	mu   sync.Mutex
	got  [][]byte
}

func newSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	s := &smtpSink{}
	srv := smtp.NewServer(s)
	srv.Domain = "mx.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

func (s *smtpSink) messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

type sinkSession struct{ s *smtpSink }

func (x *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (x *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (x *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.got = append(x.s.got, b)
	x.s.mu.Unlock()
	return nil
}
func (x *sinkSession) Reset()        {}
func (x *sinkSession) Logout() error { return nil }

// htmlPart returns the text/html part of a raw email.
func htmlPart(t *testing.T, raw []byte) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("no html part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatal(err)
			}
			return msg, string(b)
		}
	}
}

var pixelRE = regexp.MustCompile(`http://kizukai\.test(/o/[A-Za-z0-9_.-]+)`)

// TestEmail sends a care email to a real SMTP server: sender, RFC 8058
// headers, footer, tracked links; the open pixel records opened once.
func TestEmail(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		sink := newSMTPSink(t)
		if res := b.api(t, "PUT", "/api/v1/channels/email", map[string]any{"smtp_url": "smtp://" + sink.addr, "from": "info@shop.example",
			"starttls": "none"}); res.Status != 200 {
			t.Fatalf("put email: %d %s", res.Status, res.Body)
		}
		cus := b.customer(t, map[string]any{"external_id": "c1", "name": "山田", "email": "yamada@example.jp", "consents": granted("email")})
		id := b.plan(t, cus, policy.Care, "1")
		b.Settle()
		got := sink.messages()
		if len(got) != 1 {
			t.Fatalf("%d emails", len(got))
		}
		msg, html := htmlPart(t, got[0])
		if msg.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" ||
			!strings.Contains(msg.Header.Get("List-Unsubscribe"), "http://kizukai.test/u/") ||
			!strings.HasPrefix(msg.Header.Get("Message-Id"), "<"+id+"@") {
			t.Fatalf("headers %v", msg.Header)
		}
		if !strings.Contains(string(got[0]), "=E9=85=8D=E4=BF=A1=E5=81=9C=E6=AD=A2") && !strings.Contains(string(got[0]), "配信停止") {
			t.Error("no opt-out footer")
		}
		m := pixelRE.FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("no open pixel in %s", html)
		}
		if b.message(t, id).Status != message.StatusSent {
			t.Fatal("not sent")
		}
		for range 2 {
			res := b.call(t, "", "GET", m[1], nil, nil)
			if res.Status != 200 || res.Header.Get("Content-Type") != "image/gif" || !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
				t.Fatalf("pixel: %d %v", res.Status, res.Header)
			}
		}
		if s := b.message(t, id).Status; s != message.StatusOpened {
			t.Fatalf("after the pixel: %s", s)
		}
		if res := b.call(t, "", "GET", "/o/forged.token", nil, nil); res.Status != 200 {
			t.Fatalf("forged pixel: %d", res.Status)
		}
	})
}
