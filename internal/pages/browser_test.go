package pages_test

import (
	"context"
	"flag"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/app/apptest/browsertest"
	"github.com/kizukai/kizukai/internal/token"
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	browsertest.Close()
	os.Exit(code)
}

// tab returns a new tab of the shared headless Chromium, 390 px wide like
// a phone (see browsertest.Tab).
func tab(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Tab(t, 390, 844, true)
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

// shot saves a full-page PNG as docs/screenshots/<name>.png when
// updating; otherwise it only takes it.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	browsertest.Shot(t, ctx, name)
}

// TestBrowserJourney walks a customer's pages in a real browser: the
// receipt of an order made through the API, the survey, preferences,
// one-click unsubscribe and the contact form, checking each effect through
// the API, and saves a screenshot of each page in Japanese and English.
func TestBrowserJourney(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := apptest.SQLite(t)
	f := setup(t, e)
	base := e.Server.URL

	// Receipt, in both languages, with the journey's thanks sent and a
	// coupon issued to the order.
	advance(t, e, "1m")
	code := f.coupon(t, map[string]any{"name": "次回のお買い物に", "discount_type": "amount", "discount_value": 300, "valid_days": 60})
	for _, lang := range []string{"ja", "en"} {
		run(t, ctx, chromedp.Navigate(base+f.receipt+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS("h1")))
		shot(t, ctx, "receipt-"+lang)
	}
	if s := text(t, ctx, "table.lines .total"); !strings.Contains(s, "¥5,200") {
		t.Fatalf("receipt total %q", s)
	}
	if s := text(t, ctx, ".coupon-code"); strings.ReplaceAll(s, "-", "") != code {
		t.Fatalf("receipt coupon %q, issued %q", s, code)
	}
	if lang, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "en" {
		t.Fatalf("html lang %q", lang)
	}

	// The survey, reached from the receipt's link; keyboard-reachable radios.
	run(t, ctx, chromedp.Navigate(base+f.receipt), chromedp.Click(chromedp.CSS(`a[href^="/s/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`textarea#comment`)))
	shot(t, ctx, "survey-ja")
	run(t, ctx, chromedp.Click(chromedp.CSS(`input[name=csat][value="5"] + span`)),
		chromedp.Click(chromedp.CSS(`input[name=nps][value="9"] + span`)),
		chromedp.SendKeys(chromedp.CSS(`textarea#comment`), "とても使いやすいです"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice[role=status]`)))
	if s := text(t, ctx, `.notice[role=status]`); !strings.Contains(s, "ご回答ありがとうございました") {
		t.Fatalf("survey thanks %q", s)
	}
	if r := surveyResults(t, e); r.Responses != 1 || *r.CSAT.Average != 5 || *r.NPS.Score != 100 {
		t.Fatalf("results after the browser's answer: %+v", r)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	run(t, ctx, chromedp.Navigate(strings.Replace(loc, "lang=ja", "lang=en", 1)), chromedp.WaitVisible(chromedp.CSS("h1")))
	shot(t, ctx, "survey-en")

	// Preferences: opt in to SMS, prefer it, opt out of email.
	prefs := "/p/" + f.sign(t, token.Preferences, f.customerID)
	run(t, ctx, chromedp.Navigate(base+prefs+"?lang=ja"), chromedp.WaitVisible(chromedp.CSS(`#c-sms`)))
	shot(t, ctx, "preferences-ja")
	run(t, ctx, chromedp.Click(chromedp.CSS(`#c-sms`)), chromedp.Click(chromedp.CSS(`#c-email`)),
		chromedp.Click(chromedp.CSS(`#p-sms`)), chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice[role=status]`)))
	c := customerOf(t, e, f.customerID)
	if c.PreferredChannel != "sms" || !c.Consents["sms"].Granted || c.Consents["email"].Granted || c.Consents["sms"].Source != "preferences_page" {
		t.Fatalf("customer after preferences: %+v", c)
	}
	run(t, ctx, chromedp.Navigate(base+prefs+"?lang=en"), chromedp.WaitVisible(chromedp.CSS(`#c-sms`)))
	shot(t, ctx, "preferences-en")

	// One-click unsubscribe: the confirmation page's one button.
	unsub := "/u/" + f.sign(t, token.Unsubscribe, f.customerID)
	run(t, ctx, chromedp.Navigate(base+unsub+"?lang=en"), chromedp.WaitVisible(chromedp.CSS(`button[type=submit]`)))
	shot(t, ctx, "unsubscribe-en")
	run(t, ctx, chromedp.Navigate(base+unsub+"?lang=ja"), chromedp.WaitVisible(chromedp.CSS(`button[type=submit]`)))
	shot(t, ctx, "unsubscribe-ja")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.notice[role=status]`)))
	c = customerOf(t, e, f.customerID)
	for _, ch := range []string{"email", "sms", "line", "postal", "phone"} {
		if c.Consents[ch].Granted || c.Consents[ch].Source == "" {
			t.Errorf("%s after unsubscribe: %+v", ch, c.Consents[ch])
		}
	}
	shot(t, ctx, "unsubscribed-ja")

	// The contact form: a stranger writes; a person takes more than 3 s.
	for _, lang := range []string{"en", "ja"} {
		run(t, ctx, chromedp.Navigate(base+"/contact/test-shop?lang="+lang), chromedp.WaitVisible(chromedp.CSS(`#message`)))
		shot(t, ctx, "contact-"+lang)
	}
	run(t, ctx, chromedp.SetValue(chromedp.CSS(`#kind`), "return"),
		chromedp.SendKeys(chromedp.CSS(`#name`), "佐藤 一郎"), chromedp.SendKeys(chromedp.CSS(`#email`), "ichiro@example.jp"),
		chromedp.SendKeys(chromedp.CSS(`#message`), "サイズが合わなかったので返品したいです。"))
	advance(t, e, "5s")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`code.ref`)))
	ref := text(t, ctx, `code.ref`)
	ts := tickets(t, e)
	if len(ts) != 1 || ts[0].ID != ref || ts[0].Kind != "return" || !strings.Contains(ts[0].Body, "返品したい") {
		t.Fatalf("ticket from the browser (ref %q): %+v", ref, ts)
	}
	shot(t, ctx, "contact-thanks-ja")
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	u, _ := url.Parse(loc)
	run(t, ctx, chromedp.Navigate(base+u.Path+"?lang=en"), chromedp.WaitVisible(chromedp.CSS(`code.ref`)))
	shot(t, ctx, "contact-thanks-en")

	// A tampered link: the friendly 404.
	for _, lang := range []string{"ja", "en"} {
		run(t, ctx, chromedp.Navigate(base+"/r/tampered?lang="+lang), chromedp.WaitVisible(chromedp.CSS("h1")))
		shot(t, ctx, "not-found-"+lang)
	}
}

// TestBrowserAcknowledge acknowledges a notice in a real browser.
func TestBrowserAcknowledge(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := apptest.SQLite(t)
	f := setup(t, e)
	m := sentMessage(t, e, f)
	ack := "/a/" + f.sign(t, token.Ack, m.ID)
	run(t, ctx, chromedp.Navigate(e.Server.URL+ack+"?lang=en"), chromedp.WaitVisible(chromedp.CSS(`button[type=submit]`)))
	shot(t, ctx, "acknowledge-en")
	run(t, ctx, chromedp.Navigate(e.Server.URL+ack+"?lang=ja"), chromedp.WaitVisible(chromedp.CSS(`button[type=submit]`)))
	shot(t, ctx, "acknowledge-ja")
	run(t, ctx, chromedp.Click(chromedp.CSS(`button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.notice[role=status]`)))
	if n := timelineTypes(t, e, f.customerID)["message.acknowledged"]; n != 1 {
		t.Fatalf("%d message.acknowledged", n)
	}
}

// TestBrowserNarrow opens every customer page at 320 px, the narrowest
// phone, in both languages: nothing is wider than the screen, so no page
// scrolls sideways.
func TestBrowserNarrow(t *testing.T) {
	t.Parallel()
	ctx := browsertest.Tab(t, 320, 640, true)
	e := apptest.SQLite(t)
	f := setup(t, e)
	base := e.Server.URL
	advance(t, e, "1m")
	f.coupon(t, map[string]any{"name": "次回のお買い物に", "discount_type": "amount", "discount_value": 300, "valid_days": 60})
	run(t, ctx, chromedp.Navigate(base+f.receipt), chromedp.WaitVisible(chromedp.CSS(`a[href^="/s/"]`)))
	survey, err := chromedp.Run(ctx, chromedp.Evaluate[string](`new URL(document.querySelector('a[href^="/s/"]').href).pathname`))
	if err != nil {
		t.Fatal(err)
	}
	m := sentMessage(t, e, f)
	pages := map[string]string{
		"receipt":     f.receipt,
		"survey":      survey,
		"preferences": "/p/" + f.sign(t, token.Preferences, f.customerID),
		"unsubscribe": "/u/" + f.sign(t, token.Unsubscribe, f.customerID),
		"acknowledge": "/a/" + f.sign(t, token.Ack, m.ID),
		"contact":     "/contact/test-shop",
		"not found":   "/r/tampered",
	}
	for name, path := range pages {
		for _, lang := range []string{"ja", "en"} {
			run(t, ctx, chromedp.Navigate(base+path+"?lang="+lang), chromedp.WaitVisible(chromedp.CSS("h1")))
			w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, document.documentElement.clientWidth]`))
			if err != nil {
				t.Fatal(err)
			}
			if w[0] > w[1] {
				t.Errorf("%s (%s) at 320 px is %d px wide: it scrolls sideways", name, lang, w[0])
			}
		}
	}
}
