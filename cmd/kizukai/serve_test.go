package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestServeAndShutdown starts `kizukai serve` on a free port, checks it
// answers, then cancels it (as SIGTERM does) and expects a clean exit.
func TestServeAndShutdown(t *testing.T) {
	t.Parallel()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "k.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var errOut strings.Builder
	go func() {
		code := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", dbURL}, strings.NewReader(""), pw, &errOut,
			func(string) string { return "" })
		_ = pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address line: %v (%s)", err, errOut.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if addr == "" {
		t.Fatalf("address line %q", line)
	}
	res, err := http.Get(addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("healthz: %d", res.StatusCode)
	}
	// A second server on the same SQLite file must refuse to start.
	var errOut2 strings.Builder
	if code := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--db", dbURL}, strings.NewReader(""), io.Discard, &errOut2,
		func(string) string { return "" }); code == 0 || !strings.Contains(errOut2.String(), "in use") {
		t.Fatalf("second serve on one SQLite file: %d %s", code, errOut2.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down within 30 s")
	}
	if strings.Contains(errOut.String(), `"level":"ERROR"`) {
		t.Fatalf("errors logged: %s", errOut.String())
	}
}
