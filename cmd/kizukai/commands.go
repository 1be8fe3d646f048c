package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/kizukai/kizukai/internal/app"
	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/config"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// run is main without the process: testable with any arguments and streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		_, _ = io.WriteString(stderr, usage)
		return 2
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return errorf(stderr, "%v", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	c := &cli{ctx: ctx, cfg: cfg, log: log, stdin: stdin, stdout: stdout, stderr: stderr}
	cmd, rest := args[0], args[1:]
	if len(rest) > 0 && (cmd == "shop" || cmd == "apikey" || cmd == "user") {
		cmd, rest = cmd+" "+rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return c.serve(rest)
	case "migrate":
		return c.migrate(rest)
	case "demo":
		return c.demo(rest)
	case "shop create":
		return c.shopCreate(rest)
	case "apikey create":
		return c.apikeyCreate(rest)
	case "apikey list":
		return c.apikeyList(rest)
	case "apikey revoke":
		return c.apikeyRevoke(rest)
	case "user create":
		return c.userCreate(rest)
	case "version":
		_, _ = fmt.Fprintln(stdout, "kizukai", version)
		return 0
	case "help", "-h", "--help":
		_, _ = io.WriteString(stdout, usage)
		return 0
	}
	_, _ = fmt.Fprintf(stderr, "kizukai: unknown command %q\n\n%s", strings.Join(args[:min(2, len(args))], " "), usage)
	return 2
}

type cli struct {
	ctx    context.Context
	cfg    config.Config
	log    *slog.Logger
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// flags returns a flag set whose errors go to stderr, with --db bound.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("kizukai "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.StringVar(&c.cfg.DB, "db", c.cfg.DB, "database: sqlite:PATH or postgres://...")
	return fs
}

