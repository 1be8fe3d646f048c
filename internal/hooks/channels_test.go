package hooks_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

// TestChannelSettingsAPI: validation names fields, secrets are write-only
// and encrypted at rest, a PUT without a secret keeps it, and every shop
// sees only its own settings.
func TestChannelSettingsAPI(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		res := b.api(t, "GET", "/api/v1/channels/sms", nil)
		if res.Status != 200 || res.Map(t)["configured"] != false {
			t.Fatalf("fresh: %d %s", res.Status, res.Body)
		}
		if res := b.api(t, "GET", "/api/v1/channels/fax", nil); res.Status != 404 {
			t.Fatalf("unknown channel: %d", res.Status)
		}
		good := map[string]any{"provider": "generic", "url": "http://127.0.0.1:9/send", "secret": "top-secret-value-123", "sender_id": "SHOP"}
		if res := b.api(t, "PUT", "/api/v1/channels/sms", good); res.Status != 200 {
			t.Fatalf("put: %d %s", res.Status, res.Body)
		}
		before := string(b.api(t, "GET", "/api/v1/channels/sms", nil).Body)
		if strings.Contains(before, "top-secret") || !strings.Contains(before, `"secret_set":true`) {
			t.Fatalf("view leaks or misses the secret: %s", before)
		}
		var raw string
		if err := b.App.DB.QueryRowContext(context.Background(), `SELECT config || secrets FROM channel_settings WHERE shop_id = $1`, b.Shop.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "top-secret") {
			t.Fatal("the secret is stored in clear")
		}
		for _, tt := range []struct {
			name  string
			body  any
			want  int
			field string
		}{
			{"malformed", `{"provider":`, 400, ""},
			{"unknown field", map[string]any{"provider": "generic", "nope": 1}, 400, "nope"},
			{"too large", `{"url":"` + strings.Repeat("a", 2<<20) + `"}`, 413, ""},
			{"link-local", map[string]any{"url": "http://169.254.169.254/", "sender_id": "S"}, 422, "url"},
			{"metadata", map[string]any{"url": "http://metadata.google.internal/", "sender_id": "S"}, 422, "url"},
			{"no sender", map[string]any{"url": "http://127.0.0.1:9/"}, 422, "sender_id"},
			{"bad provider", map[string]any{"provider": "carrier-pigeon"}, 422, "provider"},
			{"twilio without token", map[string]any{"provider": "twilio", "account_sid": "AC1", "from": "+815012345678"}, 422, "auth_token"},
		} {
			res := b.api(t, "PUT", "/api/v1/channels/sms", tt.body)
			if res.Status != tt.want {
				t.Errorf("%s: %d %s, want %d", tt.name, res.Status, res.Body, tt.want)
			}
			if tt.field != "" && !strings.Contains(string(res.Body), `"`+tt.field+`"`) {
				t.Errorf("%s: the error does not name %s: %s", tt.name, tt.field, res.Body)
			}
			if after := string(b.api(t, "GET", "/api/v1/channels/sms", nil).Body); after != before {
				t.Fatalf("%s changed the stored settings:\n%s\n%s", tt.name, before, after)
			}
		}
		// A PUT without the secret keeps it.
		if res := b.api(t, "PUT", "/api/v1/channels/sms", map[string]any{"url": "http://127.0.0.1:9/v2", "sender_id": "SHOP2"}); res.Status != 200 ||
			res.Map(t)["secret_set"] != true {
			t.Fatalf("put without secret: %d %s", res.Status, res.Body)
		}
		if p, key, err := b.svc.SMSSecrets(context.Background(), b.Shop.ID); err != nil || p != "generic" || key != "top-secret-value-123" {
			t.Fatalf("kept secret: %q %q %v", p, key, err)
		}
		// Isolation: another shop sees its own (unconfigured) channel.
		_, otherKey := b.otherShop(t, "other-shop")
		if res := b.call(t, otherKey, "GET", "/api/v1/channels/sms", nil, nil); res.Map(t)["configured"] != false {
			t.Fatalf("other shop sees %s", res.Body)
		}
		if res := b.call(t, "", "GET", "/api/v1/channels/sms", nil, nil); res.Status != 401 {
			t.Fatalf("no key: %d", res.Status)
		}
	})
}

