package line

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
)

func sign(secret string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(body)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func hookRequest(body []byte, signature string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/line/hidamari", bytes.NewReader(body))
	if signature != "" {
		r.Header.Set("X-Line-Signature", signature)
	}
	return r
}

const webhookBody = `{"destination":"Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx","events":[
 {"type":"follow","mode":"active","timestamp":1763893800000,"webhookEventId":"01JFOLLOW","deliveryContext":{"isRedelivery":false},
  "replyToken":"r1","source":{"type":"user","userId":"U0123456789abcdef0123456789abcdef"},"follow":{"isUnblocked":false}},
 {"type":"message","mode":"active","timestamp":1763893801000,"webhookEventId":"01JMESSAGE","deliveryContext":{"isRedelivery":true},
  "replyToken":"r2","source":{"type":"user","userId":"U0123456789abcdef0123456789abcdef"},
  "message":{"type":"text","id":"1","quoteToken":"q","text":"豆の挽き方を教えてください"}},
 {"type":"message","mode":"active","timestamp":1763893802000,"webhookEventId":"01JSTICKER","deliveryContext":{"isRedelivery":false},
  "replyToken":"r3","source":{"type":"user","userId":"U0123456789abcdef0123456789abcdef"},
  "message":{"type":"sticker","id":"2","quoteToken":"q","packageId":"1","stickerId":"1","stickerResourceType":"STATIC"}},
 {"type":"message","mode":"active","timestamp":1763893803000,"webhookEventId":"01JGROUP","deliveryContext":{"isRedelivery":false},
  "replyToken":"r4","source":{"type":"group","groupId":"Cgroup","userId":"Uother"},
  "message":{"type":"text","id":"3","quoteToken":"q","text":"in a group"}},
 {"type":"postback","mode":"active","timestamp":1763893804000,"webhookEventId":"01JPOSTBACK","deliveryContext":{"isRedelivery":false},
  "replyToken":"r5","source":{"type":"user","userId":"U0123456789abcdef0123456789abcdef"},"postback":{"data":"x"}},
 {"type":"somethingNew","timestamp":1763893805000,"webhookEventId":"01JNEW"},
 {"type":"unfollow","mode":"active","timestamp":1763893806000,"webhookEventId":"01JUNFOLLOW","deliveryContext":{"isRedelivery":false},
  "source":{"type":"user","userId":"U0123456789abcdef0123456789abcdef"}}
]}`

func TestParseWebhook(t *testing.T) {
	t.Parallel()
	body := []byte(webhookBody)
	events, err := ParseWebhook(testSecret, hookRequest(body, sign(testSecret, body)), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	at := func(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
	want := []Event{
		{Type: EventFollow, UserID: testUserID, WebhookEventID: "01JFOLLOW", Time: at(1763893800000)},
		{Type: EventMessage, UserID: testUserID, Text: "豆の挽き方を教えてください", MessageType: "text", WebhookEventID: "01JMESSAGE", Redelivery: true, Time: at(1763893801000)},
		{Type: EventMessage, UserID: testUserID, MessageType: "sticker", WebhookEventID: "01JSTICKER", Time: at(1763893802000)},
		{Type: EventUnfollow, UserID: testUserID, WebhookEventID: "01JUNFOLLOW", Time: at(1763893806000)},
	}
	if len(events) != len(want) {
		t.Fatalf("got %d events: %+v", len(events), events)
	}
	for i := range want {
		if events[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, events[i], want[i])
		}
	}
	// LINE's connectivity check: no events.
	empty := []byte(`{"destination":"U1","events":[]}`)
	if events, err := ParseWebhook(testSecret, hookRequest(empty, sign(testSecret, empty)), 1<<20); err != nil || len(events) != 0 {
		t.Fatalf("empty webhook: %v %v", events, err)
	}
}

func TestParseWebhookRejects(t *testing.T) {
	t.Parallel()
	body := []byte(webhookBody)
	malformed := []byte(`{"events":[{"type":"message","message":{"type":"text","text":"私の電話番号は090-1234-5678"`)
	badEvents := []byte(`{"events":"私の住所は東京都"}`)
	tests := []struct {
		name   string
		secret string
		body   []byte
		sig    string
		max    int64
		kind   error
	}{
		{"wrong signature", testSecret, body, sign("other", body), 1 << 20, errs.ErrUnauthorized},
		{"no signature", testSecret, body, "", 1 << 20, errs.ErrUnauthorized},
		{"signature not base64", testSecret, body, "!!!", 1 << 20, errs.ErrUnauthorized},
		{"no secret configured", "", body, sign("", body), 1 << 20, errs.ErrUnauthorized},
		{"body over the limit", testSecret, body, sign(testSecret, body), 100, errs.ErrTooLarge},
		{"malformed json, signed", testSecret, malformed, sign(testSecret, malformed), 1 << 20, errs.ErrMalformed},
		{"events not an array, signed", testSecret, badEvents, sign(testSecret, badEvents), 1 << 20, errs.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			events, err := ParseWebhook(tt.secret, hookRequest(tt.body, tt.sig), tt.max)
			if !errors.Is(err, tt.kind) || events != nil {
				t.Fatalf("ParseWebhook = %v, %v; want %v", events, err, tt.kind)
			}
			for _, secret := range []string{"090-1234-5678", "東京都", "私の", "U0123456789abcdef"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error text %q quotes the body", err)
				}
			}
		})
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(webhookBody), false)
	f.Add([]byte(`{"destination":"U1","events":[]}`), false)
	f.Add([]byte(`{"events":[{"type":"message","source":{"type":"user"},"message":{"type":"text"}}]}`), false)
	f.Add([]byte(`{"events":[{"type":"follow","source":null,"deliveryContext":null}]}`), true)
	f.Add([]byte(`{"events":[null]}`), false)
	f.Add([]byte(`[`), false)
	f.Fuzz(func(t *testing.T, body []byte, badSig bool) {
		sig := sign(testSecret, body)
		if badSig {
			sig = sign("other", body)
		}
		events, err := ParseWebhook(testSecret, hookRequest(body, sig), 4096)
		if err != nil {
			if !errors.Is(err, errs.ErrMalformed) && !errors.Is(err, errs.ErrUnauthorized) && !errors.Is(err, errs.ErrTooLarge) {
				t.Fatalf("uncategorised error %v", err)
			}
			if len(body) >= 8 && strings.Contains(err.Error(), string(body)) {
				t.Fatal("error text quotes the body")
			}
			if errors.Is(err, errs.ErrTooLarge) != (len(body) > 4096) {
				t.Fatalf("too large = %v for %d bytes", errors.Is(err, errs.ErrTooLarge), len(body))
			}
			return
		}
		if badSig {
			t.Fatal("a bad signature was accepted")
		}
		for _, e := range events {
			if e.UserID == "" || (e.Type != EventFollow && e.Type != EventUnfollow && e.Type != EventMessage) {
				t.Fatalf("bad event %+v", e)
			}
		}
	})
}
