package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/app"
	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/demo"
)

// demo runs `kizukai demo`: it makes the demo shop (or completes a half-made
// one) and prints how to log in and call the API.
func (c *cli) demo(args []string) int {
	fs := c.flags("demo")
	fs.StringVar(&c.cfg.BaseURL, "base-url", c.cfg.BaseURL, "public URL of the server, for the printed links")
	seed := fs.Uint64("seed", demo.DefaultSeed, "seed of the demo data: the same seed makes the same shop")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	a, err := app.New(c.ctx, c.cfg, c.log, app.Options{})
	if err != nil {
		return errorf(c.stderr, "%v", err)
	}
	defer a.Close()
	began := clock.Real{}.Now() // wall time, for the "took" line only
	res, err := demo.Create(c.ctx, demoDeps(a), demo.Options{Seed: *seed})
	if err != nil {
		return errorf(c.stderr, "demo: %s", describe(err))
	}
	printDemo(c.stdout, a, res, clock.Real{}.Now().Sub(began), true)
	return 0
}

// ensureDemo runs for `kizukai serve --demo`: the same as `kizukai demo`
// with the default seed, which does nothing when the demo shop is complete.
func (c *cli) ensureDemo(a *app.App) error {
	began := clock.Real{}.Now()
	res, err := demo.Create(c.ctx, demoDeps(a), demo.Options{})
	if err != nil {
		return fmt.Errorf("%s", describe(err))
	}
	printDemo(c.stdout, a, res, clock.Real{}.Now().Sub(began), false)
	return nil
}

func demoDeps(a *app.App) demo.Deps {
	return demo.Deps{DB: a.DB, Clock: a.Clock, Events: a.Events, Products: a.Products, Orders: a.Orders,
		Policies: a.Policies, SetupShop: a.SetupShop, Replay: replayEngine(a)}
}

// replayEngine wires a second Kizukai over a's open database on a simulated
// clock, for the demo's replay of its recent weeks (demo.Engine). Its log
// is discarded: its clock is not the server's, and a job that fails stays
// in the queue for the server to retry and report.
func replayEngine(a *app.App) func(context.Context, time.Time) (*demo.Engine, error) {
	return func(ctx context.Context, start time.Time) (*demo.Engine, error) {
		cfg := a.Config
		cfg.Clock = "simulated"
		r, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{SimulatedStart: start, DB: a.DB})
		if err != nil {
			return nil, err
		}
		return &demo.Engine{
			Clock:   r.Sim,
			Orders:  r.Orders,
			Advance: func(ctx context.Context, t time.Time) error { return r.Runner.AdvanceTo(ctx, r.Sim, t) },
			Close:   r.Close,
		}, nil
	}
}

// printDemo tells a newcomer, in Japanese and English, what was made and
// how to use it. The password and key are shown here once and never again.
func printDemo(w io.Writer, a *app.App, res demo.Result, took time.Duration, standalone bool) {
	base := strings.TrimRight(a.Config.BaseURL, "/")
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if res.Existed {
		line("")
		line("デモショップ「%s」(slug: %s) はすでにあります。何も変更していません。", res.Shop.Name, res.Shop.Slug)
		line("The demo shop %s (slug %s) already exists; nothing was changed.", res.Shop.Name, res.Shop.Slug)
		line("")
		line("  管理画面 / Admin:  %s/admin/login  (%s、作成時に表示したパスワード / the password printed when it was made)", base, demo.OwnerEmail)
		line("  新しい API キー / A new API key:  kizukai apikey create --shop %s --name demo%s", demo.Slug, dbHint(a))
		line("")
		_, _ = io.WriteString(w, b.String())
		return
	}
	line("")
	line("デモショップ「%s」の準備ができました。/ The demo shop %s is ready.", res.Shop.Name, res.Shop.Name)
	line("  商品 %d 点・顧客 %s 人・1 年分の注文 %s 件 (%.1f 秒) / %d products, %s customers, a year of %s orders (%.1f s)",
		res.Products, thousands(res.Customers), thousands(res.Orders), took.Seconds(),
		res.Products, thousands(res.Customers), thousands(res.Orders), took.Seconds())
	line("  アンケート回答 %d 件・お問い合わせ %d 件 / %d survey answers, %d support tickets",
		res.Answers, res.Tickets, res.Answers, res.Tickets)
	line("")
	line("  管理画面 / Admin login:  %s/admin/login", base)
	line("    メール / Email:        %s", res.OwnerEmail)
	if res.OwnerPassword != "" {
		line("    パスワード / Password: %s", res.OwnerPassword)
	} else {
		line("    パスワード / Password: (作成時に表示したもの / as printed when it was first made)")
	}
	line("  API キー / API key:      %s", res.APIKey)
	line("  ※ パスワードと API キーは今回だけ表示されます。控えておいてください。")
	line("    The password and the API key are shown only now: keep them somewhere safe.")
	line("")
	if standalone {
		line("  サーバーを起動 / Start the server:  kizukai serve%s", dbHint(a))
		line("")
	}
	line("  試してみましょう / Try it:")
	line("    # 顧客の一覧 / list customers")
	line("    curl -s -H 'Authorization: Bearer %s' '%s/api/v1/customers?limit=5'", res.APIKey, base)
	if res.SampleOrderID != "" {
		line("    # 注文とデジタルレシートの URL (receipt_url) / an order and its digital receipt URL (receipt_url)")
		line("    curl -s -H 'Authorization: Bearer %s' '%s/api/v1/orders/%s'", res.APIKey, base, res.SampleOrderID)
	}
	line("")
	_, _ = io.WriteString(w, b.String())
}

// dbHint repeats --db for the serve command when it is not the default. A
// PostgreSQL URL may hold a password, so it is not printed.
func dbHint(a *app.App) string {
	switch u := a.Config.DB; {
	case u == "sqlite:kizukai.db":
		return ""
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return " --db <PostgreSQL URL>"
	default:
		return " --db " + u
	}
}

// thousands writes n with thousands separators: 1,720.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
