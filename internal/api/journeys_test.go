package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/db"
)

type journeyBody struct {
	ID           string `json:"id"`
	BuiltinKey   string `json:"builtin_key"`
	Status       string `json:"status"`
	PausedReason string `json:"paused_reason"`
	Version      int    `json:"version"`
	Stats        struct {
		ActiveRuns       int            `json:"active_runs"`
		MessagesByStatus map[string]int `json:"messages_by_status"`
	} `json:"stats"`
}

const helloDef = `{"name": "ごあいさつ", "trigger": {"type": "event", "event_type": "app.hello"},
 "steps": [{"id": "w", "type": "wait", "duration": "24h"}, {"id": "hi", "type": "send", "template": "%s", "purpose": "care"}]}`

func installBuiltins(t *testing.T, e *apptest.Env) {
	t.Helper()
	ctx := context.Background()
	if err := e.App.DB.InTx(ctx, func(tx *db.Tx) error { return e.App.Journeys.EnsureBuiltins(ctx, tx, e.Shop.ID) }); err != nil {
		t.Fatal(err)
	}
}

// journeyState dumps the shop's journeys and versions.
func journeyState(t *testing.T, e *apptest.Env) string {
	t.Helper()
	rows, err := e.App.DB.QueryContext(context.Background(), `SELECT j.id, j.status, j.paused_reason, j.version, v.version, v.definition
		FROM journeys j JOIN journey_versions v ON v.shop_id = j.shop_id AND v.journey_id = j.id WHERE j.shop_id = $1 ORDER BY j.id, v.version`, e.Shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, st, reason, def string
		var v1, v2 int
		if err := rows.Scan(&id, &st, &reason, &v1, &v2, &def); err != nil {
			t.Fatal(err)
		}
		b.WriteString(id + st + reason + def)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestJourneysAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		installBuiltins(t, e)
		var list struct {
			Items []journeyBody `json:"items"`
		}
		if r := e.Do("GET", "/api/v1/journeys", nil); r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		} else {
			r.JSON(t, &list)
		}
		if len(list.Items) != 4 {
			t.Fatalf("built-ins: %+v", list.Items)
		}
		before := journeyState(t, e)

		bad := []struct {
			name, body string
			status     int
			field      string
		}{
			{"malformed", `{"name": `, 400, ""},
			{"unknown field", `{"name": "x", "colour": 1}`, 400, ""},
			{"unknown step type", strings.Replace(helloDef, `"type": "wait"`, `"type": "nap"`, 1), 422, "steps[0].type"},
			{"bad duration", strings.Replace(helloDef, `"24h"`, `"soon"`, 1), 422, "steps[0].duration"},
			{"active with a missing template", strings.Replace(strings.Replace(helloDef, "%s", "nope_template", 1), `"name"`, `"status": "active", "name"`, 1), 422, "steps[1].template"},
			{"bad status", strings.Replace(strings.Replace(helloDef, "%s", "winback_checkin", 1), `"name"`, `"status": "running", "name"`, 1), 422, "status"},
			{"too large", `{"name": "` + strings.Repeat("x", 2<<20) + `"}`, 413, ""},
		}
		for _, tc := range bad {
			r := e.Do("POST", "/api/v1/journeys", tc.body)
			if r.Status != tc.status {
				t.Fatalf("%s: %d %s", tc.name, r.Status, r.Body)
			}
			if tc.field != "" && !strings.Contains(string(r.Body), `"`+tc.field+`"`) {
				t.Fatalf("%s: error does not name %s: %s", tc.name, tc.field, r.Body)
			}
		}
		if journeyState(t, e) != before {
			t.Fatal("a refused request changed the stored journeys")
		}

		// A draft may name a template that does not exist yet; activating it may not.
		r := e.Do("POST", "/api/v1/journeys", strings.Replace(helloDef, "%s", "my_hello", 1))
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var j journeyBody
		r.JSON(t, &j)
		if j.Status != "draft" || j.Version != 1 {
			t.Fatalf("created: %+v", j)
		}
		if r := e.Do("POST", "/api/v1/journeys/"+j.ID+"/activate", nil); r.Status != 422 || !strings.Contains(string(r.Body), "steps[1].template") {
			t.Fatalf("activate with a missing template: %d %s", r.Status, r.Body)
		}
		r = e.Do("PUT", "/api/v1/journeys/"+j.ID, strings.Replace(helloDef, "%s", "winback_checkin", 1))
		if r.Status != 200 {
			t.Fatalf("put: %d %s", r.Status, r.Body)
		}
		r.JSON(t, &j)
		if j.Version != 2 {
			t.Fatalf("put: version %d", j.Version)
		}
		mid := journeyState(t, e)
		if r := e.Do("PUT", "/api/v1/journeys/"+j.ID, strings.Replace(helloDef, `"24h"`, `"-1h"`, 1)); r.Status != 422 {
			t.Fatalf("bad put: %d %s", r.Status, r.Body)
		}
		if journeyState(t, e) != mid {
			t.Fatal("a refused PUT changed the journey")
		}
		if r := e.Do("POST", "/api/v1/journeys/"+j.ID+"/activate", nil); r.Status != 200 {
			t.Fatalf("activate: %d %s", r.Status, r.Body)
		}
		r = e.Do("POST", "/api/v1/journeys/"+j.ID+"/pause", nil)
		r.JSON(t, &j)
		if r.Status != 200 || j.Status != "paused" || j.PausedReason == "" {
			t.Fatalf("pause: %d %s", r.Status, r.Body)
		}
		r = e.Do("GET", "/api/v1/journeys/"+j.ID, nil)
		r.JSON(t, &j)
		if r.Status != 200 || j.Version != 2 || j.Stats.MessagesByStatus == nil {
			t.Fatalf("show: %d %s", r.Status, r.Body)
		}

		// Another shop's journey is not found, whatever the verb.
		_, otherKey := e.OtherShop("other-journeys")
		for _, req := range []struct{ method, path, body string }{
			{"GET", "/api/v1/journeys/" + j.ID, ""},
			{"PUT", "/api/v1/journeys/" + j.ID, strings.Replace(helloDef, "%s", "winback_checkin", 1)},
			{"POST", "/api/v1/journeys/" + j.ID + "/activate", ""},
			{"POST", "/api/v1/journeys/" + j.ID + "/pause", ""},
			{"POST", "/api/v1/journeys/" + j.ID + "/dry-run", `{"customer_id": "cus_x"}`},
			{"GET", "/api/v1/journeys/jny_nope", ""},
		} {
			var body any
			if req.body != "" {
				body = req.body
			}
			key := otherKey
			if strings.HasSuffix(req.path, "jny_nope") {
				key = e.Key
			}
			if r := e.DoKey(key, req.method, req.path, body); r.Status != 404 {
				t.Fatalf("%s %s from another shop: %d %s", req.method, req.path, r.Status, r.Body)
			}
		}
		var others struct {
			Items []journeyBody `json:"items"`
		}
		e.DoKey(otherKey, "GET", "/api/v1/journeys", nil).JSON(t, &others)
		for _, o := range others.Items {
			if o.ID == j.ID {
				t.Fatal("another shop lists this shop's journey")
			}
		}
	})
}

