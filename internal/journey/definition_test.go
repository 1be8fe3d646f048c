package journey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/journey"
)

// base is a valid definition; each case below breaks one thing.
const base = `{"name": "テスト", "trigger": {"type": "order_placed"}, "steps": [
 {"id": "a", "type": "send", "template": "care_thanks", "purpose": "care"},
 {"id": "w", "type": "wait", "duration": "72h"},
 {"id": "b", "type": "branch", "if": {"fact": "order.has_consumable", "op": "eq", "value": true}, "then": "c", "else": "z"},
 {"id": "c", "type": "wait_until", "anchor": "consumption_end", "offset": "-7d"},
 {"id": "d", "type": "send", "template": "care_replenish", "purpose": "care", "sku": "consumable"},
 {"id": "e", "type": "task", "title": "お電話でご様子を伺う"},
 {"id": "z", "type": "exit"}],
 "exit_on": [{"event": "order.placed", "same_sku": true}]}`

func TestParseDefinition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		from  string // replaced in base by to
		to    string
		field string // the field named in the 422; "" = valid; "400" = malformed
	}{
		{name: "valid", from: "", to: ""},
		{name: "builtin shape", from: `"type": "order_placed"}`, to: `"type": "order_placed", "first_order": false, "sku": "", "category": ""}`},
		{name: "bad duration", from: `"duration": "72h"`, to: `"duration": "3 days"`, field: "steps[1].duration"},
		{name: "zero duration", from: `"duration": "72h"`, to: `"duration": "0s"`, field: "steps[1].duration"},
		{name: "day duration ok", from: `"duration": "72h"`, to: `"duration": "14d"`},
		{name: "unknown step type", from: `"type": "exit"`, to: `"type": "teleport"`, field: "steps[6].type"},
		{name: "missing branch target", from: `"else": "z"`, to: `"else": "nowhere"`, field: "steps[2].else"},
		{name: "backward jump", from: `"then": "c"`, to: `"then": "a"`, field: "steps[2].then"},
		{name: "self jump", from: `"then": "c"`, to: `"then": "b"`, field: "steps[2].then"},
		{name: "bad purpose", from: `"purpose": "care"}`, to: `"purpose": "spam"}`, field: "steps[0].purpose"},
		{name: "bad trigger", from: `"type": "order_placed"`, to: `"type": "moon_phase"`, field: "trigger.type"},
		{name: "field of another trigger", from: `"type": "order_placed"}`, to: `"type": "order_placed", "band": "cooling"}`, field: "trigger.band"},
		{name: "band trigger needs band", from: `{"type": "order_placed"}`, to: `{"type": "band_entered"}`, field: "trigger.band"},
		{name: "duplicate step id", from: `{"id": "e"`, to: `{"id": "a"`, field: "steps[5].id"},
		{name: "field of another step", from: `"type": "exit"}`, to: `"type": "exit", "duration": "1h"}`, field: "steps[6].duration"},
		{name: "bad anchor", from: `"anchor": "consumption_end"`, to: `"anchor": "birthday"`, field: "steps[3].anchor"},
		{name: "bad fact", from: `"fact": "order.has_consumable"`, to: `"fact": "customer.salary"`, field: "steps[2].if.fact"},
		{name: "bad op", from: `"op": "eq"`, to: `"op": "like"`, field: "steps[2].if.op"},
		{name: "value type", from: `"value": true`, to: `"value": "yes"`, field: "steps[2].if.value"},
		{name: "task needs title", from: `"title": "お電話でご様子を伺う"`, to: `"title": " "`, field: "steps[5].title"},
		{name: "bad template key", from: `"template": "care_thanks"`, to: `"template": "Care Thanks"`, field: "steps[0].template"},
		{name: "unknown template is fine", from: `"template": "care_thanks"`, to: `"template": "my_own_thanks"`},
		{name: "bad exit event", from: `"event": "order.placed"`, to: `"event": "Order Placed"`, field: "exit_on[0].event"},
		{name: "same_sku needs order", from: `{"event": "order.placed", "same_sku": true}`, to: `{"event": "ticket.resolved", "same_sku": true}`, field: "exit_on[0].same_sku"},
		{name: "no name", from: `"name": "テスト"`, to: `"name": ""`, field: "name"},
		{name: "engine event trigger", from: `{"type": "order_placed"}`, to: `{"type": "event", "event_type": "message.sent"}`, field: "trigger.event_type"},
		{name: "order facts need order trigger", from: `{"type": "order_placed"}`, to: `{"type": "ticket_resolved"}`, field: "steps[2].if.fact"},
		{name: "score range", from: `{"type": "order_placed"}`, to: `{"type": "survey_answered", "min_score": 11}`, field: "trigger.min_score"},
		{name: "unknown field", from: `"name": "テスト"`, to: `"name": "テスト", "colour": "red"`, field: "400"},
		{name: "not json", from: `{"name"`, to: `{"name`, field: "400"},
		{name: "unknown field after steps", from: `"steps": [`, to: `"steps": [], "x": [`, field: "400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := base
			if tt.from != "" {
				if !strings.Contains(src, tt.from) {
					t.Fatalf("%q not in base", tt.from)
				}
				src = strings.Replace(src, tt.from, tt.to, 1)
			}
			_, err := journey.ParseDefinition([]byte(src))
			switch tt.field {
			case "":
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
			case "400":
				if !errors.Is(err, errs.ErrMalformed) {
					t.Fatalf("want malformed, got %v", err)
				}
			default:
				var e *errs.Error
				if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) || e.Fields[tt.field] == "" {
					t.Fatalf("want 422 naming %s, got %v", tt.field, err)
				}
			}
		})
	}
}

func TestEmptyStepsAndTrailingData(t *testing.T) {
	t.Parallel()
	var e *errs.Error
	_, err := journey.ParseDefinition([]byte(`{"name": "x", "trigger": {"type": "recall"}, "steps": []}`))
	if !errors.As(err, &e) || e.Fields["steps"] == "" {
		t.Fatalf("empty steps: %v", err)
	}
	if _, err := journey.ParseDefinition([]byte(base + ` {}`)); !errors.Is(err, errs.ErrMalformed) {
		t.Fatalf("trailing data: %v", err)
	}
}

func TestBuiltinsValidate(t *testing.T) {
	t.Parallel()
	for _, key := range []string{journey.BuiltinPostPurchase, journey.BuiltinWinBack, journey.BuiltinTicketFollowUp, journey.BuiltinDunning} {
		d, ok := journey.BuiltinDefinition(key)
		if !ok {
			t.Fatalf("no built-in %s", key)
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
}

// FuzzParseDefinition: whatever the JSON, parsing never panics, and a
// definition it accepts validates again after a round trip.
func FuzzParseDefinition(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(`{"name":"x","trigger":{"type":"event","event_type":"app.x"},"steps":[{"id":"a","type":"exit"}]}`))
	f.Add([]byte(`{"name":"x","trigger":{"type":"survey_answered","min_score":3,"max_score":1},"steps":[]}`))
	f.Add([]byte(`{"steps":[{"id":"b","type":"branch","if":{"fact":"event.data.x","op":"gt","value":1e309}}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := journey.ParseDefinition(b)
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted definition fails validation again: %v", err)
		}
	})
}
