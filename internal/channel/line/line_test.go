package line

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/errs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

const (
	testToken  = "channel-access-token"
	testSecret = "channel-secret"
	testUserID = "U0123456789abcdef0123456789abcdef"
)

func testMessage() channel.Message {
	return channel.Message{
		ID: "msg_01JD0000000000000000000000", ShopID: "shp_1", Purpose: "care",
		To:     channel.Recipient{LineUserID: testUserID},
		Text:   "ひだまり珈琲です。深煎りブレンドの使い心地はいかがですか。",
		Sender: channel.Identity{Name: "ひだまり珈琲"},
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// fakeLINE is a LINE Messaging API that checks the token, the retry key
// and the body, and deduplicates on the retry key as LINE does: a key
// already accepted gets 409. status scripts the next replies (0: accept
// the push, then hang without answering).
type fakeLINE struct {
	t        *testing.T
	mu       sync.Mutex
	status   []int
	accepted map[string]string // retry key → request id
	pushes   int               // pushes accepted, i.e. shown to the user
}

// pushCount returns how many pushes the user saw.
func (f *fakeLINE) pushCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushes
}

func (f *fakeLINE) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("X-Line-Retry-Key")
	if r.Method != http.MethodPost || r.URL.Path != "/v2/bot/message/push" || r.Header.Get("Authorization") != "Bearer "+testToken {
		f.t.Errorf("bad request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if !uuidPattern.MatchString(key) {
		f.t.Errorf("retry key %q is not a UUID", key)
	}
	var body struct {
		To       string `json:"to"`
		Messages []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.To != testUserID || len(body.Messages) != 1 || body.Messages[0].Type != "text" {
		f.t.Errorf("body %+v %v", body, err)
	}
	f.mu.Lock()
	status := http.StatusOK
	if len(f.status) > 0 {
		status, f.status = f.status[0], f.status[1:]
	}
	if id, ok := f.accepted[key]; ok {
		f.mu.Unlock()
		w.Header().Set("X-Line-Accepted-Request-Id", id)
		w.WriteHeader(http.StatusConflict)
		fmt.Fprint(w, `{"message":"The retry key is already accepted"}`)
		return
	}
	if status == http.StatusOK || status == 0 {
		f.accepted[key] = fmt.Sprintf("req-%d", len(f.accepted)+1)
		f.pushes++
	}
	f.mu.Unlock()
	if status == 0 {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if status == http.StatusOK {
		fmt.Fprint(w, `{"sentMessages":[{"id":"461230966842064897","quoteToken":"q"}]}`)
		return
	}
	fmt.Fprintf(w, `{"message":"error for %s"}`, testUserID)
}

func newClient(t *testing.T, status ...int) (*Client, *fakeLINE) {
	t.Helper()
	f := &fakeLINE{t: t, status: status, accepted: map[string]string{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{ChannelAccessToken: testToken, ChannelSecret: testSecret, Endpoint: srv.URL, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

func TestSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		class  channel.Class
		ok     bool
	}{
		{"200 sent", 200, 0, true},
		{"400 permanent", 400, channel.ClassPermanent, false},
		{"403 permanent", 403, channel.ClassPermanent, false},
		{"429 retryable", 429, channel.ClassRetryable, false},
		{"500 retryable", 500, channel.ClassRetryable, false},
		{"slow: ambiguous", 0, channel.ClassAmbiguous, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newClient(t, tt.status)
			m := testMessage()
			rc, err := c.Send(context.Background(), m)
			if err != nil {
				for _, pii := range []string{testUserID, m.Text, testToken} {
					if strings.Contains(err.Error(), pii) {
						t.Fatalf("error text %q holds %q", err, pii)
					}
				}
			}
			if tt.ok {
				if err != nil || rc.ProviderID != "461230966842064897" {
					t.Fatalf("Send = %+v, %v", rc, err)
				}
				return
			}
			if err == nil || channel.ClassOf(err) != tt.class {
				t.Fatalf("err %v, want %v", err, tt.class)
			}
		})
	}
}

// A push whose reply is lost is retried with the same retry key; LINE
// answers 409 and the user sees the message once.
func TestRetryAfterLostReplyIsAcceptedOnce(t *testing.T) {
	t.Parallel()
	c, f := newClient(t, 0, 200)
	m := testMessage()
	if _, err := c.Send(context.Background(), m); !channel.IsAmbiguous(err) || !channel.SafeToRetry(c, err) {
		t.Fatalf("first send: %v", err)
	}
	rc, err := c.Send(context.Background(), m)
	if err != nil || rc.ProviderID != "req-1" {
		t.Fatalf("retry: %+v, %v", rc, err)
	}
	if f.pushCount() != 1 {
		t.Fatalf("the user got %d pushes", f.pushCount())
	}
}

func TestSendRefusesBadMessages(t *testing.T) {
	t.Parallel()
	c, f := newClient(t)
	for name, edit := range map[string]func(*channel.Message){
		"no user":  func(m *channel.Message) { m.To.LineUserID = "" },
		"no text":  func(m *channel.Message) { m.Text = "" },
		"too long": func(m *channel.Message) { m.Text = strings.Repeat("😀", 2501) },
	} {
		m := testMessage()
		edit(&m)
		if _, err := c.Send(context.Background(), m); !channel.IsPermanent(err) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if f.pushCount() != 0 {
		t.Fatal("a refused message was pushed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Send(ctx, testMessage()); !channel.IsRetryable(err) {
		t.Fatalf("canceled before sending: %v", err)
	}
}

func TestRetryKey(t *testing.T) {
	t.Parallel()
	// Vectors from Python's uuid.uuid5 with the same namespace.
	tests := []struct{ id, want string }{
		{"msg_01JD0000000000000000000000", "c040daed-fc1b-59f0-8ae0-1531571f2251"},
		{"", "c696b668-a18b-58f7-9612-705f2842dd48"},
	}
	for _, tt := range tests {
		if got := RetryKey(tt.id); got != tt.want || !uuidPattern.MatchString(got) {
			t.Errorf("RetryKey(%q) = %s, want %s", tt.id, got, tt.want)
		}
	}
	if RetryKey("msg_a") == RetryKey("msg_b") {
		t.Fatal("two ids share a retry key")
	}
}

func TestPushGolden(t *testing.T) {
	t.Parallel()
	body, err := json.Marshal(Request(testMessage()))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s/v2/bot/message/push\nAuthorization: Bearer <channel access token>\nX-Line-Retry-Key: %s\n\n", Endpoint, RetryKey(testMessage().ID))
	if err := json.Indent(&b, body, "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	golden(t, "push.golden", b.Bytes())
}

func TestConfig(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"no token":     {ChannelSecret: "s"},
		"no secret":    {ChannelAccessToken: "t"},
		"bad endpoint": {ChannelAccessToken: "t", ChannelSecret: "s", Endpoint: "ftp://x"},
	} {
		if _, err := New(cfg); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
