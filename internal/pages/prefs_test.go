package pages_test

import (
	"net/url"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/token"
)

type consentState struct {
	Granted bool   `json:"granted"`
	Source  string `json:"source"`
}

type customerState struct {
	PreferredChannel string                  `json:"preferred_channel"`
	Consents         map[string]consentState `json:"consents"`
}

func customerOf(t *testing.T, e *apptest.Env, id string) customerState {
	t.Helper()
	var c customerState
	e.Do("GET", "/api/v1/customers/"+id, nil).JSON(t, &c)
	return c
}

func TestPreferences(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		path := "/p/" + f.sign(t, token.Preferences, f.customerID)
		wantPage(t, "form", get(t, e, path), 200, "お知らせの受け取り設定", `id="c-email" name="consent" value="email" checked`,
			"h***@example.jp", "***5678", "ご連絡先の登録がありません", `<label for="c-sms">`)
		wantPage(t, "form en", get(t, e, path+"?lang=en"), 200, "How you hear from us", "Save my choices")

		bad := []struct {
			name string
			form url.Values
		}{
			{"unknown channel", url.Values{"consent": {"fax"}}},
			{"too many", url.Values{"consent": {"email", "sms", "line", "postal", "phone", "email"}}},
			{"unknown preferred", url.Values{"preferred": {"pigeon"}}},
			{"preferred twice", url.Values{"preferred": {"sms", "email"}}},
		}
		for _, tt := range bad {
			wantPage(t, tt.name, post(t, e, path, tt.form), 422, "選択肢の中からお選びください")
		}
		before := customerOf(t, e, f.customerID)
		if !before.Consents["email"].Granted || before.PreferredChannel != "" || len(before.Consents) != 1 {
			t.Fatalf("bad forms changed the customer: %+v", before)
		}

		// Opt in to SMS, out of email, prefer SMS.
		p := post(t, e, path, url.Values{"consent": {"sms"}, "preferred": {"sms"}})
		if p.Status != 303 {
			t.Fatalf("save: %d %s", p.Status, p.Body)
		}
		c := customerOf(t, e, f.customerID)
		if c.PreferredChannel != "sms" || !c.Consents["sms"].Granted || c.Consents["sms"].Source != "preferences_page" ||
			c.Consents["email"].Granted || c.Consents["email"].Source != "preferences_page" || len(c.Consents) != 2 {
			t.Fatalf("after save: %+v", c)
		}
		wantPage(t, "saved", get(t, e, p.Location), 200, "設定を保存しました", "この設定ページ", "受け取らない")
		// Saving the same again records nothing new.
		n := timelineTypes(t, e, f.customerID)["consent.changed"]
		post(t, e, path, url.Values{"consent": {"sms"}, "preferred": {"sms"}})
		if m := timelineTypes(t, e, f.customerID)["consent.changed"]; m != n {
			t.Fatalf("consent events %d → %d on an unchanged save", n, m)
		}
	})
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		path := "/u/" + f.sign(t, token.Unsubscribe, f.customerID)
		// GET only asks; it changes nothing.
		wantPage(t, "confirm", get(t, e, path), 200, "お知らせの配信を停止しますか？", `name="List-Unsubscribe" value="One-Click"`, "メール", "LINE")
		if c := customerOf(t, e, f.customerID); !c.Consents["email"].Granted {
			t.Fatal("GET changed consent")
		}
		// A POST without the RFC 8058 body changes nothing.
		for _, body := range []url.Values{{}, {"List-Unsubscribe": {"yes"}}, {"List-Unsubscribe": {"One-Click", "One-Click"}}} {
			wantPage(t, "bad one-click", post(t, e, path, body), 400)
		}
		if c := customerOf(t, e, f.customerID); !c.Consents["email"].Granted {
			t.Fatal("bad POST changed consent")
		}
		// One click, as a mail provider sends it: no cookie, no Origin, no page view.
		p := post(t, e, path, url.Values{"List-Unsubscribe": {"One-Click"}}, "Sec-Fetch-Site", "cross-site")
		wantPage(t, "one-click", p, 200, "配信を停止しました")
		c := customerOf(t, e, f.customerID)
		for _, ch := range []string{"email", "sms", "line", "postal", "phone"} {
			if s, ok := c.Consents[ch]; !ok || s.Granted || s.Source != "one_click_unsubscribe" {
				t.Errorf("%s after unsubscribe: %+v", ch, s)
			}
		}
		n := timelineTypes(t, e, f.customerID)["consent.changed"]
		wantPage(t, "again", post(t, e, path, url.Values{"List-Unsubscribe": {"One-Click"}}), 200, "配信を停止しました")
		if m := timelineTypes(t, e, f.customerID)["consent.changed"]; m != n {
			t.Fatalf("repeat unsubscribe recorded %d more events", m-n)
		}

		// A token naming one channel withdraws only that one.
		g := f // re-grant email and SMS through preferences first
		post(t, e, "/p/"+g.sign(t, token.Preferences, g.customerID), url.Values{"consent": {"email", "sms"}})
		post(t, e, "/u/"+g.sign(t, token.Unsubscribe, g.customerID+":sms"), url.Values{"List-Unsubscribe": {"One-Click"}})
		c = customerOf(t, e, g.customerID)
		if !c.Consents["email"].Granted || c.Consents["sms"].Granted {
			t.Fatalf("channel unsubscribe: %+v", c)
		}
	})
}

func TestCrossOriginPostsRefused(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		for _, path := range []string{"/s/" + f.sign(t, token.Survey, f.orderID), "/p/" + f.sign(t, token.Preferences, f.customerID),
			"/contact/test-shop", "/a/" + f.sign(t, token.Ack, "msg_x")} {
			p := post(t, e, path, url.Values{"csat": {"1"}, "consent": {}}, "Sec-Fetch-Site", "cross-site")
			wantPage(t, "cross-site "+path, p, 403, "ほかのサイトからの送信はお受けしていません")
			p = post(t, e, path, url.Values{}, "Origin", "https://evil.example")
			if p.Status != 403 {
				t.Errorf("cross-origin %s: %d", path, p.Status)
			}
		}
		if c := customerOf(t, e, f.customerID); !c.Consents["email"].Granted || len(tickets(t, e)) != 0 {
			t.Fatal("a cross-site post changed something")
		}
	})
}
