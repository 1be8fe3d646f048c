package pages_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// formToken opens the contact form and returns its signed form token.
func formToken(t *testing.T, e *apptest.Env, path string) string {
	t.Helper()
	p := get(t, e, path)
	m := formTokenRE.FindStringSubmatch(p.Body)
	if p.Status != 200 || m == nil {
		t.Fatalf("contact form %s: %d", path, p.Status)
	}
	return m[1]
}

func contactValues(tok string, kv ...string) url.Values {
	v := url.Values{"form_token": {tok}, "kind": {"defect"}, "name": {"佐藤 一郎"}, "email": {"ichiro@example.jp"},
		"message": {"届いたタオルの縫い目がほつれていました。"}, "order_ref": {"R-1001"}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<nil>" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return v
}

func TestContactForm(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		setup(t, e)
		wantPage(t, "form", get(t, e, "/contact/test-shop"), 200, "お問い合わせ", `name="kind"`, `<option value="complaint"`,
			`name="website"`, `<label class="field" for="message">`, "support@shop.example")
		wantPage(t, "form en", get(t, e, "/contact/test-shop?lang=en"), 200, "Contact us", "A faulty or broken product")
		tok := formToken(t, e, "/contact/test-shop")

		// Sent at once: a person cannot be that fast. The form comes back with its text.
		wantPage(t, "too fast", post(t, e, "/contact/test-shop", contactValues(tok)), 429, "送信が早すぎた", "縫い目がほつれて")
		advance(t, e, "5s")

		bad := []struct {
			name   string
			form   url.Values
			status int
			want   string
		}{
			{"no kind", contactValues(tok, "kind", "<nil>"), 422, "お問い合わせの種類をお選び"},
			{"kind other", contactValues(tok, "kind", "other"), 422, "お問い合わせの種類をお選び"},
			{"no message", contactValues(tok, "message", " "), 422, "お問い合わせ内容をご入力"},
			{"long message", contactValues(tok, "message", strings.Repeat("a", 5001)), 422, "5,000文字以内"},
			{"no name", contactValues(tok, "name", ""), 422, "お名前をご入力"},
			{"long name", contactValues(tok, "name", strings.Repeat("名", 101)), 422, "お名前をご入力"},
			{"no contact", contactValues(tok, "email", ""), 422, "メールアドレスか電話番号"},
			{"bad email", contactValues(tok, "email", "not-an-email"), 422, "メールアドレスか電話番号"},
			{"bad phone", contactValues(tok, "email", "", "phone", "12"), 422, "電話番号を正しく"},
			{"long subject", contactValues(tok, "subject", strings.Repeat("件", 101)), 422, "件名は100文字以内"},
			{"control chars", contactValues(tok, "subject", "a\x07b"), 422, "件名は100文字以内"},
			{"no form token", contactValues(tok, "form_token", ""), 400, "もう一度「送信する」"},
			{"forged form token", contactValues(tok[:len(tok)-2] + "AA"), 400, "もう一度「送信する」"},
			{"honeypot", contactValues(tok, "website", "http://spam.example"), 400, "送信できませんでした"},
		}
		for _, tt := range bad {
			wantPage(t, tt.name, post(t, e, "/contact/test-shop", tt.form), tt.status, tt.want)
		}
		if n := len(tickets(t, e)); n != 0 {
			t.Fatalf("%d tickets from bad forms", n)
		}

		p := post(t, e, "/contact/test-shop", contactValues(tok))
		if p.Status != 303 || !strings.Contains(p.Location, "/contact/test-shop/thanks/") {
			t.Fatalf("send: %d %s %s", p.Status, p.Location, p.Body)
		}
		ts := tickets(t, e)
		if len(ts) != 1 || ts[0].Kind != "defect" || !strings.Contains(ts[0].Body, "縫い目") || !strings.Contains(ts[0].Body, "ichiro@example.jp") {
			t.Fatalf("tickets: %+v", ts)
		}
		wantPage(t, "thanks", get(t, e, p.Location), 200, "お問い合わせを受け付けました", ts[0].ID, "商品の不具合・故障", "ご返信の目安")
		// The writer became a customer of the shop, reachable by the email given.
		res := e.Do("GET", "/api/v1/customers/"+ts[0].CustomerID, nil).Map(t)
		if res["email"] != "ichiro@example.jp" || res["name"] != "佐藤 一郎" {
			t.Fatalf("contact customer: %v", res)
		}
		// The same person writing again is the same customer.
		post(t, e, "/contact/test-shop", contactValues(tok, "kind", "question", "email", "Ichiro@Example.jp"))
		if ts2 := tickets(t, e); len(ts2) != 2 || ts2[0].CustomerID != ts[0].CustomerID {
			t.Fatalf("second contact: %+v", ts2)
		}
		// Too large a body is refused.
		wantPage(t, "too large", post(t, e, "/contact/test-shop", contactValues(tok, "message", strings.Repeat("x", 40<<10))), 413)
	})
}

func TestContactFromReceiptAndLimits(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		rt := strings.TrimPrefix(f.receipt, "/r/")
		path := "/contact/test-shop?r=" + rt
		tok := formToken(t, e, path)
		wantPage(t, "from receipt", get(t, e, path), 200, "ご連絡先の入力は不要です")
		advance(t, e, "1h")
		p := post(t, e, path, url.Values{"form_token": {tok}, "kind": {"question"}, "message": {"使い方を教えてください"}})
		if p.Status != 303 {
			t.Fatalf("send from receipt: %d %s", p.Status, p.Body)
		}
		if ts := tickets(t, e); len(ts) != 1 || ts[0].CustomerID != f.customerID || ts[0].Kind != "question" {
			t.Fatalf("ticket from receipt: %+v", ts)
		}
		// A day-old form is stale.
		advance(t, e, "24h")
		wantPage(t, "stale", post(t, e, path, url.Values{"form_token": {tok}, "kind": {"question"}, "message": {"x"}}), 400, "時間が経った")
		// Rate limit per IP: the default allows 20 posts in a burst.
		got429 := false
		for range 25 {
			if post(t, e, path, url.Values{}).Status == 429 {
				got429 = true
			}
		}
		if !got429 {
			t.Fatal("no 429 after many posts")
		}
		wantPage(t, "limited", post(t, e, path, url.Values{}), 429, "少し時間をおいて")
	})
}
