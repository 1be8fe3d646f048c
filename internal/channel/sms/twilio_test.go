package sms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/errs"
)

const (
	testSID   = "AC0123456789abcdef0123456789abcdef"
	testToken = "twilio-auth-token"
)

// fakeTwilio checks the Messages API request (path, basic auth, form) and
// answers with status and reply, or hangs when status is 0.
type fakeTwilio struct {
	t      *testing.T
	status int
	reply  string
	mu     sync.Mutex
	forms  []url.Values
	seen   chan struct{} // one token per recorded request
}

// requests waits for n recorded requests and returns their forms.
func (f *fakeTwilio) requests(n int) []url.Values {
	for range n {
		select {
		case <-f.seen:
		case <-time.After(5 * time.Second):
			f.t.Fatalf("Twilio saw fewer than %d requests", n)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

func (f *fakeTwilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+testSID+"/Messages.json" ||
		!ok || user != testSID || pass != testToken ||
		r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		f.t.Errorf("bad request %s %s auth=%v", r.Method, r.URL.Path, ok)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("form: %v", err)
	}
	f.mu.Lock()
	f.forms = append(f.forms, r.PostForm)
	f.mu.Unlock()
	f.seen <- struct{}{}
	if f.status == 0 {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	fmt.Fprint(w, f.reply)
}

func newTwilio(t *testing.T, status int, reply string) (*Twilio, *fakeTwilio) {
	t.Helper()
	f := &fakeTwilio{t: t, status: status, reply: reply, seen: make(chan struct{}, 16)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	p, err := NewTwilio(TwilioConfig{BaseURL: srv.URL, AccountSID: testSID, AuthToken: testToken, From: "+15005550006",
		StatusCallback: "https://kizukai.example/hooks/sms/twilio/hidamari", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p, f
}

func TestTwilioSend(t *testing.T) {
	t.Parallel()
	const echo = `{"code":21211,"message":"The 'To' number +819012345678 is not a valid phone number.","status":400}`
	tests := []struct {
		name   string
		status int
		reply  string
		class  channel.Class
		ok     bool
		code   string
	}{
		{"201 created", 201, `{"sid":"SM0123","num_segments":"2","status":"queued"}`, 0, true, ""},
		{"400 permanent, the echoed number dropped", 400, echo, channel.ClassPermanent, false, "21211"},
		{"429 retryable", 429, `{"code":20429,"message":"Too Many Requests"}`, channel.ClassRetryable, false, "20429"},
		{"500 ambiguous: may have been sent", 500, `{"code":20500,"message":"Internal Server Error"}`, channel.ClassAmbiguous, false, "20500"},
		{"502 without json", 502, `<html>bad gateway</html>`, channel.ClassAmbiguous, false, "502"},
		{"slow: ambiguous", 0, "", channel.ClassAmbiguous, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, f := newTwilio(t, tt.status, tt.reply)
			m := testMessage()
			rc, err := p.Send(context.Background(), m)
			noPersonalData(t, err, m.To.Phone, m.Text, testToken, "valid phone")
			if tt.ok {
				if err != nil || rc.ProviderID != "SM0123" || rc.Segments != 2 {
					t.Fatalf("Send = %+v, %v", rc, err)
				}
			} else if err == nil || channel.ClassOf(err) != tt.class || !strings.Contains(err.Error(), tt.code) {
				t.Fatalf("err %v, want class %v naming %q", err, tt.class, tt.code)
			}
			if forms := f.requests(1); len(forms) != 1 || forms[0].Get("To") != m.To.Phone || forms[0].Get("Body") != m.Text ||
				forms[0].Get("StatusCallback") != "https://kizukai.example/hooks/sms/twilio/hidamari?id="+m.ID {
				t.Fatalf("form %v", forms)
			}
		})
	}
	p, _ := newTwilio(t, 201, "{}")
	if p.Dedupes() {
		t.Fatal("Twilio claims to dedupe")
	}
}

func TestTwilioFormGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, from := range []string{"+15005550006", "MG0123456789abcdef0123456789abcdef"} {
		p, err := NewTwilio(TwilioConfig{AccountSID: testSID, AuthToken: testToken, From: from,
			StatusCallback: "https://kizukai.example/hooks/sms/twilio/hidamari?v=1"})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "POST %s/2010-04-01/Accounts/%s/Messages.json\n%s\n\n", TwilioBaseURL, testSID, p.Form(testMessage()).Encode())
	}
	golden(t, "twilio_send.golden", []byte(b.String()))
}

func TestTwilioConfig(t *testing.T) {
	t.Parallel()
	ok := TwilioConfig{AccountSID: testSID, AuthToken: testToken, From: "+1500"}
	tests := []struct {
		name  string
		edit  func(*TwilioConfig)
		field string
	}{
		{"ok", func(*TwilioConfig) {}, ""},
		{"bad sid", func(c *TwilioConfig) { c.AccountSID = "XX1" }, "account_sid"},
		{"sid with a path", func(c *TwilioConfig) { c.AccountSID = "AC/../x" }, "account_sid"},
		{"no token", func(c *TwilioConfig) { c.AuthToken = "" }, "auth_token"},
		{"no from", func(c *TwilioConfig) { c.From = "" }, "from"},
		{"bad callback", func(c *TwilioConfig) { c.StatusCallback = "javascript:x" }, "status_callback"},
		{"bad base", func(c *TwilioConfig) { c.BaseURL = "file:///etc" }, "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			tt.edit(&c)
			_, err := NewTwilio(c)
			var e *errs.Error
			if tt.field == "" && err != nil || tt.field != "" && (!errors.As(err, &e) || e.Fields[tt.field] == "") {
				t.Fatalf("err %v, want a problem with %q", err, tt.field)
			}
		})
	}
}

// twilioDocsURL and twilioDocsForm are the worked example of Twilio's
// webhook security documentation (auth token 12345).
const twilioDocsURL = "https://mycompany.com/myapp.php?foo=1&bar=2"

var twilioDocsForm = url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675310"}, "Digits": {"1234"},
	"From": {"+14158675310"}, "To": {"+18005551212"}}

func TestVerifyTwilioSignature(t *testing.T) {
	t.Parallel()
	const sig = "GvWf1cFY/Q7PnoempGyD5oXAezc="
	tampered := url.Values{}
	for k, v := range twilioDocsForm {
		tampered[k] = v
	}
	tampered.Set("Digits", "9999")
	tests := []struct {
		name        string
		token, full string
		form        url.Values
		sig         string
		want        bool
	}{
		{"Twilio's documented vector", "12345", twilioDocsURL, twilioDocsForm, sig, true},
		{"tampered parameter", "12345", twilioDocsURL, tampered, sig, false},
		{"wrong token", "54321", twilioDocsURL, twilioDocsForm, sig, false},
		{"empty token", "", twilioDocsURL, twilioDocsForm, TwilioSignature("", twilioDocsURL, twilioDocsForm), false},
		{"http instead of https (URL from the Host header)", "12345", strings.Replace(twilioDocsURL, "https", "http", 1), twilioDocsForm, sig, false},
		{"other host", "12345", strings.Replace(twilioDocsURL, "mycompany.com", "evil.example", 1), twilioDocsForm, sig, false},
		{"empty signature", "12345", twilioDocsURL, twilioDocsForm, "", false},
		{"truncated signature", "12345", twilioDocsURL, twilioDocsForm, sig[:len(sig)-1], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := VerifyTwilioSignature(tt.token, tt.full, tt.form, tt.sig); got != tt.want {
				t.Fatalf("VerifyTwilioSignature = %v, want %v", got, tt.want)
			}
		})
	}
	// Repeated parameters are signed sorted by value, as Twilio's libraries do.
	a := url.Values{"M": {"2", "1"}}
	b := url.Values{"M": {"1", "2"}}
	if TwilioSignature("t", "https://x", a) != TwilioSignature("t", "https://x", b) {
		t.Fatal("value order changes the signature")
	}
}

