package hooks_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/channel/sms"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

const gatewaySecret = "gateway-secret-0123456789"

// TestGenericSMS sends through the generic gateway and applies its signed
// status callbacks: monotonic, duplicates harmless, forged ones refused.
func TestGenericSMS(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		gw := newGenericGateway(t, gatewaySecret)
		if res := b.api(t, "PUT", "/api/v1/channels/sms", map[string]any{"provider": "generic", "url": gw.URL,
			"secret": gatewaySecret, "sender_id": "HIDAMARI"}); res.Status != 200 {
			t.Fatalf("put sms: %d %s", res.Status, res.Body)
		}
		cus := b.customer(t, map[string]any{"external_id": "c1", "name": "山田", "phone": "090-1234-5678", "consents": granted("sms")})
		id := b.plan(t, cus, policy.Care, "1")
		b.Settle()

		got := gw.got()
		if len(got) != 1 || got[0].key != id || got[0].to != "+819012345678" {
			t.Fatalf("gateway got %+v, want one post keyed %s", got, id)
		}
		m := b.message(t, id)
		if m.Status != message.StatusSent || m.Channel != "sms" || m.SentAt == nil {
			t.Fatalf("message %s/%s", m.Status, m.Channel)
		}
		if a := b.attempts(t, id); !slices.Equal(a, []string{"sms:sms_generic:sent:"}) {
			t.Fatalf("attempts %v", a)
		}

		path := "/hooks/sms/generic/" + b.Shop.ID
		signed := func(body string) map[string]string {
			return map[string]string{sms.SignatureHeader: sms.Sign([]byte(gatewaySecret), []byte(body))}
		}
		for _, tt := range []struct {
			name, body string
			hdr        map[string]string
			want       int
		}{
			{"no signature", `{"id":"` + id + `","status":"failed"}`, nil, 401},
			{"forged", `{"id":"` + id + `","status":"failed"}`, map[string]string{sms.SignatureHeader: sms.Sign([]byte("other-secret-0123456"), []byte("x"))}, 401},
			{"malformed", `{"id":`, signed(`{"id":`), 400},
			{"bad status", `{"id":"` + id + `","status":"sent"}`, signed(`{"id":"` + id + `","status":"sent"}`), 422},
			{"too large", strings.Repeat(" ", 70<<10), nil, 413},
		} {
			if res := b.call(t, "", "POST", path, tt.body, tt.hdr); res.Status != tt.want {
				t.Errorf("%s: %d %s, want %d", tt.name, res.Status, res.Body, tt.want)
			}
			if m := b.message(t, id); m.Status != message.StatusSent {
				t.Fatalf("%s changed the message to %s", tt.name, m.Status)
			}
		}
		if res := b.call(t, "", "POST", "/hooks/sms/generic/no-such-shop", "{}", nil); res.Status != 404 {
			t.Errorf("unknown shop: %d", res.Status)
		}

		delivered := `{"id":"` + id + `","status":"delivered"}`
		for range 3 { // duplicated callbacks
			if res := b.call(t, "", "POST", "/hooks/sms/generic/test-shop", delivered, signed(delivered)); res.Status != 204 {
				t.Fatalf("delivered: %d %s", res.Status, res.Body)
			}
		}
		failed := `{"id":"` + id + `","status":"failed","error":"handset off"}`
		if res := b.call(t, "", "POST", path, failed, signed(failed)); res.Status != 204 {
			t.Fatalf("late failed: %d", res.Status)
		}
		if m := b.message(t, id); m.Status != message.StatusDelivered {
			t.Fatalf("after delivered ×3 and a late failed: %s", m.Status)
		}
		unknown := `{"id":"msg_unknown","status":"delivered"}`
		if res := b.call(t, "", "POST", path, unknown, signed(unknown)); res.Status != 204 {
			t.Fatalf("unknown id: %d", res.Status)
		}

		// Another shop's callback path with this shop's message changes nothing.
		other, otherKey := b.otherShop(t, "other-shop")
		if res := b.call(t, otherKey, "PUT", "/api/v1/channels/sms", map[string]any{"provider": "generic", "url": gw.URL,
			"secret": gatewaySecret, "sender_id": "OTHER"}, nil); res.Status != 200 {
			t.Fatalf("other put: %d %s", res.Status, res.Body)
		}
		f2 := `{"id":"` + id + `","status":"failed"}`
		if res := b.call(t, "", "POST", "/hooks/sms/generic/"+other, f2, signed(f2)); res.Status != 204 {
			t.Fatalf("other shop's hook: %d", res.Status)
		}
		if m := b.message(t, id); m.Status != message.StatusDelivered {
			t.Fatalf("another shop's callback changed the message: %s", m.Status)
		}
	})
}

