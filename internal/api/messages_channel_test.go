package api_test

import (
	"context"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/message"
)

// TestMessagesAPIChannelFilter: ?channel= lists the messages that went out
// on that channel; an impossible one is a 400.
func TestMessagesAPIChannelFilter(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		res := e.Do("POST", "/api/v1/customers", map[string]any{"external_id": "c1", "email": "c1@example.jp",
			"consents": map[string]any{"email": map[string]any{"granted": true, "source": "test"}}})
		cid := res.Map(t)["id"].(string)
		ctx := context.Background()
		var m message.Message
		err := e.App.DB.InTx(ctx, func(tx *db.Tx) error {
			var err error
			m, _, err = e.App.Messages.CreateTx(ctx, tx, message.CreateParams{ShopID: e.Shop.ID, CustomerID: cid,
				Purpose: "care", TemplateKey: "care_thanks", Channel: "email", DedupeKey: "test:channel"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if res := e.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "1m"}); res.Status != 200 {
			t.Fatalf("advance: %d %s", res.Status, res.Body)
		}
		var page struct {
			Items []message.Message `json:"items"`
		}
		res = e.Do("GET", "/api/v1/messages?channel=email", nil)
		res.JSON(t, &page)
		if res.Status != 200 || len(page.Items) != 1 || page.Items[0].ID != m.ID || page.Items[0].Channel != "email" {
			t.Fatalf("email: %d %s", res.Status, res.Body)
		}
		page.Items = nil
		res = e.Do("GET", "/api/v1/messages?channel=sms", nil)
		res.JSON(t, &page)
		if res.Status != 200 || len(page.Items) != 0 {
			t.Fatalf("sms: %d %s", res.Status, res.Body)
		}
		for _, q := range []string{"channel=fax", "channel=best"} {
			if res := e.Do("GET", "/api/v1/messages?"+q, nil); res.Status != 400 {
				t.Errorf("%s: %d", q, res.Status)
			}
		}
	})
}
