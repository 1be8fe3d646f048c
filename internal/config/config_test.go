package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "localhost:8080" || c.DB != "sqlite:kizukai.db" || c.BaseURL != "http://localhost:8080" || c.Clock != "real" || c.SecretKey != nil || c.AllowLoopbackProviders {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadSecretFile(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(f, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"KIZUKAI_SECRET_KEY_FILE": f}))
	if err != nil || len(c.SecretKey) != 32 {
		t.Fatalf("Load = %v, key %d bytes", err, len(c.SecretKey))
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"short key", map[string]string{"KIZUKAI_SECRET_KEY": "abcd"}},
		{"bad level", map[string]string{"KIZUKAI_LOG_LEVEL": "loud"}},
		{"bad clock", map[string]string{"KIZUKAI_CLOCK": "fast"}},
		{"bad addr", map[string]string{"KIZUKAI_ADDR": "8080"}},
		{"bad base", map[string]string{"KIZUKAI_BASE_URL": "ftp://x"}},
		{"bad loopback switch", map[string]string{"KIZUKAI_ALLOW_LOOPBACK_PROVIDERS": "maybe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(env(tt.env))
			if err == nil {
				err = c.Validate()
			}
			if err == nil {
				t.Fatalf("%v accepted", tt.env)
			}
		})
	}
}

func TestLoadLoopbackSwitch(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"KIZUKAI_ALLOW_LOOPBACK_PROVIDERS": "1"}))
	if err != nil || !c.AllowLoopbackProviders {
		t.Fatalf("Load = %v, allow %v", err, c.AllowLoopbackProviders)
	}
}
