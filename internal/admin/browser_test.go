package admin_test

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/app/apptest/browsertest"
	"github.com/kizukai/kizukai/internal/staff"
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}

// tab returns a new tab of the shared headless Chromium at width × height
// with its own cookies (see browsertest.Tab).
func tab(t *testing.T, width, height int64) context.Context {
	t.Helper()
	return browsertest.Tab(t, width, height, false)
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
	browsertest.Shot(t, ctx, "admin-"+name)
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