func TestParseTwilioCallback(t *testing.T) {
	t.Parallel()
	q := url.Values{"id": {"msg_1"}}
	tests := []struct {
		name    string
		query   url.Values
		form    url.Values
		outcome string
		field   string
	}{
		{"delivered", q, url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}}, StatusDelivered, ""},
		{"undelivered", q, url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}, StatusFailed, ""},
		{"failed", q, url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"failed"}}, StatusFailed, ""},
		{"sent is intermediate", q, url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"sent"}}, "", ""},
		{"no id", url.Values{}, url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"sent"}}, "", "id"},
		{"no sid", q, url.Values{"MessageStatus": {"sent"}}, "", "MessageSid"},
		{"no status", q, url.Values{"MessageSid": {"SM1"}}, "", "MessageStatus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := ParseTwilioCallback(tt.query, tt.form)
			var e *errs.Error
			if tt.field != "" {
				if !errors.As(err, &e) || e.Fields[tt.field] == "" {
					t.Fatalf("err %v, want a problem with %s", err, tt.field)
				}
				return
			}
			if err != nil || c.Outcome() != tt.outcome || c.ID != "msg_1" {
				t.Fatalf("ParseTwilioCallback = %+v (%q), %v", c, c.Outcome(), err)
			}
		})
	}
}

func FuzzVerifyTwilioSignature(f *testing.F) {
	f.Add("12345", twilioDocsURL, twilioDocsForm.Encode(), "GvWf1cFY/Q7PnoempGyD5oXAezc=", byte(1))
	f.Add("", "", "", "", byte(0))
	f.Add("t", "https://x/?id=msg_1", "A=1&A=2&B=", "x", byte(9))
	f.Fuzz(func(t *testing.T, token, fullURL, rawForm, sig string, flip byte) {
		form, err := url.ParseQuery(rawForm)
		if err != nil {
			return
		}
		_ = VerifyTwilioSignature(token, fullURL, form, sig) // never panics
		good := TwilioSignature(token, fullURL, form)
		if VerifyTwilioSignature(token, fullURL, form, good) != (token != "") {
			t.Fatal("verify(sign(x)) failed")
		}
		if fullURL != "" {
			b := []byte(fullURL)
			b[int(flip)%len(b)] ^= 1 | flip
			if VerifyTwilioSignature(token, string(b), form, good) {
				t.Fatal("a changed URL verified")
			}
		}
	})
}
