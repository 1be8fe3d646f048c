package hooks_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/kizukai/kizukai/internal/channel/sms"
)

// post is one request a fake provider received.
type post struct {
	key, to, body string
}

// genericGateway speaks the generic SMS wire format (SPEC §5): it checks
// the signature and accepts each Idempotency-Key once, answering a repeat
// as it answered the first, like a real provider.
type genericGateway struct {
	*httptest.Server
	secret []byte
	mu     sync.Mutex
	posts  []post
	first  map[string]int // key → status answered first
	status int            // status to answer new keys with (200 by default)
	bad    int
}

func newGenericGateway(t testing.TB, secret string) *genericGateway {
	t.Helper()
	g := &genericGateway{secret: []byte(secret), first: map[string]int{}, status: 200}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		g.mu.Lock()
		defer g.mu.Unlock()
		var p struct{ ID, To, From, Body string }
		key := r.Header.Get("Idempotency-Key")
		if !sms.VerifyCallback(g.secret, body, r.Header.Get(sms.SignatureHeader)) || json.Unmarshal(body, &p) != nil || p.ID != key {
			g.bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		g.posts = append(g.posts, post{key: key, to: p.To, body: p.Body})
		code, seen := g.first[key]
		if !seen {
			code = g.status
			g.first[key] = code
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *genericGateway) got() []post {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]post(nil), g.posts...)
}

// twilioGateway speaks Twilio's Messages API and, like Twilio, does not
// dedupe: every create is a new message.
type twilioGateway struct {
	*httptest.Server
	mu    sync.Mutex
	forms []url.Values
}

func newTwilioGateway(t *testing.T, sid, token string) *twilioGateway {
	t.Helper()
	g := &twilioGateway{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != sid || p != token || r.URL.Path != "/2010-04-01/Accounts/"+sid+"/Messages.json" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = r.ParseForm()
		g.mu.Lock()
		g.forms = append(g.forms, r.PostForm)
		n := len(g.forms)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"sid":"SM%032d","num_segments":"1","status":"queued"}`, n)
	}))
	t.Cleanup(g.Close)
	return g
}

// lineAPI speaks LINE's push API: X-Line-Retry-Key once (a retry gets
// 409), or a scripted status for every push.
type lineAPI struct {
	*httptest.Server
	mu     sync.Mutex
	keys   map[string]int
	pushes int
	status int
}

func newLineAPI(t *testing.T, status int) *lineAPI {
	t.Helper()
	g := &lineAPI{keys: map[string]int{}, status: status}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.pushes++
		key := r.Header.Get("X-Line-Retry-Key")
		if g.status != 200 {
			w.WriteHeader(g.status)
			_, _ = io.WriteString(w, `{"message":"The request body has 1 error(s)"}`)
			return
		}
		if g.keys[key]++; g.keys[key] > 1 {
			w.WriteHeader(http.StatusConflict)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"sentMessages":[{"id":"461230966842064897","quoteToken":"q"}]}`)
	}))
	t.Cleanup(g.Close)
	return g
}
