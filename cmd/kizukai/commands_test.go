package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/db/dbtest"
)

// kz runs the command line in-process and returns exit code and output.
func kz(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, func(string) string { return "" })
	return code, out.String(), errOut.String()
}

func TestAdminCommands(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dbURL := "sqlite:" + filepath.Join(t.TempDir(), "k.db")
			if engine == "postgres" {
				dbURL = dbtest.PostgresSchemaURL(t)
			}
			if code, out, errOut := kz(t, "", "migrate", "--db", dbURL); code != 0 || !strings.Contains(out, "migration(s) applied") {
				t.Fatalf("migrate: %d %s %s", code, out, errOut)
			}
			if code, out, errOut := kz(t, "", "shop", "create", "--db", dbURL, "--slug", "hanaya", "--name", "花屋"); code != 0 || !strings.Contains(out, "hanaya") {
				t.Fatalf("shop create: %d %s %s", code, out, errOut)
			}
			if code, _, errOut := kz(t, "", "shop", "create", "--db", dbURL, "--slug", "hanaya", "--name", "again"); code == 0 || !strings.Contains(errOut, "exists") {
				t.Fatalf("duplicate shop: %d %s", code, errOut)
			}
			if code, _, errOut := kz(t, "", "shop", "create", "--db", dbURL, "--slug", "Bad Slug", "--name", ""); code == 0 || !strings.Contains(errOut, "slug") {
				t.Fatalf("bad shop: %d %s", code, errOut)
			}
			code, key, errOut := kz(t, "", "apikey", "create", "--db", dbURL, "--shop", "hanaya", "--name", "till")
			key = strings.TrimSpace(key)
			if code != 0 || !strings.HasPrefix(key, "kz_") || strings.Contains(key, " ") {
				t.Fatalf("apikey create printed %q (%d %s); want only the key", key, code, errOut)
			}
			code, list, _ := kz(t, "", "apikey", "list", "--db", dbURL, "--shop", "hanaya")
			if code != 0 || strings.Contains(list, key) || !strings.Contains(list, "active") {
				t.Fatalf("apikey list leaks the key or misses it: %s", list)
			}
			keyID := strings.Fields(list)[0]
			if code, out, errOut := kz(t, "", "apikey", "revoke", "--db", dbURL, "--shop", "hanaya", "--id", keyID); code != 0 {
				t.Fatalf("revoke: %s %s", out, errOut)
			}
			if code, _, errOut := kz(t, "", "apikey", "revoke", "--db", dbURL, "--shop", "hanaya", "--id", keyID); code == 0 {
				t.Fatalf("second revoke succeeded: %s", errOut)
			}
			if code, _, errOut := kz(t, "", "apikey", "create", "--db", dbURL, "--shop", "nope"); code == 0 || !strings.Contains(errOut, "no shop") {
				t.Fatalf("unknown shop: %d %s", code, errOut)
			}
			if code, out, errOut := kz(t, "a long password\n", "user", "create", "--db", dbURL, "--shop", "hanaya", "--email", "owner@hanaya.example", "--role", "owner"); code != 0 || !strings.Contains(out, "owner@hanaya.example") {
				t.Fatalf("user create: %d %s %s", code, out, errOut)
			}
			if code, _, errOut := kz(t, "short\n", "user", "create", "--db", dbURL, "--shop", "hanaya", "--email", "x@hanaya.example", "--role", "owner"); code == 0 || !strings.Contains(errOut, "password") {
				t.Fatalf("short password accepted: %s", errOut)
			}
			if code, _, errOut := kz(t, "a long password\n", "user", "create", "--db", dbURL, "--shop", "hanaya", "--email", "y@hanaya.example", "--role", "boss"); code == 0 || !strings.Contains(errOut, "role") {
				t.Fatalf("bad role accepted: %s", errOut)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	if code, _, errOut := kz(t, ""); code != 2 || !strings.Contains(errOut, "Usage") {
		t.Fatalf("no args: %d %s", code, errOut)
	}
	if code, _, errOut := kz(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown: %d %s", code, errOut)
	}
	if code, out, _ := kz(t, "", "version"); code != 0 || !strings.HasPrefix(out, "kizukai ") {
		t.Fatalf("version: %d %s", code, out)
	}
}
