package delivery

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/errs"
)

func TestSealer(t *testing.T) {
	t.Parallel()
	s, err := newSealer(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.seal("shp_a", "sms", []byte(`{"secret":"hunter2-hunter2-hunter2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "hunter2") {
		t.Fatal("sealed text holds the secret")
	}
	if got, err := s.open("shp_a", "sms", sealed); err != nil || !strings.Contains(string(got), "hunter2") {
		t.Fatalf("open: %q %v", got, err)
	}
	other, _ := newSealer(bytes.Repeat([]byte{2}, 32))
	for _, tt := range []struct {
		name          string
		s             *sealer
		shop, channel string
		sealed        string
	}{
		{"another instance key", other, "shp_a", "sms", sealed},
		{"another shop", s, "shp_b", "sms", sealed},
		{"another channel", s, "shp_a", "line", sealed},
		{"tampered", s, "shp_a", "sms", sealed[:len(sealed)-4] + "AAAA"},
		{"not base64", s, "shp_a", "sms", "!!"},
	} {
		if _, err := tt.s.open(tt.shop, tt.channel, tt.sealed); !errors.Is(err, errSealed) {
			t.Errorf("%s: %v, want errSealed", tt.name, err)
		}
	}
	if _, err := newSealer([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}

func fields(err error) []string {
	var e *errs.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for k := range e.Fields {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// noDNS resolves every name to a public address.
func noDNS(context.Context, string) ([]net.IPAddr, error) {
	return []net.IPAddr{{IP: net.ParseIP("203.0.113.7")}}, nil
}

func TestMerge(t *testing.T) {
	t.Parallel()
	strict := URLPolicy{Resolve: noDNS}
	stored := Settings{config: config{Provider: ProviderGeneric, URL: "https://gw.example/send", SenderID: "S"},
		secrets: secrets{Secret: "stored-secret-0123456"}}
	tests := []struct {
		name    string
		p       URLPolicy
		channel string
		in      Input
		old     Settings
		want    []string // invalid fields; nil for valid
	}{
		{"generic ok", strict, "sms", Input{URL: "https://gw.example/send", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, nil},
		{"generic keeps secret", strict, "sms", Input{URL: "https://gw.example/send", SenderID: "S"}, stored, nil},
		{"generic needs secret", strict, "sms", Input{URL: "https://gw.example/send", SenderID: "S"}, Settings{}, []string{"secret"}},
		{"short secret", strict, "sms", Input{URL: "https://gw.example", SenderID: "S", Secret: "short"}, Settings{}, []string{"secret"}},
		{"ftp url", strict, "sms", Input{URL: "ftp://gw.example", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, []string{"url"}},
		{"link-local", strict, "sms", Input{URL: "http://169.254.169.254/latest", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, []string{"url"}},
		{"ipv6 link-local", strict, "sms", Input{URL: "http://[fe80::1]/", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, []string{"url"}},
		{"metadata name", strict, "sms", Input{URL: "http://metadata.google.internal/", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, []string{"url"}},
		{"loopback refused", strict, "sms", Input{URL: "http://127.0.0.1:9/", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, []string{"url"}},
		{"localhost refused", strict, "sms", Input{URL: "http://localhost:9/", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, []string{"url"}},
		{"loopback allowed", URLPolicy{AllowLoopback: true}, "sms", Input{URL: "http://127.0.0.1:9/", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, nil},
		{"name resolving to link-local", URLPolicy{Resolve: func(context.Context, string) ([]net.IPAddr, error) {
			return []net.IPAddr{{IP: net.ParseIP("169.254.1.1")}}, nil
		}}, "sms", Input{URL: "https://evil.example", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, []string{"url"}},
		{"credentials in url", strict, "sms", Input{URL: "https://u:p@gw.example", SenderID: "S", Secret: "0123456789abcdef"}, Settings{}, []string{"url"}},
		{"generic sender", strict, "sms", Input{URL: "https://gw.example", Secret: "0123456789abcdef"}, Settings{}, []string{"sender_id"}},
		{"wrong provider", strict, "sms", Input{Provider: "smtp"}, Settings{}, []string{"provider"}},
		{"fields of another provider", strict, "sms", Input{URL: "https://gw.example", SenderID: "S", Secret: "0123456789abcdef", AccountSID: "AC1"}, Settings{}, []string{"account_sid"}},
		{"twilio ok", strict, "sms", Input{Provider: "twilio", AccountSID: "AC123", AuthToken: "t", From: "+815012345678"}, Settings{}, nil},
		{"twilio missing", strict, "sms", Input{Provider: "twilio"}, Settings{}, []string{"account_sid", "auth_token", "from"}},
		{"twilio keeps nothing from generic", strict, "sms", Input{Provider: "twilio", AccountSID: "AC1", From: "x"}, stored, []string{"auth_token"}},
		{"smtp ok", strict, "email", Input{SMTPURL: "smtp://u:p@mail.example:587", From: "info@shop.example"}, Settings{}, nil},
		{"smtp bad scheme", strict, "email", Input{SMTPURL: "http://mail.example", From: "info@shop.example"}, Settings{}, []string{"smtp_url"}},
		{"smtp bad from", strict, "email", Input{SMTPURL: "smtp://mail.example", From: "nope"}, Settings{}, []string{"from"}},
		{"smtp link-local", strict, "email", Input{SMTPURL: "smtp://169.254.169.254:25", From: "a@b.example"}, Settings{}, []string{"smtp_url"}},
		{"line ok", strict, "line", Input{ChannelSecret: "s", ChannelToken: "t"}, Settings{}, nil},
		{"line missing", strict, "line", Input{}, Settings{}, []string{"channel_access_token", "channel_secret"}},
		{"rate too high", strict, "line", Input{ChannelSecret: "s", ChannelToken: "t", RatePerSecond: 1e6}, Settings{}, []string{"rate_per_second"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, err := tt.p.merge(context.Background(), "shp_a", tt.channel, tt.in, tt.old)
			if got := fields(err); !slices.Equal(got, tt.want) {
				t.Fatalf("fields %v (%v), want %v", got, err, tt.want)
			}
			if tt.name == "generic keeps secret" && st.Secret != "stored-secret-0123456" {
				t.Fatalf("secret %q not kept", st.Secret)
			}
		})
	}
}

func TestMergeSMTPPassword(t *testing.T) {
	t.Parallel()
	p := URLPolicy{Resolve: noDNS}
	st, err := p.merge(context.Background(), "shp_a", "email", Input{SMTPURL: "smtp://shop:pa%3Ass@mail.example:587", From: "a@shop.example"}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if st.SMTPURL != "smtp://shop@mail.example:587" || st.SMTPPassword != "pa:ss" {
		t.Fatalf("stored url %q password %q", st.SMTPURL, st.SMTPPassword)
	}
	if v := st.view(); !v.SMTPPasswordSet || strings.Contains(v.SMTPURL, "pa") {
		t.Fatalf("view %+v", v)
	}
	// Without a password the stored one is kept and put back for sending.
	st2, err := p.merge(context.Background(), "shp_a", "email", Input{SMTPURL: "smtp://shop@mail.example:587", From: "a@shop.example"}, st)
	if err != nil || st2.SMTPPassword != "pa:ss" || st2.smtpURL() != "smtp://shop:pa%3Ass@mail.example:587" {
		t.Fatalf("kept: %q %q %v", st2.SMTPPassword, st2.smtpURL(), err)
	}
}

func TestTextHTML(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"escape", `<b>"x" & y</b>`, `&lt;b&gt;&#34;x&#34; &amp; y&lt;/b&gt;`},
		{"link", "see https://a.example/x?y=1&z=2.", `see <a href="https://a.example/x?y=1&amp;z=2">https://a.example/x?y=1&amp;z=2</a>.`},
		{"japanese punctuation", "詳細：https://a.example/p。ありがとう", `詳細：<a href="https://a.example/p">https://a.example/p</a>。ありがとう`},
		{"lines", "a\nb", "a<br>\nb"},
		{"attribute breakout", `https://a.example/"onmouseover=x`, `<a href="https://a.example/">https://a.example/</a>&#34;onmouseover=x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := textHTML(tt.in); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func FuzzTextHTML(f *testing.F) {
	for _, s := range []string{"", "https://a.example", "<a href='x'>", "a\nb https://x.example/「y」", "http://[::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := textHTML(s)
		if strings.Contains(out, "<script") || strings.Count(out, "<a ") != strings.Count(out, "</a>") {
			t.Fatalf("unsafe html for %q: %s", s, out)
		}
	})
}

// FuzzMerge feeds outside input to the settings validation: it never
// panics, and what it accepts never points at a link-local or loopback
// address.
func FuzzMerge(f *testing.F) {
	for _, s := range []string{"https://gw.example/send", "http://169.254.169.254/", "http://[::1]:80/", "smtp://u:p@h:25",
		"http://0x7f000001/", "http://127.1/", "smtps://[fe80::1%25eth0]:465", "http://metadata.google.internal./"} {
		f.Add(s, "sms")
		f.Add(s, "email")
	}
	p := URLPolicy{Resolve: noDNS}
	f.Fuzz(func(t *testing.T, raw, ch string) {
		in := Input{URL: raw, SenderID: "S", Secret: "0123456789abcdef", SMTPURL: raw, From: "a@b.example"}
		if ch == "email" {
			in.URL, in.SenderID, in.Secret = "", "", ""
		} else {
			in.SMTPURL, in.From = "", ""
		}
		st, err := p.merge(context.Background(), "shp_a", ch, in, Settings{})
		if err != nil {
			return
		}
		host := st.URL
		if ch == "email" {
			host = st.SMTPURL
		}
		if u, err := url.Parse(host); err == nil {
			h := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
			ip := net.ParseIP(h)
			numeric := strings.Trim(h, "0123456789.") == ""
			if h == "localhost" || numeric && ip == nil || ip != nil && (ip.IsLoopback() || ip.IsLinkLocalUnicast()) {
				t.Fatalf("accepted %q", host)
			}
		}
	})
}
