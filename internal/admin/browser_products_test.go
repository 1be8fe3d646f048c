package admin_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// TestBrowserProducts: an owner finds a product in the catalogue, sets its
// goal and consumption days, sees them saved (a bad number first gets its
// error at the field), then looks at the messages and the channel
// settings.
func TestBrowserProducts(t *testing.T) {
	t.Parallel()
	ctx := tab(t, 1280, 900)
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	e.user(t, staff.Owner, "owner@example.jp")
	seed(t, ae)
	seedNoConsent(t, ae)
	for sku, p := range map[string]map[string]any{
		"CREAM":  {"name": "保湿クリーム", "category": "スキンケア", "price": 3600, "goal": "肌のうるおいを守る", "consumption_days": 60},
		"SOAP":   {"name": "洗顔石けん", "category": "スキンケア", "price": 1200, "consumption_days": 45},
		"TOWEL":  {"name": "今治タオル", "category": "雑貨", "price": 2200},
		"SERUM":  {"name": "美容液", "category": "スキンケア", "price": 5800, "goal": "ハリのある肌に", "consumption_days": 40, "related_skus": []string{"LOTION"}},
		"LOTION": {"name": "化粧水", "category": "スキンケア", "price": 2800, "consumption_days": 30, "related_skus": []string{"CREAM"}},
	} {
		if r := ae.Do("PUT", "/api/v1/products/"+sku, p); r.Status/100 != 2 {
			t.Fatalf("product %s: %d %s", sku, r.Status, r.Body)
		}
	}
	base := e.url
	signIn(t, ctx, base, "owner@example.jp")

	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.main a[href="/admin/products"]`)), chromedp.WaitVisible(chromedp.CSS("#products")))
	if h := text(t, ctx, "h1"); h != "商品" {
		t.Fatalf("products page: %q", h)
	}
	shot(t, ctx, "products-ja")
	run(t, ctx, chromedp.SendKeys(chromedp.CSS("#q"), "化粧\r"), chromedp.WaitVisible(chromedp.CSS(`#q[value="化粧"]`)))
	if rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#products tbody tr").length`)); rows != 1 {
		t.Fatalf("search: %d rows", rows)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`#products a[href="/admin/products/sku/LOTION"]`)), chromedp.WaitVisible(chromedp.CSS("#goal")))

	// A bad number: the error is at the field, nothing saved.
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#consumption_days"), "0"), chromedp.Click(chromedp.CSS(`#product-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#consumption_days-error")))
	if s := text(t, ctx, "#consumption_days-error"); !strings.Contains(s, "1〜3650") {
		t.Fatalf("error: %q", s)
	}
	if p := ae.Do("GET", "/api/v1/products/LOTION", nil).Map(t); p["consumption_days"] != float64(30) {
		t.Fatalf("refused save stored: %v", p)
	}

	run(t, ctx, chromedp.SetValue(chromedp.CSS("#goal"), "乾燥肌をうるおす"), chromedp.SetValue(chromedp.CSS("#consumption_days"), "45"),
		chromedp.SetValue(chromedp.CSS("#guide"), "朝晩、洗顔のあとに手のひらで温めてなじませます。"))
	run(t, ctx, chromedp.Click(chromedp.CSS(`#product-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if s := text(t, ctx, ".flash"); s != "保存しました。" {
		t.Fatalf("flash: %q", s)
	}
	goal, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#goal").value`))
	if err != nil || goal != "乾燥肌をうるおす" {
		t.Fatalf("goal on the page: %q %v", goal, err)
	}
	shot(t, ctx, "product-edit-ja")
	p := ae.Do("GET", "/api/v1/products/LOTION", nil).Map(t)
	if p["goal"] != "乾燥肌をうるおす" || p["consumption_days"] != float64(45) || p["price"] != float64(2800) || p["category"] != "スキンケア" {
		t.Fatalf("saved: %v", p)
	}
	run(t, ctx, chromedp.Click(chromedp.CSS(`p.prod-back a`)), chromedp.WaitVisible(chromedp.CSS("#products")))
	if s := text(t, ctx, "#products"); !strings.Contains(s, "45日") || !strings.Contains(s, "乾燥肌をうるおす") {
		t.Fatalf("list after save: %q", s)
	}

	// Messages: the journey's thanks went to the outbox.
	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.main a[href="/admin/messages"]`)), chromedp.WaitVisible(chromedp.CSS("#messages")))
	if rows, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#messages tbody tr a").length`)); rows == 0 {
		t.Fatal("no messages listed")
	}
	shot(t, ctx, "messages-ja")
	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.tabs a[href="/admin/messages/outbox"]`)), chromedp.WaitVisible(chromedp.CSS("#outbox pre.msg-body")))
	run(t, ctx, chromedp.Click(chromedp.CSS(`#outbox .msg-itemhead a`)), chromedp.WaitVisible(chromedp.CSS("#history")))
	if s := text(t, ctx, "#body"); s == "" {
		t.Fatal("message without its text")
	}

	// Channel settings, with a refused save and its field error.
	run(t, ctx, chromedp.Navigate(base+"/admin/settings/channels"), chromedp.WaitVisible(chromedp.CSS("#form-email-smtp")))
	run(t, ctx, chromedp.SetValue(chromedp.CSS("#email-smtp-smtp_url"), "smtp://shop@127.0.0.1:2525"),
		chromedp.SetValue(chromedp.CSS("#email-smtp-from"), "shop@example.jp"),
		chromedp.SetValue(chromedp.CSS("#email-smtp-smtp_password"), "app-password-1"),
		chromedp.Click(chromedp.CSS(`#form-email-smtp button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if v := ae.Do("GET", "/api/v1/channels/email", nil).Map(t); v["configured"] != true || v["smtp_password_set"] != true {
		t.Fatalf("email settings: %v", v)
	}
	if html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); strings.Contains(html, "app-password-1") {
		t.Fatal("the page shows the password")
	}
	shot(t, ctx, "settings-channels-ja")
}
