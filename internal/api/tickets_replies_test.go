package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

type entryBody struct {
	ID        string    `json:"id"`
	TicketID  string    `json:"ticket_id"`
	Kind      string    `json:"kind"`
	AuthorID  string    `json:"author_id"`
	Channel   string    `json:"channel"`
	Body      string    `json:"body"`
	MessageID string    `json:"message_id"`
	CreatedAt time.Time `json:"created_at"`
}

type ticketDetailBody struct {
	ticketBody
	FirstResponseAt *time.Time  `json:"first_response_at"`
	Conversation    []entryBody `json:"conversation"`
}

type replyMessageBody struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Channel    string    `json:"channel"`
	Purpose    string    `json:"purpose"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason"`
	Subject    string    `json:"subject"`
	Body       string    `json:"body"`
	DueAt      time.Time `json:"due_at"`
}

func openTicket(t *testing.T, e *apptest.Env, body map[string]any) ticketBody {
	t.Helper()
	var tk ticketBody
	res := e.Do("POST", "/api/v1/tickets", body)
	if res.Status != http.StatusCreated {
		t.Fatalf("open ticket: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &tk)
	return tk
}

func TestTicketReplyAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := createCustomer(t, e, map[string]any{"external_id": "C1", "name": "山田", "email": "yamada@example.jp"})
		tk := openTicket(t, e, map[string]any{"customer_id": c.ID, "kind": "question", "subject": "使い方", "body": "教えてください"})

		var reply entryBody
		res := e.Do("POST", "/api/v1/tickets/"+tk.ID+"/replies", map[string]any{"body": "  説明書の3ページをご覧ください。  "})
		res.JSON(t, &reply)
		if res.Status != http.StatusCreated || reply.Kind != "staff_reply" || reply.Body != "説明書の3ページをご覧ください。" ||
			reply.Channel != "email" || reply.MessageID == "" || reply.TicketID != tk.ID || !reply.CreatedAt.Equal(apptest.Start) {
			t.Fatalf("reply: %d %s", res.Status, res.Body)
		}
		e.Settle()
		var m replyMessageBody
		res = e.Do("GET", "/api/v1/messages/"+reply.MessageID, nil)
		res.JSON(t, &m)
		if res.Status != http.StatusOK || m.CustomerID != c.ID || m.Purpose != "transactional" || m.Status != "sent" ||
			m.Channel != "email" || m.Subject != "Re: 使い方" || m.Body != reply.Body {
			t.Fatalf("reply's message: %d %s", res.Status, res.Body)
		}
		var d ticketDetailBody
		res = e.Do("GET", "/api/v1/tickets/"+tk.ID, nil)
		res.JSON(t, &d)
		if res.Status != http.StatusOK || d.FirstResponseAt == nil || !d.FirstResponseAt.Equal(apptest.Start) ||
			len(d.Conversation) != 1 || d.Conversation[0] != reply || d.Body != "教えてください" {
			t.Fatalf("ticket with its conversation: %d %s", res.Status, res.Body)
		}

		// Quiet hours (21:00-09:00 Tokyo): at 22:00 a reply to a ticket the
		// customer opened 12 hours ago waits until 09:00; a reply to one
		// opened 10 minutes ago goes out at once.
		if res := e.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "11h50m"}); res.Status != http.StatusOK {
			t.Fatalf("advance: %d %s", res.Status, res.Body)
		}
		fresh := openTicket(t, e, map[string]any{"customer_id": c.ID, "kind": "complaint", "subject": "届きません"})
		if res := e.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "10m"}); res.Status != http.StatusOK {
			t.Fatalf("advance: %d %s", res.Status, res.Body)
		}
		var late, quick entryBody
		e.Do("POST", "/api/v1/tickets/"+tk.ID+"/replies", map[string]any{"body": "追記です"}).JSON(t, &late)
		e.Do("POST", "/api/v1/tickets/"+fresh.ID+"/replies", map[string]any{"body": "すぐに確認します"}).JSON(t, &quick)
		e.Settle()
		e.Do("GET", "/api/v1/messages/"+late.MessageID, nil).JSON(t, &m)
		nine := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC) // 09:00 in Tokyo
		if m.Status != "deferred" || m.Reason != "quiet_hours" || !m.DueAt.Equal(nine) {
			t.Errorf("reply to an old ticket in quiet hours: %+v", m)
		}
		e.Do("GET", "/api/v1/messages/"+quick.MessageID, nil).JSON(t, &m)
		if m.Status != "sent" || m.Reason != "" {
			t.Errorf("reply to a customer who wrote 10 minutes ago: %+v", m)
		}

		// Refusals store nothing.
		mute := createCustomer(t, e, map[string]any{"external_id": "C-mute", "name": "連絡先なし"})
		muteTk := openTicket(t, e, map[string]any{"customer_id": mute.ID, "kind": "question", "subject": "電話"})
		before := ticketState(t, e)
		var n0 int
		if err := e.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM ticket_entries WHERE shop_id = $1`, e.Shop.ID).Scan(&n0); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name   string
			path   string
			body   any
			status int
			field  string
		}{
			{"no body", "/api/v1/tickets/" + tk.ID + "/replies", map[string]any{}, 422, "body"},
			{"blank body", "/api/v1/tickets/" + tk.ID + "/replies", map[string]any{"body": " \n "}, 422, "body"},
			{"long body", "/api/v1/tickets/" + tk.ID + "/replies", map[string]any{"body": strings.Repeat("あ", 20001)}, 422, "body"},
			{"wrong type", "/api/v1/tickets/" + tk.ID + "/replies", map[string]any{"body": 3}, 400, "body"},
			{"unknown field", "/api/v1/tickets/" + tk.ID + "/replies", map[string]any{"body": "x", "author_id": "usr_1"}, 400, "author_id"},
			{"unknown ticket", "/api/v1/tickets/tkt_nope/replies", map[string]any{"body": "x"}, 404, ""},
			{"unreachable customer", "/api/v1/tickets/" + muteTk.ID + "/replies", map[string]any{"body": "x"}, 422, "customer_id"},
		} {
			wantError(t, tc.name, e.Do("POST", tc.path, tc.body), tc.status, tc.field)
		}
		if code := e.Do("POST", "/api/v1/tickets/"+muteTk.ID+"/replies", map[string]any{"body": "x"}).ErrorCode(); code != "customer_unreachable" {
			t.Errorf("unreachable code %q", code)
		}
		_, key := e.OtherShop("replies-other")
		wantError(t, "other shop reply", e.DoKey(key, "POST", "/api/v1/tickets/"+tk.ID+"/replies", map[string]any{"body": "x"}), 404, "")
		wantError(t, "other shop show", e.DoKey(key, "GET", "/api/v1/tickets/"+tk.ID, nil), 404, "")
		var n1 int
		if err := e.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM ticket_entries WHERE shop_id = $1`, e.Shop.ID).Scan(&n1); err != nil {
			t.Fatal(err)
		}
		if after := ticketState(t, e); after != before || n1 != n0 {
			t.Errorf("refused replies changed the data (%d → %d entries):\n%s\n%s", n0, n1, before, after)
		}
	})
}
