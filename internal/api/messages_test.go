package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/message"
)

func TestTemplatesAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		res := e.Do("GET", "/api/v1/templates", nil)
		var list struct {
			Items []message.Template `json:"items"`
		}
		res.JSON(t, &list)
		if res.Status != 200 || len(list.Items) != 8 {
			t.Fatalf("list: %d %d items", res.Status, len(list.Items))
		}
		if res := e.Do("GET", "/api/v1/templates/care_thanks", nil); res.Status != 200 || !strings.Contains(string(res.Body), "product.goal") {
			t.Fatalf("show default: %d %s", res.Status, res.Body)
		}
		if res := e.Do("GET", "/api/v1/templates/nope", nil); res.Status != 404 || res.ErrorCode() != "template_not_found" {
			t.Fatalf("unknown: %d %s", res.Status, res.Body)
		}

		good := map[string]any{"purpose": "care", "subject_ja": "{{ shop.name }}より", "body_ja": "{{ customer.name }}様、ありがとうございます。"}
		if res := e.Do("PUT", "/api/v1/templates/my_note", good); res.Status != 200 {
			t.Fatalf("put: %d %s", res.Status, res.Body)
		}
		before := e.Do("GET", "/api/v1/templates/my_note", nil).Body

		for _, tt := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"unknown variable", map[string]any{"purpose": "care", "body_ja": "{{ customer.nmae }}"}, 422, "body_ja"},
			{"sms too long", map[string]any{"purpose": "care", "body_ja": "x", "sms_ja": strings.Repeat("長", 700)}, 422, "sms_ja"},
			{"unknown field", map[string]any{"purpose": "care", "body_ja": "x", "bogus": 1}, 400, ""},
			{"malformed", `{"purpose":`, 400, ""},
			{"too large", map[string]any{"purpose": "care", "body_ja": strings.Repeat("x", 2<<20)}, 413, ""},
		} {
			res := e.Do("PUT", "/api/v1/templates/my_note", tt.body)
			if res.Status != tt.status {
				t.Errorf("%s: %d %s", tt.name, res.Status, res.Body)
				continue
			}
			if tt.field != "" {
				var b struct {
					Error struct {
						Fields map[string]string `json:"fields"`
					} `json:"error"`
				}
				res.JSON(t, &b)
				if b.Error.Fields[tt.field] == "" {
					t.Errorf("%s: no message for %s: %s", tt.name, tt.field, res.Body)
				}
			}
		}
		if after := e.Do("GET", "/api/v1/templates/my_note", nil).Body; string(after) != string(before) {
			t.Fatalf("refused puts changed the template:\n%s\n%s", before, after)
		}

		res = e.Do("POST", "/api/v1/customers", map[string]any{"external_id": "c1", "name": "山田 花子", "locale": "en"})
		if res.Status != 201 {
			t.Fatalf("customer: %d %s", res.Status, res.Body)
		}
		cid := res.Map(t)["id"].(string)
		res = e.Do("POST", "/api/v1/templates/my_note/preview", map[string]any{"customer_id": cid, "locale": "ja"})
		var r message.Rendered
		res.JSON(t, &r)
		if res.Status != 200 || r.Body != "山田 花子様、ありがとうございます。" || r.Subject != "テスト商店より" || r.Locale != "ja" {
			t.Fatalf("preview: %d %s", res.Status, res.Body)
		}
		if res := e.Do("POST", "/api/v1/templates/my_note/preview", map[string]any{"customer_id": "cus_nope"}); res.Status != 422 {
			t.Fatalf("preview unknown customer: %d %s", res.Status, res.Body)
		}

		// Another shop sees its own (default) templates only.
		_, otherKey := e.OtherShop("other-shop")
		if res := e.DoKey(otherKey, "GET", "/api/v1/templates/my_note", nil); res.Status != 404 {
			t.Fatalf("other shop: %d", res.Status)
		}
		if res := e.DoKey(otherKey, "POST", "/api/v1/templates/my_note/preview", map[string]any{"customer_id": cid}); res.Status != 404 {
			t.Fatalf("other shop preview: %d", res.Status)
		}
	})
}

func TestMessagesAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		res := e.Do("POST", "/api/v1/customers", map[string]any{"external_id": "c1", "email": "c1@example.jp"})
		cid := res.Map(t)["id"].(string)
		ctx := context.Background()
		var ids []string
		for i := range 3 {
			err := e.App.DB.InTx(ctx, func(tx *db.Tx) error {
				m, _, err := e.App.Messages.CreateTx(ctx, tx, message.CreateParams{ShopID: e.Shop.ID, CustomerID: cid, JourneyID: "jrn_x",
					Purpose: "care", TemplateKey: "care_thanks", DueAt: apptest.Start.Add(time.Duration(i+1) * 24 * time.Hour),
					DedupeKey: "test:" + string(rune('a'+i))})
				ids = append(ids, m.ID)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var page struct {
			Items      []message.Message `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		res = e.Do("GET", "/api/v1/messages?customer_id="+cid+"&status=scheduled&purpose=care&journey_id=jrn_x&limit=2", nil)
		res.JSON(t, &page)
		if res.Status != 200 || len(page.Items) != 2 || page.Items[0].ID != ids[2] || page.NextCursor == "" {
			t.Fatalf("first page: %d %s", res.Status, res.Body)
		}
		res = e.Do("GET", "/api/v1/messages?customer_id="+cid+"&limit=2&cursor="+page.NextCursor, nil)
		page.Items, page.NextCursor = nil, ""
		res.JSON(t, &page)
		if len(page.Items) != 1 || page.Items[0].ID != ids[0] || page.NextCursor != "" {
			t.Fatalf("second page: %s", res.Body)
		}
		for _, q := range []string{"status=bogus", "purpose=spam", "limit=0", "cursor=not-a-cursor!"} {
			if res := e.Do("GET", "/api/v1/messages?"+q, nil); res.Status != 400 {
				t.Errorf("%s: %d", q, res.Status)
			}
		}
		if res := e.Do("GET", "/api/v1/messages/"+ids[0], nil); res.Status != 200 || res.Map(t)["status"] != "scheduled" {
			t.Fatalf("show: %d %s", res.Status, res.Body)
		}
		_, otherKey := e.OtherShop("other-shop")
		if res := e.DoKey(otherKey, "GET", "/api/v1/messages/"+ids[0], nil); res.Status != 404 || res.ErrorCode() != "message_not_found" {
			t.Fatalf("other shop: %d %s", res.Status, res.Body)
		}
		var other struct {
			Items []message.Message `json:"items"`
		}
		e.DoKey(otherKey, "GET", "/api/v1/messages", nil).JSON(t, &other)
		if len(other.Items) != 0 {
			t.Fatalf("other shop lists %d messages", len(other.Items))
		}
	})
}
