package hooks_test

import (
	"context"
	"testing"

	"github.com/kizukai/kizukai/internal/ticket"
)

// TestLINEMessagesJoinTheOpenTicket: a customer's LINE messages join
// their open ticket as customer messages (each event once), a pending
// ticket opens again, and once it is resolved the next message opens a
// new ticket.
func TestLINEMessagesJoinTheOpenTicket(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, b *bundle) {
		b.api(t, "PUT", "/api/v1/channels/line", map[string]any{"channel_secret": lineSecret, "channel_access_token": "t", "endpoint": "http://127.0.0.1:9"})
		const user = "U0123456789abcdef0123456789abcdef"
		cus := b.customer(t, map[string]any{"external_id": "c1", "line_user_id": user})
		path := "/hooks/line/" + b.Shop.Slug
		say := func(eventID, text string) {
			t.Helper()
			body := lineBody(lineEvent("message", eventID, user, `,"message":{"type":"text","id":"1","quoteToken":"q","text":"`+text+`"}`))
			if res := b.call(t, "", "POST", path, body, lineSign(body)); res.Status != 200 {
				t.Fatalf("message %s: %d %s", eventID, res.Status, res.Body)
			}
		}
		open := func() []ticket.Ticket {
			t.Helper()
			ts, _, err := b.App.Tickets.List(context.Background(), ticket.ListParams{ShopID: b.Shop.ID, CustomerID: cus})
			if err != nil {
				t.Fatal(err)
			}
			return ts
		}
		say("M1", "豆が届きません")
		say("M2", "注文番号は123です")
		say("M2", "注文番号は123です") // LINE's redelivery
		ts := open()
		if len(ts) != 1 || ts[0].Body != "豆が届きません" || ts[0].Subject != "LINE: 豆が届きません" {
			t.Fatalf("tickets after two messages: %+v", ts)
		}
		d, err := b.App.Tickets.Detail(context.Background(), b.Shop.ID, ts[0].ID)
		if err != nil || len(d.Conversation) != 1 || d.Conversation[0].Kind != ticket.EntryCustomer ||
			d.Conversation[0].Body != "注文番号は123です" || d.Conversation[0].Channel != "line" {
			t.Fatalf("conversation: %+v %v", d.Conversation, err)
		}
		pending, resolved := ticket.StatusPending, ticket.StatusResolved
		if _, err := b.App.Tickets.Update(context.Background(), b.Shop.ID, ts[0].ID, ticket.UpdateInput{Status: &pending}); err != nil {
			t.Fatal(err)
		}
		say("M3", "まだでしょうか")
		if ts = open(); len(ts) != 1 || ts[0].Status != ticket.StatusOpen {
			t.Fatalf("a pending ticket the customer wrote to: %+v", ts)
		}
		if _, err := b.App.Tickets.Update(context.Background(), b.Shop.ID, ts[0].ID, ticket.UpdateInput{Status: &resolved}); err != nil {
			t.Fatal(err)
		}
		say("M4", "別の質問です")
		if ts = open(); len(ts) != 2 || ts[0].Body != "別の質問です" || ts[0].Status != ticket.StatusOpen {
			t.Fatalf("after resolution: %+v", ts)
		}
	})
}
