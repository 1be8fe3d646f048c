package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/errs"
)

var testSecret = []byte("0123456789abcdef-shop-secret")

// gateway is a fake generic SMS gateway that checks what SPEC §5 requires
// of every request and answers with status (or hangs when status is 0).
type gateway struct {
	t      *testing.T
	status int
	mu     sync.Mutex
	got    []genericPayload
	keys   []string
	seen   chan struct{} // one token per recorded request
}

// requests waits for n recorded requests and returns them.
func (g *gateway) requests(n int) ([]genericPayload, []string) {
	for range n {
		select {
		case <-g.seen:
		case <-time.After(5 * time.Second):
			g.t.Fatalf("the gateway saw fewer than %d requests", n)
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]genericPayload(nil), g.got...), append([]string(nil), g.keys...)
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		g.t.Errorf("read body: %v", err)
		return
	}
	switch {
	case r.Method != http.MethodPost:
		g.t.Errorf("method %s", r.Method)
	case r.Header.Get("Content-Type") != "application/json":
		g.t.Errorf("content type %q", r.Header.Get("Content-Type"))
	case !VerifyCallback(testSecret, body, r.Header.Get(SignatureHeader)):
		g.t.Errorf("bad signature %q", r.Header.Get(SignatureHeader))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p genericPayload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		g.t.Errorf("payload: %v", err)
	}
	if r.Header.Get("Idempotency-Key") != p.ID {
		g.t.Errorf("Idempotency-Key %q, id %q", r.Header.Get("Idempotency-Key"), p.ID)
	}
	g.mu.Lock()
	g.got, g.keys = append(g.got, p), append(g.keys, r.Header.Get("Idempotency-Key"))
	g.mu.Unlock()
	g.seen <- struct{}{}
	if g.status == 0 {
		<-r.Context().Done() // hang until the client gives up
		return
	}
	w.WriteHeader(g.status)
	fmt.Fprint(w, `{"error":"the gateway's reply never reaches an error text +819012345678"}`)
}

func testMessage() channel.Message {
	return channel.Message{
		ID: "msg_01JD0000000000000000000000", ShopID: "shp_1", Purpose: "care",
		To:     channel.Recipient{Phone: "+819012345678", Name: "山田 花子"},
		Text:   "ひだまり珈琲です。深煎りブレンドの使い心地はいかがですか。配信停止：https://kizukai.example/u/T?a=1&b=2",
		Sender: channel.Identity{Name: "ひだまり珈琲"},
	}
}

func newGeneric(t *testing.T, status int, timeout time.Duration) (*Generic, *gateway, *httptest.Server) {
	t.Helper()
	g := &gateway{t: t, status: status, seen: make(chan struct{}, 16)}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	p, err := NewGeneric(GenericConfig{URL: srv.URL + "/send?token=gw-secret", From: "HIDAMARI", Secret: testSecret, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return p, g, srv
}

func TestGenericSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		class  channel.Class
		ok     bool
	}{
		{"200 sent", 200, 0, true},
		{"202 sent", 202, 0, true},
		{"400 permanent", 400, channel.ClassPermanent, false},
		{"404 permanent", 404, channel.ClassPermanent, false},
		{"409 in flight is retryable", 409, channel.ClassRetryable, false},
		{"429 rate limited is retryable", 429, channel.ClassRetryable, false},
		{"500 retryable", 500, channel.ClassRetryable, false},
		{"503 retryable", 503, channel.ClassRetryable, false},
		{"slow gateway: request written, reply lost", 0, channel.ClassAmbiguous, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, g, _ := newGeneric(t, tt.status, 200*time.Millisecond)
			m := testMessage()
			rc, err := p.Send(context.Background(), m)
			noPersonalData(t, err, m.To.Phone, m.Text, "gw-secret", "reply never")
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				if _, _, segs := Segments(m.Text); rc.ProviderID != m.ID || rc.Segments != segs || segs == 0 {
					t.Fatalf("receipt %+v", rc)
				}
			} else if err == nil || channel.ClassOf(err) != tt.class {
				t.Fatalf("err %v, want class %v", err, tt.class)
			}
			if got, _ := g.requests(1); len(got) != 1 || got[0].To != m.To.Phone || got[0].Body != m.Text || got[0].From != "HIDAMARI" {
				t.Fatalf("gateway got %+v", got)
			}
		})
	}
}

func TestGenericRetryReusesKey(t *testing.T) {
	t.Parallel()
	p, g, _ := newGeneric(t, 503, time.Second)
	m := testMessage()
	for range 3 {
		if _, err := p.Send(context.Background(), m); !channel.IsRetryable(err) {
			t.Fatalf("err %v", err)
		}
	}
	_, keys := g.requests(3)
	for _, k := range keys {
		if k != m.ID {
			t.Fatalf("keys %v", keys)
		}
	}
}

func TestGenericNotSent(t *testing.T) {
	t.Parallel()
	p, _, srv := newGeneric(t, 200, time.Second)
	srv.Close()
	m := testMessage()
	_, err := p.Send(context.Background(), m)
	if !channel.IsRetryable(err) {
		t.Fatalf("closed gateway: %v, want retryable", err)
	}
	noPersonalData(t, err, m.To.Phone, "gw-secret", "127.0.0.1")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Send(ctx, m); !channel.IsRetryable(err) {
		t.Fatalf("canceled: %v", err)
	}
	for _, bad := range []channel.Message{{ID: "x", Text: "t"}, {ID: "x", To: channel.Recipient{Phone: "+81"}}, {To: channel.Recipient{Phone: "+81"}, Text: "t"}} {
		if _, err := p.Send(context.Background(), bad); !channel.IsPermanent(err) {
			t.Fatalf("incomplete message: %v", err)
		}
	}
}

func TestGenericConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   GenericConfig
		field string
	}{
		{"ok", GenericConfig{URL: "https://gw.example/send", From: "X", Secret: testSecret}, ""},
		{"ftp url", GenericConfig{URL: "ftp://gw.example/", From: "X", Secret: testSecret}, "url"},
		{"no host", GenericConfig{URL: "https:///x", From: "X", Secret: testSecret}, "url"},
		{"no from", GenericConfig{URL: "https://gw.example/send", Secret: testSecret}, "from"},
		{"short secret", GenericConfig{URL: "https://gw.example/send", From: "X", Secret: []byte("short")}, "secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewGeneric(tt.cfg)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) || e.Fields[tt.field] == "" {
				t.Fatalf("err %v, want a problem with %s", err, tt.field)
			}
		})
	}
}

func TestGenericPayloadGolden(t *testing.T) {
	t.Parallel()
	p, err := NewGeneric(GenericConfig{URL: "https://gw.example/send", From: "HIDAMARI", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	body, err := p.Payload(testMessage())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "POST https://gw.example/send\nContent-Type: application/json\nIdempotency-Key: %s\n%s: %s\n\n%s\n",
		testMessage().ID, SignatureHeader, Sign(testSecret, body), body)
	golden(t, "generic_send.golden", []byte(b.String()))
}
