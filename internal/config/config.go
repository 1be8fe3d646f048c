// Package config reads the bootstrap configuration: only what is needed
// before the database is open. Everything a shop owner edits (channels,
// quiet hours, templates) lives in the database instead.
package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Config is the bootstrap configuration. Every field can come from an
// environment variable (named in its comment) and most from a flag.
type Config struct {
	// Addr is the HTTP listen address. KIZUKAI_ADDR, --addr. Default localhost:8080.
	Addr string
	// DB is the database: sqlite:PATH or a postgres:// URL. KIZUKAI_DB, --db.
	// Default sqlite:kizukai.db (in the working directory).
	DB string
	// BaseURL is the public URL customers reach this server at; links in
	// messages and receipts are built on it. KIZUKAI_BASE_URL, --base-url.
	// Default http://<Addr>.
	BaseURL string
	// SecretKey signs public tokens and encrypts provider secrets: 32 bytes
	// or more, given as 64+ hex characters. KIZUKAI_SECRET_KEY or the file
	// named by KIZUKAI_SECRET_KEY_FILE. When empty, one is generated at first
	// start and kept in the database (fine for one node; set it explicitly
	// for several nodes or to keep it out of backups).
	SecretKey []byte
	// Clock is "real" (default) or "simulated". KIZUKAI_CLOCK, --clock.
	Clock string
	// LogLevel is debug, info (default), warn or error. KIZUKAI_LOG_LEVEL.
	LogLevel slog.Level
	// AllowLoopbackProviders lets shops point provider URLs (SMS gateway,
	// SMTP server, LINE endpoint) at loopback addresses such as 127.0.0.1:
	// for a gateway on the same host, and for tests. Default false: a shop
	// may not make this server call itself. KIZUKAI_ALLOW_LOOPBACK_PROVIDERS
	// (true or false).
	AllowLoopbackProviders bool
}

// Load reads the configuration from the environment (getenv is os.Getenv in
// production, a map in tests).
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:    or(getenv("KIZUKAI_ADDR"), "localhost:8080"),
		DB:      or(getenv("KIZUKAI_DB"), "sqlite:kizukai.db"),
		BaseURL: getenv("KIZUKAI_BASE_URL"),
		Clock:   or(getenv("KIZUKAI_CLOCK"), "real"),
	}
	secret := getenv("KIZUKAI_SECRET_KEY")
	if f := getenv("KIZUKAI_SECRET_KEY_FILE"); f != "" {
		if secret != "" {
			return Config{}, errors.New("set KIZUKAI_SECRET_KEY or KIZUKAI_SECRET_KEY_FILE, not both")
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return Config{}, fmt.Errorf("KIZUKAI_SECRET_KEY_FILE: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret != "" {
		k, err := ParseSecretKey(secret)
		if err != nil {
			return Config{}, err
		}
		c.SecretKey = k
	}
	if v := getenv("KIZUKAI_ALLOW_LOOPBACK_PROVIDERS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, errors.New("KIZUKAI_ALLOW_LOOPBACK_PROVIDERS must be true or false")
		}
		c.AllowLoopbackProviders = b
	}
	if lvl := getenv("KIZUKAI_LOG_LEVEL"); lvl != "" {
		if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
			return Config{}, fmt.Errorf("KIZUKAI_LOG_LEVEL: %w", err)
		}
	}
	return c, nil
}

// ParseSecretKey decodes a hex secret key of at least 32 bytes.
func ParseSecretKey(s string) ([]byte, error) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) < 32 {
		return nil, errors.New("the secret key must be at least 64 hex characters (32 bytes); make one with: openssl rand -hex 32")
	}
	return k, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Validate checks the combination of values and fills BaseURL.
func (c *Config) Validate() error {
	var problems []string
	if c.Clock != "real" && c.Clock != "simulated" {
		problems = append(problems, "clock must be real or simulated")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		problems = append(problems, "addr must be host:port, e.g. localhost:8080 or :8080")
	}
	if c.BaseURL == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.BaseURL = "http://" + host
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, "base URL must be an http(s) URL such as https://follow.example.jp")
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}