// open opens and migrates the database for an administrative command.
func (c *cli) open() (*db.DB, error) {
	d, err := db.Open(c.ctx, c.cfg.DB)
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(c.ctx, db.MigrateOptions{}); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

func (c *cli) serve(args []string) int {
	fs := c.flags("serve")
	fs.StringVar(&c.cfg.Addr, "addr", c.cfg.Addr, "listen address")
	fs.StringVar(&c.cfg.Clock, "clock", c.cfg.Clock, "real or simulated")
	fs.StringVar(&c.cfg.BaseURL, "base-url", c.cfg.BaseURL, "public URL of this server")
	demo := fs.Bool("demo", false, "create the demo shop first if it does not exist")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// Listen first, so that --addr with port 0 gives the real port to the
	// default base URL (links in messages and receipts).
	ln, err := net.Listen("tcp", c.cfg.Addr)
	if err != nil {
		return errorf(c.stderr, "listen: %v", err)
	}
	if _, port, _ := net.SplitHostPort(c.cfg.Addr); c.cfg.BaseURL == "" && port == "0" {
		c.cfg.BaseURL = "http://" + ln.Addr().String()
	}
	a, err := app.New(c.ctx, c.cfg, c.log, app.Options{})
	if err != nil {
		_ = ln.Close()
		return errorf(c.stderr, "%v", err)
	}
	defer a.Close()
	// The address line on stdout lets scripts and tests find a :0 port.
	_, _ = fmt.Fprintf(c.stdout, "Kizukai is listening on http://%s (public URL %s)\n", ln.Addr(), a.Config.BaseURL)
	if *demo {
		if err := c.ensureDemo(a); err != nil {
			_ = ln.Close()
			return errorf(c.stderr, "demo: %v", err)
		}
	}
	if err := a.Serve(c.ctx, ln); err != nil {
		return errorf(c.stderr, "%v", err)
	}
	return 0
}

func (c *cli) migrate(args []string) int {
	fs := c.flags("migrate")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, err := db.Open(c.ctx, c.cfg.DB)
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	defer d.Close()
	n, err := d.Migrate(c.ctx, db.MigrateOptions{})
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	_, _ = fmt.Fprintf(c.stdout, "%s: %d migration(s) applied\n", d, n)
	return 0
}

func (c *cli) shopCreate(args []string) int {
	fs := c.flags("shop create")
	var p shop.CreateParams
	fs.StringVar(&p.Slug, "slug", "", "short name used in URLs (a-z, 0-9, -)")
	fs.StringVar(&p.Name, "name", "", "the shop's name")
	fs.StringVar(&p.Timezone, "timezone", "Asia/Tokyo", "IANA time zone")
	fs.StringVar(&p.Locale, "locale", "ja", "ja or en")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// Through the app, so the shop starts with its built-in journeys and
	// templates.
	a, err := app.New(c.ctx, c.cfg, c.log, app.Options{})
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	defer a.Close()
	s, err := a.CreateShop(c.ctx, p)
	if err != nil {
		return errorf(c.stderr, "%s", describe(err))
	}
	_, _ = fmt.Fprintf(c.stdout, "shop %s created (id %s)\n", s.Slug, s.ID)
	return 0
}

func (c *cli) shopBySlug(d *db.DB, slug string) (shop.Shop, error) {
	if slug == "" {
		return shop.Shop{}, errors.New("--shop is required (the shop's slug)")
	}
	s, err := shop.BySlug(c.ctx, d, slug)
	if errors.Is(err, errs.ErrNotFound) {
		return shop.Shop{}, fmt.Errorf("no shop with slug %q", slug)
	}
	return s, err
}

func (c *cli) apikeyCreate(args []string) int {
	fs := c.flags("apikey create")
	slug := fs.String("shop", "", "shop slug")
	name := fs.String("name", "", "what the key is for, e.g. 'till' or 'online store'")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, err := c.open()
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	defer d.Close()
	s, err := c.shopBySlug(d, *slug)
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	key, _, err := shop.CreateKey(c.ctx, d, s.ID, *name, clock.Real{}.Now())
	if err != nil {
		return errorf(c.stderr, "%s", describe(err))
	}
	_, _ = fmt.Fprintln(c.stdout, key)
	return 0
}

func (c *cli) apikeyList(args []string) int {
	fs := c.flags("apikey list")
	slug := fs.String("shop", "", "shop slug")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, err := c.open()
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	defer d.Close()
	s, err := c.shopBySlug(d, *slug)
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	keys, err := shop.ListKeys(c.ctx, d, s.ID)
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	for _, k := range keys {
		state := "active"
		if k.RevokedAt != nil {
			state = "revoked " + k.RevokedAt.Format("2006-01-02")
		}
		_, _ = fmt.Fprintf(c.stdout, "%s\t%s…\t%s\t%s\t%s\n", k.ID, k.Prefix, k.CreatedAt.Format("2006-01-02"), state, k.Name)
	}
	return 0
}

func (c *cli) apikeyRevoke(args []string) int {
	fs := c.flags("apikey revoke")
	slug := fs.String("shop", "", "shop slug")
	keyID := fs.String("id", "", "the key's id (see apikey list)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, err := c.open()
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	defer d.Close()
	s, err := c.shopBySlug(d, *slug)
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	if err := shop.RevokeKey(c.ctx, d, s.ID, *keyID, clock.Real{}.Now()); err != nil {
		return errorf(c.stderr, "%s", describe(err))
	}
	_, _ = fmt.Fprintf(c.stdout, "key %s revoked\n", *keyID)
	return 0
}

func (c *cli) userCreate(args []string) int {
	fs := c.flags("user create")
	slug := fs.String("shop", "", "shop slug")
	var p staff.CreateParams
	fs.StringVar(&p.Email, "email", "", "login email")
	fs.StringVar(&p.Name, "name", "", "display name")
	role := fs.String("role", "", "owner, marketer, support or viewer")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	p.Role = staff.Role(*role)
	pw, err := bufio.NewReader(io.LimitReader(c.stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return errorf(c.stderr, "read password from standard input: %v", err)
	}
	p.Password = strings.TrimRight(pw, "\r\n")
	d, err := c.open()
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	defer d.Close()
	s, err := c.shopBySlug(d, *slug)
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	p.ShopID = s.ID
	u, err := staff.Create(c.ctx, d, p, clock.Real{}.Now())
	if err != nil {
		return errorf(c.stderr, "%s", describe(err))
	}
	_, _ = fmt.Fprintf(c.stdout, "user %s (%s) created in shop %s\n", u.Email, u.Role, s.Slug)
	return 0
}

// describe renders a domain error for a terminal: its message and fields.
func describe(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		if len(e.Fields) == 0 {
			return e.Message
		}
		var b strings.Builder
		b.WriteString(e.Message + ":")
		for k, v := range e.Fields {
			b.WriteString("\n  " + k + ": " + v)
		}
		return b.String()
	}
	return err.Error()
}
