package pages_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/token"
)

func TestReceipt(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		code := f.coupon(t, map[string]any{"name": "次回500円引き", "discount_type": "amount", "discount_value": 500, "valid_days": 30})
		p := get(t, e, f.receipt)
		wantPage(t, "receipt ja", p, 200, `<html lang="ja">`, "お買い上げありがとうございます", "テスト商店", "渋谷店", "R-1001",
			"しっとり化粧水", "今治タオル", "¥2,800", "¥1,200 × 2", "¥2,400", "¥5,200", "乾燥肌をうるおす",
			"朝晩、洗顔後に", "mailto:support@shop.example", "tel:0312345678", "https://line.me/R/ti/p/@shop",
			"東京都渋谷区神南1-2-3", "/contact/test-shop?", "/s/", "/p/", "?lang=en",
			// The coupon issued with this order: code, discount, expiry (Tokyo time).
			"次回のお買い物に使えるクーポン", code[:4]+"-"+code[4:8]+"-"+code[8:], "¥500引き", "2026年12月23日 10:00まで有効")
		for k, v := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
			"Referrer-Policy":         "no-referrer", "Cache-Control": "no-store", "Content-Type": "text/html; charset=utf-8",
		} {
			if got := p.Header.Get(k); !strings.HasPrefix(got, v) {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if len(p.Body) > 100<<10 {
			t.Errorf("receipt is %d bytes, over 100 KB", len(p.Body))
		}
		if strings.Contains(p.Body, "<script") || strings.Contains(p.Body, "style=") || strings.Contains(p.Body, "https://fonts") {
			t.Error("receipt has a script, an inline style or an external asset")
		}
		en := get(t, e, f.receipt+"?lang=en")
		wantPage(t, "receipt en", en, 200, `<html lang="en">`, "Thank you for your purchase", "Total", "¥5,200", "?lang=ja")
		if res := e.Do("POST", "/api/v1/coupons/"+code+"/redeem", nil); res.Status != 200 {
			t.Fatalf("redeem: %d %s", res.Status, res.Body)
		}
		pct := f.coupon(t, map[string]any{"name": "10%", "discount_type": "percent", "discount_value": 10, "valid_days": 7})
		en = get(t, e, f.receipt+"?lang=en")
		wantPage(t, "receipt en coupons", en, 200, "Coupons for your next visit", "¥500 off", "Used on November 23, 2026",
			"10% off", pct[:4]+"-", "Valid until November 30, 2026 10:00")

		// The care message sent by the post-purchase journey shows once it went out.
		advance(t, e, "1m")
		care := get(t, e, f.receipt)
		wantPage(t, "receipt with care", care, 200, "山田 花子")
		if strings.Contains(care.Body, "http://kizukai.test/u/") {
			t.Error("the receipt shows the message's unsubscribe link")
		}

		// The stylesheet is served at its hashed URL and cached for good.
		i := strings.Index(p.Body, `href="/assets/pages-`)
		css := p.Body[i+6 : i+6+strings.Index(p.Body[i+6:], `"`)]
		c := get(t, e, css)
		if c.Status != 200 || !strings.Contains(c.Header.Get("Cache-Control"), "immutable") || !strings.Contains(c.Body, "--accent") {
			t.Errorf("css %s: %d %v", css, c.Status, c.Header)
		}
	})
}

func TestBadTokensGetFriendly404(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		good := strings.TrimPrefix(f.receipt, "/r/")
		expired, err := e.App.Signer.Sign(token.Claims{Purpose: token.Receipt, ShopID: e.Shop.ID, ObjectID: f.orderID,
			Expires: apptest.Start.Add(-time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, path string
		}{
			{"tampered", "/r/" + good[:len(good)-2] + "AA"},
			{"truncated", "/r/" + good[:10]},
			{"garbage", "/r/%E3%81%82"},
			{"expired", "/r/" + expired},
			{"survey token on receipt", "/r/" + f.sign(t, token.Survey, f.orderID)},
			{"receipt token on survey", "/s/" + good},
			{"receipt token on preferences", "/p/" + good},
			{"receipt token on unsubscribe", "/u/" + good},
			{"unknown order", "/r/" + f.sign(t, token.Receipt, "ord_nope")},
			{"unknown customer", "/p/" + f.sign(t, token.Preferences, "cus_nope")},
			{"unknown channel", "/u/" + f.sign(t, token.Unsubscribe, f.customerID+":fax")},
			{"unknown message ack", "/a/" + f.sign(t, token.Ack, "msg_nope")},
			{"click bad object", "/k/" + f.sign(t, token.Click, "msg_nope")},
			{"click no link", "/k/" + f.sign(t, token.Click, "msg_nope.1")},
			{"thanks with receipt token", "/contact/test-shop/thanks/" + good},
			{"unknown shop", "/contact/no-such-shop"},
		}
		for _, tt := range tests {
			p := get(t, e, tt.path)
			wantPage(t, tt.name, p, 404, "ページが見つかりません", `<html lang="ja">`)
			if p.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: not no-store", tt.name)
			}
		}
		wantPage(t, "404 en", get(t, e, "/r/x?lang=en"), 404, "Page not found", `<html lang="en">`)
		wantPage(t, "404 en by browser", get(t, e, "/r/x", "Accept-Language", "en-US,en;q=0.9"), 404, "Page not found")
		// Another shop's token does not reach this shop's order.
		other, _ := e.OtherShop("other-shop")
		tok, _ := e.App.Signer.Sign(token.Claims{Purpose: token.Receipt, ShopID: other.ID, ObjectID: f.orderID})
		wantPage(t, "other shop", get(t, e, "/r/"+tok), 404)
	})
}
