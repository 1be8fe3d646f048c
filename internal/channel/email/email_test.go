package email

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/errs"
)

var testNow = time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)

func testMessage() channel.Message {
	return channel.Message{
		ID: "msg_01JD0000000000000000000000", ShopID: "shp_1", Purpose: "care",
		To:             channel.Recipient{Email: "hanako@example.jp", Name: "山田 花子"},
		Subject:        "深煎りブレンドの使い心地はいかがですか（ひだまり珈琲）",
		Text:           "山田 花子様\n\nひだまり珈琲です。使い心地はいかがでしょうか。\n\n配信停止：https://kizukai.example/u/T\n",
		HTML:           `<p>山田 花子様</p><p>ひだまり珈琲です。<a href="https://hidamari.example/guide?a=1&amp;b=2">使い方</a></p>`,
		Headers:        map[string]string{"X-Kizukai-Message": "msg_01JD0000000000000000000000"},
		UnsubscribeURL: "https://kizukai.example/u/T",
		Sender:         channel.Identity{Name: "ひだまり珈琲", Address: "東京都千代田区1-1", Contact: "03-1234-5678", Email: "hello@hidamari.example"},
	}
}

func newClient(t *testing.T, s *smtpServer, userinfo, starttls string) *Client {
	t.Helper()
	c, err := New(Config{SMTPURL: "smtp://" + userinfo + s.addr, From: "info@hidamari.example", StartTLS: starttls,
		Timeout: 5 * time.Second, RootCAs: s.roots, Clock: clock.NewSimulated(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

const auth = testUser + ":" + testPass + "@"

func TestSendStartTLSAuthPlain(t *testing.T) {
	t.Parallel()
	s := newSMTPServer(t, true)
	c := newClient(t, s, strings.Replace(auth, "@hidamari", "%40hidamari", 1), StartTLSRequired)
	m := testMessage()
	rc, err := c.Send(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if rc.ProviderID != "msg_01JD0000000000000000000000@hidamari.example" {
		t.Fatalf("receipt %+v", rc)
	}
	got := s.received()
	if len(got) != 1 || !got[0].tls || got[0].authUser != testUser || got[0].from != "info@hidamari.example" || got[0].to != m.To.Email {
		t.Fatalf("server got %+v", got)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	h := func(k string) string {
		v, err := dec.DecodeHeader(msg.Header.Get(k))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return v
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "ひだまり珈琲" || from[0].Address != "info@hidamari.example" {
		t.Fatalf("From %v %v", from, err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "山田 花子" || to[0].Address != m.To.Email {
		t.Fatalf("To %v %v", to, err)
	}
	for k, want := range map[string]string{
		"Subject":               m.Subject,
		"Message-ID":            "<msg_01JD0000000000000000000000@hidamari.example>",
		"List-Unsubscribe":      "<https://kizukai.example/u/T>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"X-Kizukai-Message":     m.ID,
		"Date":                  "Mon, 23 Nov 2026 10:30:00 +0000",
		"MIME-Version":          "1.0",
	} {
		if got := h(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if rt, _ := msg.Header.AddressList("Reply-To"); len(rt) != 1 || rt[0].Address != "hello@hidamari.example" {
		t.Errorf("Reply-To %v", rt)
	}
	media, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || media != "multipart/alternative" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p)
		ct, cp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if cp["charset"] != "UTF-8" {
			t.Errorf("%s charset %q", ct, cp["charset"])
		}
		parts[ct] = string(body)
	}
	if strings.ReplaceAll(parts["text/plain"], "\r\n", "\n") != m.Text || parts["text/html"] != m.HTML {
		t.Fatalf("parts %q", parts)
	}
}

func TestRetryKeepsMessageIDAndReusesConnection(t *testing.T) {
	t.Parallel()
	s := newSMTPServer(t, true)
	c := newClient(t, s, auth, StartTLSRequired)
	m := testMessage()
	for range 3 {
		if _, err := c.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := s.received()
	ids := map[string]bool{}
	for _, r := range got {
		msg, err := mail.ReadMessage(bytes.NewReader(r.data))
		if err != nil {
			t.Fatal(err)
		}
		ids[msg.Header.Get("Message-ID")] = true
	}
	if len(got) != 3 || len(ids) != 1 {
		t.Fatalf("%d messages with Message-IDs %v", len(got), ids)
	}
	if n := s.connCount(); n != 1 {
		t.Fatalf("%d connections for 3 messages, want 1 reused", n)
	}
	// The server drops the idle connection: the next send notices before
	// sending anything and goes out once on a new connection.
	s.dropConnections()
	if _, err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if n := len(s.received()); n != 4 {
		t.Fatalf("%d messages after a dropped connection, want 4", n)
	}
}

func TestSendFailures(t *testing.T) {
	t.Parallel()
	rejected := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<hanako@example.jp>: no such user"}
	tests := []struct {
		name     string
		tls      bool
		userinfo string
		starttls string
		setup    func(*smtpServer)
		class    channel.Class
		text     string
	}{
		{"550 on RCPT is permanent", true, auth, StartTLSRequired, func(s *smtpServer) { s.rcptErr = rejected }, channel.ClassPermanent, "550 (5.1.1)"},
		{"451 on RCPT is retryable", true, auth, StartTLSRequired,
			func(s *smtpServer) { s.rcptErr = &smtp.SMTPError{Code: 451, Message: "try later"} }, channel.ClassRetryable, "451"},
		{"554 after DATA is permanent", true, auth, StartTLSRequired,
			func(s *smtpServer) { s.dataErr = &smtp.SMTPError{Code: 554, Message: "spam"} }, channel.ClassPermanent, "554"},
		{"connection lost after DATA is ambiguous", true, auth, StartTLSRequired, func(s *smtpServer) { s.dropOnData = true }, channel.ClassAmbiguous, "after the message"},
		{"wrong password is permanent", true, testUser + ":wrong@", StartTLSRequired, nil, channel.ClassPermanent, "535"},
		{"STARTTLS required but not offered", false, "", StartTLSRequired, nil, channel.ClassRetryable, "STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSMTPServer(t, tt.tls)
			if tt.setup != nil {
				tt.setup(s)
			}
			c := newClient(t, s, tt.userinfo, tt.starttls)
			m := testMessage()
			_, err := c.Send(context.Background(), m)
			if err == nil || channel.ClassOf(err) != tt.class || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err %v, want class %v with %q", err, tt.class, tt.text)
			}
			for _, pii := range []string{m.To.Email, "hanako", testPass, testUser, m.Subject} {
				if strings.Contains(err.Error(), pii) {
					t.Fatalf("error text %q contains %q", err, pii)
				}
			}
			if tt.class != channel.ClassAmbiguous && len(s.received()) != 0 {
				t.Fatal("a failed send was received")
			}
		})
	}
}

func TestSendNotSent(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, err := New(Config{SMTPURL: "smtp://" + addr, From: "info@hidamari.example", StartTLS: StartTLSNone, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), testMessage()); !channel.IsRetryable(err) {
		t.Fatalf("refused connection: %v", err)
	}

	s := newSMTPServer(t, true)
	c = newClient(t, s, auth, StartTLSRequired)
	tests := []struct {
		name string
		edit func(*channel.Message)
	}{
		{"non-transactional without unsubscribe url", func(m *channel.Message) { m.UnsubscribeURL = "" }},
		{"unsubscribe url that is not http", func(m *channel.Message) { m.UnsubscribeURL = "javascript:alert(1)" }},
		{"bad recipient", func(m *channel.Message) { m.To.Email = "hanako@example.jp\r\nBcc: x@evil.example" }},
		{"recipient with a display name", func(m *channel.Message) { m.To.Email = "Hanako <hanako@example.jp>" }},
		{"no text", func(m *channel.Message) { m.Text = "" }},
		{"non-transactional without a sender name", func(m *channel.Message) { m.Sender.Name = " " }},
		{"extra header that is not X-", func(m *channel.Message) { m.Headers = map[string]string{"Bcc": "x@evil.example"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage()
			tt.edit(&m)
			if _, err := c.Send(context.Background(), m); !channel.IsPermanent(err) {
				t.Fatalf("err %v, want permanent", err)
			}
		})
	}
	if len(s.received()) != 0 {
		t.Fatal("a refused message was sent")
	}
	m := testMessage()
	m.Purpose, m.UnsubscribeURL = channel.PurposeTransactional, ""
	if _, err := c.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(s.received()[0].data))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("List-Unsubscribe") != "" || msg.Header.Get("List-Unsubscribe-Post") != "" {
		t.Fatal("a transactional email carries List-Unsubscribe")
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{"smtp with auth", Config{SMTPURL: "smtp://u:p@mail.example:587", From: "a@b.example"}, ""},
		{"smtps default port", Config{SMTPURL: "smtps://u:p@mail.example", From: "a@b.example", StartTLS: StartTLSNone}, ""},
		{"local relay without tls", Config{SMTPURL: "smtp://localhost:25", From: "a@b.example", StartTLS: StartTLSNone}, ""},
		{"http url", Config{SMTPURL: "http://mail.example", From: "a@b.example"}, "smtp_url"},
		{"path", Config{SMTPURL: "smtp://mail.example/x", From: "a@b.example"}, "smtp_url"},
		{"bad port", Config{SMTPURL: "smtp://mail.example:99999", From: "a@b.example"}, "smtp_url"},
		{"from with a name", Config{SMTPURL: "smtp://mail.example", From: "A <a@b.example>"}, "from"},
		{"password in clear", Config{SMTPURL: "smtp://u:p@mail.example", From: "a@b.example", StartTLS: StartTLSNone}, "starttls"},
		{"unknown starttls", Config{SMTPURL: "smtp://mail.example", From: "a@b.example", StartTLS: "yes"}, "starttls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			var e *errs.Error
			if tt.field == "" && err != nil || tt.field != "" && (!errors.As(err, &e) || e.Fields[tt.field] == "") {
				t.Fatalf("err %v, want a problem with %q", err, tt.field)
			}
			if err != nil && strings.Contains(err.Error(), ":p@") {
				t.Fatal("error text holds the password")
			}
		})
	}
}
