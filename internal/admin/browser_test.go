package admin_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/app/apptest/browsertest"
	"github.com/kizukai/kizukai/internal/staff"
)

// update rewrites docs/screenshots/admin-*.png (also with
// KIZUKAI_UPDATE_SCREENSHOTS=1); normal runs only take them.
var update = flag.Bool("update", false, "rewrite docs/screenshots")

const chromiumPath = "/usr/bin/chromium"

// One browser per test binary; each test opens its own tabs.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// tab returns a new tab of the shared headless Chromium at width × height
// with its own cookies,
// or skips the test when Chromium is absent (fails instead with
// KIZUKAI_REQUIRE_CHROMIUM=1).
func tab(t *testing.T, width, height int64) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("KIZUKAI_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("chromium is required (KIZUKAI_REQUIRE_CHROMIUM=1) but %s is missing", chromiumPath)
		}
		t.Skipf("browser test skipped: %s is missing (apt-get install chromium; set KIZUKAI_REQUIRE_CHROMIUM=1 to fail instead)", chromiumPath)
	}
	browser.once.Do(func() {
		actx, acancel := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
			// Tests run in parallel tabs, and only one is in front: keep
			// the tabs behind it painting and their timers running.
			chromedp.Flag("disable-renderer-backgrounding", true), chromedp.Flag("disable-background-timer-throttling", true),
			chromedp.Flag("disable-backgrounding-occluded-windows", true))
		bctx, bcancel := chromedp.NewContext(actx)
		browser.err = chromedp.Do(bctx)
		browser.ctx, browser.cancel = bctx, func() { bcancel(); acancel() }
	})
	if browser.err != nil {
		t.Fatalf("start chromium: %v", browser.err)
	}
	// A browser context of its own: each tab has its own cookies, so two
	// staff can be signed in at once.
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// shot saves a full-page PNG as docs/screenshots/admin-<name>.png when
// updating; otherwise it only takes it.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := browsertest.Capture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) == 0 {
		t.Fatalf("empty screenshot %s", name)
	}
	if !*update && os.Getenv("KIZUKAI_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "admin-"+name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signIn fills the sign-in form with the keyboard, as a person would.
func signIn(t *testing.T, ctx context.Context, base, email string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(base+"/admin/login"), chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password+"\r"),
		chromedp.WaitVisible(chromedp.CSS("nav.main")))
}

// TestBrowserAdmin signs in as an owner in a real browser, sees the
// dashboard with figures, visits the settings, switches to English, signs
// out; then a viewer is refused the settings.
func TestBrowserAdmin(t *testing.T) {
	t.Parallel()
	ctx := tab(t, 1280, 900)
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	e.user(t, staff.Owner, "owner@example.jp")
	e.user(t, staff.Viewer, "viewer@example.jp")
	seed(t, ae)
	base := e.url

	run(t, ctx, chromedp.Navigate(base+"/admin/"), chromedp.WaitVisible(chromedp.CSS("#email")))
	shot(t, ctx, "login-ja")
	signIn(t, ctx, base, "owner@example.jp")
	if h := text(t, ctx, "h1"); h != "ダッシュボード" {
		t.Fatalf("after sign-in: %q", h)
	}
	if n := text(t, ctx, "ul.cards .stat:first-child .value"); n != "5" {
		t.Fatalf("customers on the dashboard: %q", n)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("svg.plot rect").length`))
	if err != nil || bars < 8 {
		t.Fatalf("%d chart bars, %v", bars, err)
	}
	shot(t, ctx, "dashboard-ja")

	// Keyboard: the first Tab reaches the skip link, which is then visible.
	run(t, ctx, chromedp.KeyEvent("\t"))
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`)); f != "skip" {
		t.Fatalf("first tab stop: %q", f)
	}

	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.main a[href="/admin/settings"]`)), chromedp.WaitVisible(chromedp.CSS("#sender_name")))
	shot(t, ctx, "settings-profile-ja")
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#line_url"), "http://line.me/no"), chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#line_url-error")))
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#line_url"), "https://line.me/R/ti/p/@shop"),
		chromedp.SetValue(chromedp.CSS("#postal_address"), "東京都渋谷区神南1-2-3"),
		chromedp.Click(chromedp.CSS(`form.form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.tabs a[href="/admin/settings/users"]`)), chromedp.WaitVisible(chromedp.CSS("#new-email")))
	shot(t, ctx, "settings-users-ja")
	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.tabs a[href="/admin/settings/audit"]`)), chromedp.WaitVisible(chromedp.CSS("#audit-log")))
	shot(t, ctx, "audit-ja")

	// English, kept across pages.
	// Wait for the English page itself: the Japanese one also has a table, and a
	// click on the menu before the switch has landed would cancel it.
	run(t, ctx, chromedp.Click(chromedp.CSS(`header.top button[lang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #audit-log`)))
	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.main a[href="/admin/"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] svg.plot`)))
	if h := text(t, ctx, "h1"); h != "Dashboard" {
		t.Fatalf("english: %q", h)
	}
	shot(t, ctx, "dashboard-en")

	// A tablet in portrait: the menu moves above the page.
	tablet := tab(t, 820, 1180)
	signIn(t, tablet, base, "owner@example.jp")
	shot(t, tablet, "dashboard-tablet-ja")

	// Sign out.
	run(t, ctx, chromedp.Click(chromedp.CSS(`form[action="/admin/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#email")))
	if s := text(t, ctx, ".flash"); !strings.Contains(s, "signed out") {
		t.Fatalf("after sign-out: %q", s)
	}
	run(t, ctx, chromedp.Navigate(base+"/admin/"), chromedp.WaitVisible(chromedp.CSS("#email")))

	// A viewer is refused the staff settings with the 403 page.
	viewer := tab(t, 1280, 900)
	signIn(t, viewer, base, "viewer@example.jp")
	run(t, viewer, chromedp.Navigate(base+"/admin/settings/users"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if h := text(t, viewer, "h1"); h != "この操作の権限がありません" {
		t.Fatalf("viewer on settings: %q", h)
	}
	shot(t, viewer, "forbidden-ja")
	run(t, viewer, chromedp.Navigate(base+"/admin/settings/profile"), chromedp.WaitVisible(chromedp.CSS("dl.meta")))
	if tabs, _ := chromedp.Run(viewer, chromedp.Evaluate[int](`document.querySelectorAll("nav.tabs a").length`)); tabs != 1 {
		t.Fatalf("viewer sees %d settings tabs", tabs)
	}
}
