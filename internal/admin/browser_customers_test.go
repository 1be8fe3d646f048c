package admin_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// TestBrowserCustomers signs in as an owner in a real browser, opens the
// customers, filters by band, opens a customer with orders and messages
// and reads the timeline, in Japanese and English; the customer page fits
// a tablet without scrolling sideways.
func TestBrowserCustomers(t *testing.T) {
	t.Parallel()
	ctx := tab(t, 1280, 900)
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	e.user(t, staff.Owner, "owner@example.jp")
	ids := seedCustomers(t, ae)
	base := e.url

	signIn(t, ctx, base, "owner@example.jp")
	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.main a[href="/admin/customers"]`)), chromedp.WaitVisible(chromedp.CSS("#customers")))
	if h := text(t, ctx, "h1"); h != "顧客" {
		t.Fatalf("customers heading: %q", h)
	}
	if n := text(t, ctx, "#customer-count"); !strings.Contains(n, "5人") {
		t.Fatalf("count: %q", n)
	}
	shot(t, ctx, "customers-ja")

	// Filter by band with the form, as a person would.
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#f-band"), "fresh"), chromedp.Click(chromedp.CSS(`form.cu-filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.cu-chips a[aria-current="page"] .band-fresh`)))
	if n := text(t, ctx, "#customer-count"); !strings.Contains(n, "2人") {
		t.Fatalf("fresh count: %q", n)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#customers tbody th[scope=row] a").length`))
	if err != nil || rows != 2 {
		t.Fatalf("%d fresh rows, %v", rows, err)
	}

	// The customer with orders and messages: profile, freshness, timeline.
	run(t, ctx, chromedp.Click(chromedp.CSS(`#customers a[href="/admin/customers/`+ids["HANAKO"]+`"]`)), chromedp.WaitVisible(chromedp.CSS("#timeline")))
	if b := text(t, ctx, "#customer-band"); b != "フレッシュ" {
		t.Fatalf("band: %q", b)
	}
	tl := text(t, ctx, "#timeline")
	for _, s := range []string{"ご注文 R-HANAKO", "メッセージ", "送信済み", "問い合わせの受付", "同意の変更: メール 同意あり"} {
		if !strings.Contains(tl, s) {
			t.Errorf("timeline lacks %q:\n%s", s, tl)
		}
	}
	if a := text(t, ctx, "#appi"); !strings.Contains(a, "個人データを削除") {
		t.Errorf("owner's APPI section: %q", a)
	}
	shot(t, ctx, "customer-ja")

	run(t, ctx, chromedp.Click(chromedp.CSS(`header.top button[lang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #timeline`)))
	if b := text(t, ctx, "#customer-band"); b != "Fresh" {
		t.Fatalf("english band: %q", b)
	}
	if tl := text(t, ctx, "#timeline"); !strings.Contains(tl, "Order R-HANAKO") || !strings.Contains(tl, "Sent") {
		t.Errorf("english timeline: %s", tl)
	}
	shot(t, ctx, "customer-en")

	// A tablet: the page does not scroll sideways (tables scroll in place).
	tablet := tab(t, 768, 1024)
	signIn(t, tablet, base, "owner@example.jp")
	for _, path := range []string{"/admin/customers", "/admin/customers/" + ids["HANAKO"]} {
		run(t, tablet, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("h1")))
		over, err := chromedp.Run(tablet, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil || over {
			t.Errorf("%s at 768 px scrolls sideways (%v)", path, err)
		}
	}
}
