package admin_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// TestBrowserJourneys: a marketer pauses the post-purchase journey (the
// API then says paused) and starts it again, edits its thanks template
// and previews it for a real customer before saving (the preview stores
// nothing), sees the policy editor refuse a bad value, and a tablet shows
// the editor in one column.
func TestBrowserJourneys(t *testing.T) {
	t.Parallel()
	ctx := tab(t, 1280, 900)
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	e.user(t, staff.Marketer, "marketer@example.jp")
	seed(t, ae)
	base := e.url
	signIn(t, ctx, base, "marketer@example.jp")

	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.main a[href="/admin/journeys"]`)), chromedp.WaitVisible(chromedp.CSS("#journeys")))
	if s := text(t, ctx, "#journeys"); !strings.Contains(s, "購入後のアフターフォロー") {
		t.Fatalf("journeys: %q", s)
	}
	shot(t, ctx, "journeys-ja")
	var jid string
	for _, it := range ae.Do("GET", "/api/v1/journeys", nil).Map(t)["items"].([]any) {
		if j := it.(map[string]any); j["builtin_key"] == "post_purchase_care" {
			jid = j["id"].(string)
		}
	}
	if jid == "" {
		t.Fatal("no post-purchase journey in the API")
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`#jny-`+jid+` a`)), chromedp.WaitVisible(chromedp.CSS("#journey-status")))
	if s := text(t, ctx, "#journey-status"); s != "稼働中" {
		t.Fatalf("status: %q", s)
	}

	// Pause: the page and the API agree.
	run(t, ctx, chromedp.Click(chromedp.CSS("#pause")), chromedp.WaitVisible(chromedp.CSS("#activate")))
	if s := text(t, ctx, "#journey-status"); s != "停止中" {
		t.Fatalf("status after pause: %q", s)
	}
	if j := ae.Do("GET", "/api/v1/journeys/"+jid, nil).Map(t); j["status"] != "paused" {
		t.Fatalf("API after pause: %v", j["status"])
	}
	shot(t, ctx, "journey-ja")
	run(t, ctx, chromedp.Click(chromedp.CSS("#activate")), chromedp.WaitVisible(chromedp.CSS("#pause")))
	if j := ae.Do("GET", "/api/v1/journeys/"+jid, nil).Map(t); j["status"] != "active" {
		t.Fatalf("API after activate: %v", j["status"])
	}

	// The first step's template: edit, preview for a customer, save.
	run(t, ctx, chromedp.Click(chromedp.CSS(`#steps a.jny-edit`)), chromedp.WaitVisible(chromedp.CSS("#body_ja")))
	key := strings.TrimSpace(text(t, ctx, "code.jny-key"))
	before := ae.Do("GET", "/api/v1/templates/"+key, nil).Map(t)["body_ja"].(string)
	const body = "{{ customer.name }} 様\n\nこのたびはありがとうございました。使い始めに迷ったら、いつでもご相談ください。"
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#body_ja"), body), chromedp.SetValue(chromedp.CSS("#customer"), "ca@example.jp"),
		chromedp.Click(chromedp.CSS("#preview")), chromedp.WaitVisible(chromedp.CSS("#preview-body")))
	if s := text(t, ctx, "#preview-body"); !strings.HasPrefix(s, "顧客 様") || !strings.Contains(s, "使い始めに迷ったら") {
		t.Fatalf("preview: %q", s)
	}
	if s := text(t, ctx, "#segments"); !strings.Contains(s, "UCS-2") {
		t.Fatalf("segments: %q", s)
	}
	if got := ae.Do("GET", "/api/v1/templates/"+key, nil).Map(t)["body_ja"]; got != before {
		t.Fatalf("the preview stored the draft: %q", got)
	}
	// The draft survives the preview: the field still holds it.
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#body_ja").value`)); v != body {
		t.Fatalf("draft after preview: %q", v)
	}
	shot(t, ctx, "template-ja")

	// An unknown variable is refused at the field, in Japanese; nothing stored.
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#body_ja"), "{{ customer.nickname }} 様"), chromedp.Click(chromedp.CSS("#save")),
		chromedp.WaitVisible(chromedp.CSS("#body_ja-error")))
	if s := text(t, ctx, "#body_ja-error"); !strings.Contains(s, "変数 customer.nickname はありません") {
		t.Fatalf("error: %q", s)
	}
	if got := ae.Do("GET", "/api/v1/templates/"+key, nil).Map(t)["body_ja"]; got != before {
		t.Fatalf("a refused save stored: %q", got)
	}
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#body_ja"), body), chromedp.Click(chromedp.CSS("#save")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := ae.Do("GET", "/api/v1/templates/"+key, nil).Map(t)["body_ja"]; got != body {
		t.Fatalf("saved body: %q", got)
	}

	// English.
	run(t, ctx, chromedp.Click(chromedp.CSS(`header.top button[lang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #body_ja`)))
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#customer"), "ca@example.jp"), chromedp.Click(chromedp.CSS("#preview")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #preview-body`)))
	shot(t, ctx, "template-en")
	run(t, ctx, chromedp.Click(chromedp.CSS(`header.top button[lang="ja"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="ja"] #body_ja`)))

	// The policy editor: a bad value gets its error at the field.
	run(t, ctx, chromedp.Navigate(base+"/admin/journeys/policy"), chromedp.WaitVisible(chromedp.CSS("#policy-form")))
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#max_sales_share"), "1.5"), chromedp.Click(chromedp.CSS("#save-policy")),
		chromedp.WaitVisible(chromedp.CSS("#max_sales_share-error")))
	if p := ae.Do("GET", "/api/v1/policy", nil).Map(t); p["max_sales_share"] == 1.5 {
		t.Fatal("a refused policy was stored")
	}
	shot(t, ctx, "policy-ja")

	// A tablet: the template editor and its preview stack.
	tablet := tab(t, 768, 1024)
	signIn(t, tablet, base, "marketer@example.jp")
	run(t, tablet, chromedp.Navigate(base+"/admin/journeys/"+jid), chromedp.WaitVisible(chromedp.CSS("#steps a.jny-edit")))
	run(t, tablet, chromedp.Click(chromedp.CSS(`#steps a.jny-edit`)), chromedp.WaitVisible(chromedp.CSS("#body_ja")))
	wide, err := chromedp.Run(tablet, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil || !wide {
		t.Fatalf("the tablet page scrolls sideways (%v)", err)
	}
	shot(t, tablet, "template-tablet-ja")
}
