package hooks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/channel/channeltest"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

// TestAmbiguous: a lost reply from a provider that cannot dedupe fails a
// care message (never resent blindly) and retries a transactional one
// (a duplicate is the price of reaching the customer).
func TestAmbiguous(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		rec := channeltest.NewRecorder("twilio", false)
		b.svc.SetSenderFunc(func(delivery.Settings) (channel.Sender, error) { return rec, nil })
		b.api(t, "PUT", "/api/v1/channels/sms", map[string]any{"provider": "twilio", "account_sid": "AC1", "auth_token": "t", "from": "+815012345678"})
		cus := b.customer(t, map[string]any{"external_id": "c1", "phone": "09011112222", "consents": granted("sms")})
		care := b.plan(t, cus, policy.Care, "care")
		recall := b.plan(t, cus, policy.Transactional, "recall")
		rec.FailID(care, channeltest.ErrAmbiguous)
		rec.FailID(recall, channeltest.ErrAmbiguous, channeltest.ErrRetryable)
		b.Settle()
		if m := b.message(t, care); m.Status != message.StatusFailed || m.Reason != delivery.ReasonAmbiguous {
			t.Fatalf("care: %s/%s", m.Status, m.Reason)
		}
		if err := b.App.Runner.AdvanceTo(context.Background(), b.App.Sim, b.App.Clock.Now().Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if m := b.message(t, recall); m.Status != message.StatusSent {
			t.Fatalf("recall: %s/%s", m.Status, m.Reason)
		}
		if n := rec.Deliveries(care); n != 1 {
			t.Fatalf("care delivered %d times", n)
		}
		if n := rec.Deliveries(recall); n != 2 {
			t.Fatalf("recall delivered %d times, want 2 (one ambiguous, one accepted)", n)
		}
	})
}

// TestRecallAPI fans a recall out to the SKU's buyers and counts it.
func TestRecallAPI(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		at := b.App.Clock.Now().Add(-10 * 24 * time.Hour).Format(time.RFC3339)
		for i := range 5 {
			sku := "RC-1"
			if i == 4 {
				sku = "OTHER"
			}
			res := b.Do("POST", "/api/v1/orders", map[string]any{"external_id": fmt.Sprintf("o%d", i), "ordered_at": at, "channel": "online",
				"customer": map[string]any{"external_id": fmt.Sprintf("c%d", i), "email": fmt.Sprintf("c%d@example.jp", i)},
				"lines":    []map[string]any{{"sku": sku, "quantity": 1, "unit_price": 500}}, "total": 500})
			if res.Status != 201 {
				t.Fatalf("order: %d %s", res.Status, res.Body)
			}
		}
		for _, tt := range []struct {
			name string
			body any
			want int
		}{
			{"malformed", `{"sku":`, 400},
			{"no sku", map[string]any{"body": "x"}, 422},
			{"no text", map[string]any{"sku": "RC-1"}, 422},
			{"unknown template", map[string]any{"sku": "RC-1", "template_key": "nope"}, 422},
			{"bad liquid", map[string]any{"sku": "RC-1", "body": "{{ customer.secret }}"}, 422},
			{"window reversed", map[string]any{"sku": "RC-1", "body": "x", "purchased_from": "2026-02-01T00:00:00Z", "purchased_to": "2026-01-01T00:00:00Z"}, 422},
		} {
			if res := b.api(t, "POST", "/api/v1/recalls", tt.body); res.Status != tt.want {
				t.Errorf("%s: %d %s, want %d", tt.name, res.Status, res.Body, tt.want)
			}
		}
		res := b.api(t, "POST", "/api/v1/recalls", map[string]any{"sku": "RC-1", "lot": "L-7", "subject": "回収のお知らせ",
			"body": "{{ customer.name }}様 {{ product.name }}を回収いたします。"})
		if res.Status != 201 {
			t.Fatalf("recall: %d %s", res.Status, res.Body)
		}
		id := res.Map(t)["id"].(string)
		b.Settle()
		var got delivery.Campaign
		b.api(t, "GET", "/api/v1/recalls/"+id, nil).JSON(t, &got)
		if got.Status != "done" || got.Targeted != 4 || got.Sent != 4 || got.Pending != 0 || got.Lot != "L-7" {
			t.Fatalf("recall %+v", got)
		}
		if res := b.api(t, "GET", "/api/v1/broadcasts/"+id, nil); res.Status != 404 {
			t.Fatalf("recall as broadcast: %d", res.Status)
		}
		_, otherKey := b.otherShop(t, "other-shop")
		if res := b.call(t, otherKey, "GET", "/api/v1/recalls/"+id, nil, nil); res.Status != 404 {
			t.Fatalf("other shop: %d", res.Status)
		}

		// A broadcast to everyone: only consented customers get it.
		b.customer(t, map[string]any{"external_id": "c0", "consents": granted("email")})
		res = b.api(t, "POST", "/api/v1/broadcasts", map[string]any{"segment": map[string]any{"all": true}, "purpose": "info", "template_key": "care_thanks"})
		if res.Status != 201 {
			t.Fatalf("broadcast: %d %s", res.Status, res.Body)
		}
		bid := res.Map(t)["id"].(string)
		b.Settle()
		b.api(t, "GET", "/api/v1/broadcasts/"+bid, nil).JSON(t, &got)
		if got.Targeted != 5 || got.Sent != 1 || got.Suppressed != 4 {
			t.Fatalf("broadcast %+v", got)
		}
		for _, body := range []any{
			map[string]any{"segment": map[string]any{}, "purpose": "info", "template_key": "care_thanks"},
			map[string]any{"segment": map[string]any{"all": true, "tag": "x"}, "purpose": "info", "template_key": "care_thanks"},
			map[string]any{"segment": map[string]any{"band": "warm"}, "purpose": "info", "template_key": "care_thanks"},
			map[string]any{"segment": map[string]any{"all": true}, "purpose": "transactional", "template_key": "care_thanks"},
		} {
			if res := b.api(t, "POST", "/api/v1/broadcasts", body); res.Status != 422 {
				t.Errorf("%v: %d", body, res.Status)
			}
		}
	})
}
