package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db/dbtest"
)

// crashBuyers is how many buyers the crash test's recall reaches.
const crashBuyers = 2000

// gateway is a generic SMS gateway (SPEC §5) that checks signatures and,
// like a real provider, accepts each Idempotency-Key once: a repeated key
// gets the first answer again and reaches nobody twice.
type gateway struct {
	secret []byte
	mu     sync.Mutex
	posts  int                        // every POST with a valid signature
	keys   map[string]string          // Idempotency-Key → phone
	phones map[string]map[string]bool // phone → keys seen for it
	bad    int                        // POSTs with a bad signature or body
	seen   chan struct{}              // closed when posts reaches notify
	notify int
}

func newGateway(secret []byte, notify int) *gateway {
	return &gateway{secret: secret, keys: map[string]string{}, phones: map[string]map[string]bool{},
		seen: make(chan struct{}), notify: notify}
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	m := hmac.New(sha256.New, g.secret)
	m.Write(body)
	var p struct{ ID, To, From, Body string }
	g.mu.Lock()
	defer g.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	if err != nil || r.Header.Get("X-Kizukai-Signature") != "sha256="+hex.EncodeToString(m.Sum(nil)) ||
		json.Unmarshal(body, &p) != nil || key == "" || p.ID != key || p.To == "" {
		g.bad++
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	g.posts++
	if g.posts == g.notify {
		close(g.seen)
	}
	if _, dup := g.keys[key]; !dup {
		g.keys[key] = p.To
	}
	if g.phones[p.To] == nil {
		g.phones[p.To] = map[string]bool{}
	}
	g.phones[p.To][key] = true
	w.WriteHeader(http.StatusOK)
}

// server is a running `kizukai serve` subprocess.
type server struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

func startServe(t *testing.T, bin, dbURL string, env []string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", dbURL, "--clock", "simulated")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("serve printed no address: %v\n%s", err, logs)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if addr == "" {
		t.Fatalf("address line %q", line)
	}
	return &server{cmd: cmd, url: addr, logs: logs}
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

// call sends a JSON request with the API key and decodes the reply into out.
func call(t *testing.T, base, key, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if res.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return res.StatusCode
}

// kizukaiBinary returns KIZUKAI_TEST_BINARY or a fresh build of this command.
func kizukaiBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KIZUKAI_TEST_BINARY"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "kizukai")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// TestDeliveryCrash is the delivery crash test (reliability.md §6.2 D1–D3):
// a recall to 2,000 buyers through the generic SMS gateway, the server
// SIGKILLed after the gateway saw some hundreds of messages, started
// again on the same database. Every buyer must be reached, under one
// Idempotency-Key each (the message id), with as many distinct keys as
// buyers; duplicate POSTs of a key (in flight at the kill) are counted and
// reported.
func TestDeliveryCrash(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := kizukaiBinary(t)
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		crashRecall(t, bin, "sqlite:"+filepath.Join(t.TempDir(), "k.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		crashRecall(t, bin, dbtest.PostgresSchemaURL(t))
	})
}

func crashRecall(t *testing.T, bin, dbURL string) {
	secret := []byte("gateway-secret-0123456789")
	gw := newGateway(secret, 400)
	gwSrv := httptest.NewServer(gw)
	defer gwSrv.Close()
	env := []string{"KIZUKAI_SECRET_KEY=" + strings.Repeat("ab", 32), "KIZUKAI_ALLOW_LOOPBACK_PROVIDERS=1", "KIZUKAI_LOG_LEVEL=warn"}
	admin := func(args ...string) string {
		cmd := exec.Command(bin, append(args, "--db", dbURL)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	admin("shop", "create", "--slug", "crash", "--name", "Crash Test")
	key := admin("apikey", "create", "--shop", "crash")

	srv := startServe(t, bin, dbURL, env)
	defer func() { srv.kill(t) }()
	if code := call(t, srv.url, key, "PUT", "/api/v1/channels/sms", map[string]any{"provider": "generic", "url": gwSrv.URL,
		"secret": string(secret), "sender_id": "KIZUKAI", "rate_per_second": 5000}, nil); code != 200 {
		t.Skipf("channel settings: %d (is delivery wired into this binary?)", code)
	}
	if code := call(t, srv.url, key, "PUT", "/api/v1/policy", map[string]any{"quiet_start": "00:00", "quiet_end": "00:00"}, nil); code != 200 {
		t.Fatalf("policy: %d", code)
	}
	at := time.Now().Add(-240 * time.Hour).UTC().Format(time.RFC3339)
	for b := 0; b < crashBuyers/1000; b++ {
		var orders []map[string]any
		for i := b * 1000; i < (b+1)*1000; i++ {
			orders = append(orders, map[string]any{"external_id": fmt.Sprintf("o%d", i), "ordered_at": at, "channel": "online",
				"customer": map[string]any{"external_id": fmt.Sprintf("c%d", i), "name": "買い手", "phone": fmt.Sprintf("+8190%08d", 10000000+i)},
				"lines":    []map[string]any{{"sku": "RC-1", "quantity": 1, "unit_price": 1000}}, "total": 1000})
		}
		if code := call(t, srv.url, key, "POST", "/api/v1/orders/batch", map[string]any{"orders": orders}, nil); code != 200 {
			t.Fatalf("orders: %d", code)
		}
	}
	var recall struct {
		ID                                                 string
		Status                                             string
		Targeted, Pending, Sent, Unreachable, Acknowledged int
	}
	if code := call(t, srv.url, key, "POST", "/api/v1/recalls", map[string]any{"sku": "RC-1",
		"subject": "回収のお知らせ", "body": "{{ customer.name }}様、RC-1 を回収します。"}, &recall); code != 201 {
		t.Fatalf("recall: %d", code)
	}
	select {
	case <-gw.seen:
	case <-time.After(90 * time.Second):
		t.Fatalf("the gateway saw %d messages in 90 s\n%s", gw.count(), srv.logs)
	}
	srv.kill(t)
	atKill := gw.count()

	srv = startServe(t, bin, dbURL, env)
	deadline := time.Now().Add(120 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		call(t, srv.url, key, "GET", "/api/v1/recalls/"+recall.ID, nil, &recall)
		if recall.Status == "done" && recall.Targeted == crashBuyers && recall.Pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every message terminal after 120 s: %+v\n%s", recall, srv.logs)
		}
		<-tick.C // polling a subprocess; the deadline is a hang guard, not a timing assertion
	}

	gw.mu.Lock()
	defer gw.mu.Unlock()
	if recall.Sent != crashBuyers || recall.Unreachable != 0 {
		t.Errorf("recall counts %+v, want %d sent", recall, crashBuyers)
	}
	if len(gw.keys) != crashBuyers || len(gw.phones) != crashBuyers {
		t.Errorf("distinct keys %d, phones reached %d; want %d each", len(gw.keys), len(gw.phones), crashBuyers)
	}
	for _, keys := range gw.phones {
		if len(keys) != 1 {
			t.Errorf("a buyer got %d different message ids", len(keys))
			break
		}
	}
	if gw.bad != 0 {
		t.Errorf("%d POSTs with a bad signature or body", gw.bad)
	}
	t.Logf("%s: gateway saw %d POSTs before the kill; %d POSTs in all for %d keys: %d duplicate POSTs (same key, deduplicated by the gateway)",
		strings.SplitN(dbURL, ":", 2)[0], atKill, gw.posts, len(gw.keys), gw.posts-len(gw.keys))
}

func (g *gateway) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.posts
}