type dryRunItem struct {
	StepID   string `json:"step_id"`
	At       string `json:"at"`
	Purpose  string `json:"purpose"`
	Channel  string `json:"channel"`
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	SendAt   string `json:"send_at"`
	Decision struct {
		Outcome string `json:"outcome"`
		Reason  string `json:"reason"`
		Until   string `json:"until"`
	} `json:"decision"`
}

func TestJourneyDryRun(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		installBuiltins(t, e)
		if r := e.Do("PUT", "/api/v1/products/TEA-30", map[string]any{"name": "朝のお茶", "goal": "毎朝すっきり目覚める", "consumption_days": 30}); r.Status != 201 {
			t.Fatalf("product: %d %s", r.Status, r.Body)
		}
		r := e.Do("POST", "/api/v1/orders", map[string]any{"external_id": "R-1", "ordered_at": "2026-11-23T22:30:00+09:00", "channel": "online",
			"customer": map[string]any{"external_id": "C1", "name": "山田花子", "email": "hanako@example.jp",
				"consents": map[string]any{"email": map[string]any{"granted": true, "source": "checkout"}}},
			"lines": []map[string]any{{"sku": "TEA-30", "quantity": 1, "unit_price": 3000}}, "total": 3000})
		if r.Status != 201 {
			t.Fatalf("order: %d %s", r.Status, r.Body)
		}
		var o struct {
			ID         string `json:"id"`
			CustomerID string `json:"customer_id"`
		}
		r.JSON(t, &o)
		var list struct {
			Items []journeyBody `json:"items"`
		}
		e.Do("GET", "/api/v1/journeys", nil).JSON(t, &list)
		var pp string
		for _, j := range list.Items {
			if j.BuiltinKey == "post_purchase_care" {
				pp = j.ID
			}
		}
		count := func() int {
			var n int
			if err := e.App.DB.QueryRowContext(context.Background(), `SELECT (SELECT COUNT(*) FROM messages) + (SELECT COUNT(*) FROM runs)`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		r = e.Do("POST", "/api/v1/journeys/"+pp+"/dry-run", map[string]any{"customer_id": o.CustomerID, "order_id": o.ID})
		if r.Status != 200 {
			t.Fatalf("dry run: %d %s", r.Status, r.Body)
		}
		var items []dryRunItem
		r.JSON(t, &items)
		var got []string
		for _, it := range items {
			got = append(got, it.StepID+" "+it.Purpose+" "+it.At+" "+it.Decision.Outcome+"/"+it.Decision.Reason+" → "+it.SendAt)
		}
		want := []string{
			"thanks care 2026-11-23T13:30:00Z defer/quiet_hours → 2026-11-24T00:00:00Z",
			"help care 2026-11-26T13:30:00Z defer/quiet_hours → 2026-11-27T00:00:00Z",
			"survey care 2026-12-07T13:30:00Z defer/quiet_hours → 2026-12-08T00:00:00Z",
			"refill care 2026-12-16T13:30:00Z defer/quiet_hours → 2026-12-17T00:00:00Z",
			"offer sales 2026-12-19T13:30:00Z defer/quiet_hours → 2026-12-20T00:00:00Z",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("dry run:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if items[0].Channel != "email" || !strings.Contains(items[0].Body, "山田花子") || items[0].Subject == "" {
			b, _ := json.Marshal(items[0])
			t.Fatalf("rendered: %s", b)
		}
		if count() != before {
			t.Fatal("the dry run wrote messages or runs")
		}
		for _, body := range []string{`{"customer_id": "cus_nope"}`, `{"customer_id": "` + o.CustomerID + `", "order_id": "ord_nope"}`} {
			if r := e.Do("POST", "/api/v1/journeys/"+pp+"/dry-run", body); r.Status != 422 {
				t.Fatalf("dry run %s: %d %s", body, r.Status, r.Body)
			}
		}
	})
}