// TestGatewayDedupesRetries: a 503 is retried with the same id; the
// gateway sees one key, the customer one message.
func TestGatewayRetries(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		gw := newGenericGateway(t, gatewaySecret)
		gw.status = 503
		b.api(t, "PUT", "/api/v1/channels/sms", map[string]any{"provider": "generic", "url": gw.URL, "secret": gatewaySecret, "sender_id": "S"})
		cus := b.customer(t, map[string]any{"external_id": "c1", "phone": "09011112222", "consents": granted("sms")})
		id := b.plan(t, cus, policy.Care, "1")
		b.Settle()
		if m := b.message(t, id); m.Status != message.StatusSending {
			t.Fatalf("after a 503: %s", m.Status)
		}
		gw.mu.Lock()
		gw.status, gw.first = 200, map[string]int{}
		gw.mu.Unlock()
		if err := b.App.Runner.AdvanceTo(context.Background(), b.App.Sim, b.App.Clock.Now().Add(2*60e9)); err != nil {
			t.Fatal(err)
		}
		got := gw.got()
		if len(got) != 2 || got[0].key != id || got[1].key != id {
			t.Fatalf("posts %+v", got)
		}
		if m := b.message(t, id); m.Status != message.StatusSent {
			t.Fatalf("after the retry: %s", m.Status)
		}
	})
}

// TestTwilio sends through a Twilio-shaped API and checks status callbacks
// against the configured base URL, not the request's Host.
func TestTwilio(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		const sid, token = "AC0123456789abcdef0123456789abcdef", "twilio-auth-token"
		gw := newTwilioGateway(t, sid, token)
		if res := b.api(t, "PUT", "/api/v1/channels/sms", map[string]any{"provider": "twilio", "account_sid": sid,
			"auth_token": token, "from": "+815012345678", "base_url": gw.URL}); res.Status != 200 {
			t.Fatalf("put: %d %s", res.Status, res.Body)
		}
		cus := b.customer(t, map[string]any{"external_id": "c1", "phone": "09011112222", "consents": granted("sms")})
		id := b.plan(t, cus, policy.Care, "1")
		b.Settle()
		gw.mu.Lock()
		forms := gw.forms
		gw.mu.Unlock()
		wantCB := b.App.Config.BaseURL + "/hooks/sms/twilio/" + b.Shop.ID + "?id=" + id
		if len(forms) != 1 || forms[0].Get("To") != "+819011112222" || forms[0].Get("StatusCallback") != wantCB {
			t.Fatalf("twilio got %v", forms)
		}
		if m := b.message(t, id); m.Status != message.StatusSent {
			t.Fatalf("status %s", m.Status)
		}
		path := "/hooks/sms/twilio/" + b.Shop.ID + "?id=" + id
		form := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}}
		hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
		// Signed for the Host the request really reached: refused.
		hdr["X-Twilio-Signature"] = sms.TwilioSignature(token, b.srv.URL+path, form)
		if res := b.call(t, "", "POST", path, form.Encode(), hdr); res.Status != 401 {
			t.Fatalf("host-signed: %d", res.Status)
		}
		hdr["X-Twilio-Signature"] = sms.TwilioSignature(token, b.App.Config.BaseURL+path, form)
		for _, status := range []string{"sent", "delivered", "sent"} { // reordered, repeated
			form.Set("MessageStatus", status)
			hdr["X-Twilio-Signature"] = sms.TwilioSignature(token, b.App.Config.BaseURL+path, form)
			if res := b.call(t, "", "POST", path, form.Encode(), hdr); res.Status != 204 {
				t.Fatalf("%s: %d %s", status, res.Status, res.Body)
			}
		}
		if m := b.message(t, id); m.Status != message.StatusDelivered {
			t.Fatalf("after callbacks: %s", m.Status)
		}
	})
}
