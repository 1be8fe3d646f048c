package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadmeTour runs the README's five-minute tour as a shell script against
// a freshly built binary, and checks what the tour says happens.
func TestReadmeTour(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	script := tourScript(t, string(readme))

	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "kizukai"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// A free port instead of 8080, which may be taken on the machine.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	script = strings.ReplaceAll(script, "localhost:8080", addr)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KIZUKAI_SECRET_KEY=", "KIZUKAI_LOG_LEVEL=warn")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	// Whatever happened, stop a server the script left running.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
		t.Fatalf("tour failed: %v\n--- output\n%s\n--- serve.log\n%s", err, out, log)
	}
	for _, want := range []string{
		`"phone":"+819012345678"`, `"receipt_url":"http`, `"type":"order.placed"`, `"type":"app.sample_requested"`,
		`"band":"fresh"`, `"band":"cooling"`, `"code":"validation_failed"`, "\n200\n", "\n204\n",
		`"template_key":"care_thanks","locale":"ja"`, `"template_key":"care_replenish","locale":"ja"`,
		`"builtin_key":"post_purchase_care"`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("tour output lacks %s\n%s", want, out)
		}
	}
	if export, err := os.ReadFile(filepath.Join(dir, "hanako.json")); err != nil || !strings.Contains(string(export), "山田 花子") {
		t.Errorf("export file: %v %.200s", err, export)
	}
}

// tourScript returns the sh blocks of the README's tour section, without the
// build step (the test builds the binary itself).
func tourScript(t *testing.T, readme string) string {
	t.Helper()
	start := strings.Index(readme, "## A five-minute tour")
	if start < 0 {
		t.Fatal("README has no tour section")
	}
	section := readme[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) < 5 {
		t.Fatalf("tour has %d sh blocks", len(blocks))
	}
	var b strings.Builder
	for _, m := range blocks {
		for _, line := range strings.Split(m[1], "\n") {
			if strings.HasPrefix(line, "go build ") {
				continue
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