// TestOutbox: with no provider a message is sent to the outbox at once,
// and nothing is contacted.
func TestOutbox(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		cus := b.customer(t, map[string]any{"external_id": "c1", "email": "a@b.example", "consents": granted("email")})
		id := b.plan(t, cus, policy.Care, "1")
		b.Settle()
		if m := b.message(t, id); m.Status != message.StatusSent || m.Channel != "email" || m.Body == "" {
			t.Fatalf("outbox message %s/%s", m.Status, m.Channel)
		}
		if a := b.attempts(t, id); !slices.Equal(a, []string{"email:outbox:sent:"}) {
			t.Fatalf("attempts %v", a)
		}
	})
}

// TestFallback: LINE refuses (400, permanent) → the same message goes out
// by SMS; with nothing left it fails unreachable.
func TestFallback(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		lineAPI := newLineAPI(t, 400)
		gw := newGenericGateway(t, gatewaySecret)
		if res := b.api(t, "PUT", "/api/v1/channels/line", map[string]any{"channel_secret": "s", "channel_access_token": "t", "endpoint": lineAPI.URL}); res.Status != 200 {
			t.Fatalf("line: %d %s", res.Status, res.Body)
		}
		both := b.customer(t, map[string]any{"external_id": "c1", "line_user_id": "U0123456789abcdef0123456789abcdef", "phone": "09011112222",
			"consents": granted("line", "sms")})
		lineOnly := b.customer(t, map[string]any{"external_id": "c2", "line_user_id": "U1123456789abcdef0123456789abcdef", "consents": granted("line")})
		// SMS configured after LINE: the best channel is still LINE.
		b.api(t, "PUT", "/api/v1/channels/sms", map[string]any{"url": gw.URL, "secret": gatewaySecret, "sender_id": "S"})
		m1 := b.plan(t, both, policy.Care, "1")
		m2 := b.plan(t, lineOnly, policy.Care, "2")
		b.Settle()
		if m := b.message(t, m1); m.Status != message.StatusSent || m.Channel != "sms" {
			t.Fatalf("fallback message %s/%s", m.Status, m.Channel)
		}
		if a := b.attempts(t, m1); !slices.Equal(a, []string{"line:line:failed:rejected", "sms:sms_generic:sent:"}) {
			t.Fatalf("attempts %v", a)
		}
		if got := gw.got(); len(got) != 1 || got[0].key != m1 {
			t.Fatalf("gateway %+v", got)
		}
		if m := b.message(t, m2); m.Status != message.StatusFailed || m.Reason != "unreachable" {
			t.Fatalf("line-only message %s/%s", m.Status, m.Reason)
		}
	})
}

// TestLINEPush: the retry key is derived from the message id; a second
// push of the same key gets 409 and counts as sent.
func TestLINEPush(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		api := newLineAPI(t, 200)
		b.api(t, "PUT", "/api/v1/channels/line", map[string]any{"channel_secret": "s", "channel_access_token": "t", "endpoint": api.URL})
		cus := b.customer(t, map[string]any{"external_id": "c1", "line_user_id": "U0123456789abcdef0123456789abcdef", "consents": granted("line")})
		id := b.plan(t, cus, policy.Transactional, "1")
		b.Settle()
		if m := b.message(t, id); m.Status != message.StatusSent || m.Channel != "line" {
			t.Fatalf("line message %s/%s", m.Status, m.Channel)
		}
		api.mu.Lock()
		defer api.mu.Unlock()
		if api.pushes != 1 || len(api.keys) != 1 {
			t.Fatalf("pushes %d keys %v", api.pushes, api.keys)
		}
	})
}
