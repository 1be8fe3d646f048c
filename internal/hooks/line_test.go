package hooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

const lineSecret = "line-channel-secret"

func lineSign(body string) map[string]string {
	h := hmac.New(sha256.New, []byte(lineSecret))
	h.Write([]byte(body))
	return map[string]string{"X-Line-Signature": base64.StdEncoding.EncodeToString(h.Sum(nil)), "Content-Type": "application/json"}
}

func lineEvent(typ, eventID, userID, extra string) string {
	return fmt.Sprintf(`{"type":%q,"mode":"active","timestamp":1763893800000,"webhookEventId":%q,"deliveryContext":{"isRedelivery":false},
"replyToken":"r","source":{"type":"user","userId":%q}%s}`, typ, eventID, userID, extra)
}

func lineBody(events ...string) string {
	return `{"destination":"Ubot","events":[` + strings.Join(events, ",") + `]}`
}

// TestLINEWebhook: follow and unfollow change consent, a text message
// opens a ticket, each event once; a bad signature changes nothing.
func TestLINEWebhook(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		b.api(t, "PUT", "/api/v1/channels/line", map[string]any{"channel_secret": lineSecret, "channel_access_token": "t", "endpoint": "http://127.0.0.1:9"})
		const known, stranger = "U0123456789abcdef0123456789abcdef", "U9999999999abcdef0123456789abcdef"
		cus := b.customer(t, map[string]any{"external_id": "c1", "line_user_id": known})
		path := "/hooks/line/" + b.Shop.Slug
		consent := func(customerID string) (bool, string) {
			cs, err := b.App.Customers.ConsentsTx(context.Background(), b.App.DB, b.Shop.ID, customerID)
			if err != nil {
				t.Fatal(err)
			}
			return cs["line"].Granted, cs["line"].Source
		}
		tickets := func() int {
			var n int
			if err := b.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM tickets WHERE shop_id = $1`, b.Shop.ID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		follow := lineBody(lineEvent("follow", "E1", known, ""))
		bad := map[string]string{"X-Line-Signature": "AAAA", "Content-Type": "application/json"}
		if res := b.call(t, "", "POST", path, follow, bad); res.Status != 401 {
			t.Fatalf("bad signature: %d %s", res.Status, res.Body)
		}
		if g, _ := consent(cus); g {
			t.Fatal("a forged follow granted consent")
		}
		if res := b.call(t, "", "POST", path, strings.Repeat("x", 300<<10), lineSign("x")); res.Status != 413 {
			t.Fatalf("too large: %d", res.Status)
		}
		for range 2 { // the second is LINE's redelivery
			if res := b.call(t, "", "POST", path, follow, lineSign(follow)); res.Status != 200 {
				t.Fatalf("follow: %d %s", res.Status, res.Body)
			}
		}
		if g, src := consent(cus); !g || src != "line_follow" {
			t.Fatalf("after follow: %v %s", g, src)
		}
		text := `,"message":{"type":"text","id":"1","quoteToken":"q","text":"豆が届きません\n注文番号 123"}`
		msg := lineBody(lineEvent("message", "E2", known, text), lineEvent("message", "E3", stranger, text))
		for range 2 {
			if res := b.call(t, "", "POST", path, msg, lineSign(msg)); res.Status != 200 {
				t.Fatalf("message: %d %s", res.Status, res.Body)
			}
		}
		if n := tickets(); n != 2 {
			t.Fatalf("%d tickets, want one per message", n)
		}
		var subject string
		if err := b.App.DB.QueryRowContext(context.Background(), `SELECT subject FROM tickets WHERE shop_id = $1 AND customer_id = $2`,
			b.Shop.ID, cus).Scan(&subject); err != nil || subject != "LINE: 豆が届きません" {
			t.Fatalf("ticket subject %q %v", subject, err)
		}
		newcomer, err := b.App.Customers.ByExternalIDTx(context.Background(), b.App.DB, b.Shop.ID, "line:"+stranger)
		if err != nil || newcomer.LineUserID != stranger {
			t.Fatalf("stranger not a customer: %+v %v", newcomer, err)
		}
		unfollow := lineBody(lineEvent("unfollow", "E4", known, ""))
		if res := b.call(t, "", "POST", path, unfollow, lineSign(unfollow)); res.Status != 200 {
			t.Fatalf("unfollow: %d", res.Status)
		}
		if g, src := consent(cus); g || src != "line_unfollow" {
			t.Fatalf("after unfollow: %v %s", g, src)
		}
	})
}
