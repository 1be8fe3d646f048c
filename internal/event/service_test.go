package event_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/event"
)

func TestPostInputValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    event.PostInput
		field string // "" when valid
		at    time.Time
	}{
		{"minimal", event.PostInput{Type: "app.visit"}, "", t0},
		{"occurred_at", event.PostInput{Type: "app.visit", OccurredAt: "2026-11-23T09:00:00+09:00"}, "", t0.Add(-time.Hour)},
		{"a day ahead", event.PostInput{Type: "app.visit", OccurredAt: "2026-11-24T10:00:00+09:00"}, "", t0.Add(24 * time.Hour)},
		{"too far ahead", event.PostInput{Type: "app.visit", OccurredAt: "2026-11-24T10:00:01+09:00"}, "occurred_at", t0},
		{"bad occurred_at", event.PostInput{Type: "app.visit", OccurredAt: "yesterday"}, "occurred_at", t0},
		{"missing type", event.PostInput{}, "type", t0},
		{"one word", event.PostInput{Type: "visit"}, "type", t0},
		{"upper case", event.PostInput{Type: "App.Visit"}, "type", t0},
		{"long type", event.PostInput{Type: "app." + strings.Repeat("x", 97)}, "type", t0},
		{"reserved", event.PostInput{Type: "customer.erased"}, "type", t0},
		{"reserved journey", event.PostInput{Type: "journey.started"}, "type", t0},
		{"both customers", event.PostInput{Type: "app.x", CustomerID: "cus_1", CustomerExternalID: "C1"}, "customer_id", t0},
		{"long external id", event.PostInput{Type: "app.x", ExternalID: strings.Repeat("あ", 101)}, "external_id", t0},
		{"100 characters", event.PostInput{Type: "app.x", ExternalID: strings.Repeat("あ", 100)}, "", t0},
		{"control character", event.PostInput{Type: "app.x", ExternalID: "a\x00b"}, "external_id", t0},
		{"data array", event.PostInput{Type: "app.x", Data: json.RawMessage(`[1]`)}, "data", t0},
		{"data string", event.PostInput{Type: "app.x", Data: json.RawMessage(`"x"`)}, "data", t0},
		{"data not JSON", event.PostInput{Type: "app.x", Data: json.RawMessage(`{x`)}, "data", t0},
		{"data null", event.PostInput{Type: "app.x", Data: json.RawMessage(`null`)}, "", t0},
		{"data too big", event.PostInput{Type: "app.x", Data: json.RawMessage(`{"x":"` + strings.Repeat("a", event.MaxData) + `"}`)}, "data", t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			at, err := in.Validate(t0)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				if !at.Equal(tt.at) {
					t.Errorf("at = %v, want %v", at, tt.at)
				}
				return
			}
			if !hasField(err, tt.field) {
				t.Errorf("err = %v, want a problem with %s", err, tt.field)
			}
		})
	}
}

// FuzzPostInputValidate checks that Validate never panics and that what it
// accepts is what the package promises to store.
func FuzzPostInputValidate(f *testing.F) {
	f.Add("app.visit", "", "", "ev-1", "2026-11-23T09:00:00+09:00", `{"a":1}`)
	f.Add("order.placed", "cus_1", "C1", "", "now", `[1]`)
	f.Add(" app.x ", "", "C1", "a\x00", "2026-11-30T00:00:00Z", `null`)
	f.Add("", "", "", strings.Repeat("x", 101), "", `{`)
	f.Fuzz(func(t *testing.T, typ, cid, cext, ext, at, data string) {
		in := event.PostInput{Type: typ, CustomerID: cid, CustomerExternalID: cext, ExternalID: ext, OccurredAt: at, Data: json.RawMessage(data)}
		when, err := in.Validate(t0)
		if err != nil {
			if !hasField(err, "type") && !hasField(err, "customer_id") && !hasField(err, "external_id") &&
				!hasField(err, "occurred_at") && !hasField(err, "data") {
				t.Fatalf("error without a known field: %v", err)
			}
			return
		}
		if !event.ValidType(in.Type) || when.After(t0.Add(24*time.Hour)) || when.Location() != time.UTC {
			t.Fatalf("accepted type %q at %v", in.Type, when)
		}
		if utf8.RuneCountInString(in.ExternalID) > 100 || !utf8.ValidString(in.ExternalID) {
			t.Fatalf("accepted external id %q", in.ExternalID)
		}
		var obj map[string]any
		if err := json.Unmarshal(in.Data, &obj); err != nil || obj == nil {
			t.Fatalf("accepted data %q: %v", in.Data, err)
		}
	})
}
