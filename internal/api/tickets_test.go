package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

type ticketBody struct {
	ID                 string     `json:"id"`
	CustomerID         string     `json:"customer_id"`
	Kind               string     `json:"kind"`
	Status             string     `json:"status"`
	Subject            string     `json:"subject"`
	Body               string     `json:"body"`
	Assignee           string     `json:"assignee"`
	FirstResponseDueAt time.Time  `json:"first_response_due_at"`
	CreatedAt          time.Time  `json:"created_at"`
	ResolvedAt         *time.Time `json:"resolved_at"`
}

// ticketState dumps the shop's tickets and ticket events.
func ticketState(t *testing.T, e *apptest.Env) string {
	t.Helper()
	rows, err := e.App.DB.QueryContext(context.Background(), `SELECT id, customer_id, kind, status, subject, body, assignee,
		first_response_due_at, created_at, updated_at, resolved_at FROM tickets WHERE shop_id = $1 ORDER BY id`, e.Shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, 11)
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%q\n", vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := e.App.DB.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM events WHERE shop_id = $1 AND type LIKE 'ticket.%'`, e.Shop.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "events %d", n)
	return b.String()
}

func TestTicketAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := createCustomer(t, e, map[string]any{"external_id": "C1", "name": "山田"})
		var tk ticketBody
		res := e.Do("POST", "/api/v1/tickets", map[string]any{"customer_external_id": "C1", "kind": "complaint",
			"subject": "商品が割れていました", "body": "交換を希望します"})
		res.JSON(t, &tk)
		now := apptest.Start
		if res.Status != http.StatusCreated || tk.CustomerID != c.ID || tk.Status != "open" || tk.Kind != "complaint" ||
			!tk.CreatedAt.Equal(now) || !tk.FirstResponseDueAt.Equal(now.Add(4*time.Hour)) || tk.ResolvedAt != nil {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var q ticketBody
		res = e.Do("POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "kind": "question", "subject": "使い方"})
		res.JSON(t, &q)
		if res.Status != http.StatusCreated || !q.FirstResponseDueAt.Equal(now.Add(24*time.Hour)) {
			t.Fatalf("create question: %d %s", res.Status, res.Body)
		}

		var got ticketBody
		res = e.Do("GET", "/api/v1/tickets/"+tk.ID, nil)
		res.JSON(t, &got)
		if res.Status != http.StatusOK || got.Subject != "商品が割れていました" || got.Body != "交換を希望します" {
			t.Fatalf("show: %d %s", res.Status, res.Body)
		}
		res = e.Do("PATCH", "/api/v1/tickets/"+tk.ID, map[string]any{"status": "resolved", "assignee": "佐藤"})
		res.JSON(t, &got)
		if res.Status != http.StatusOK || got.Status != "resolved" || got.Assignee != "佐藤" || got.ResolvedAt == nil {
			t.Fatalf("resolve: %d %s", res.Status, res.Body)
		}
		var timeline struct {
			Items []struct {
				Type string `json:"type"`
			} `json:"items"`
		}
		e.Do("GET", "/api/v1/customers/"+c.ID+"/timeline", nil).JSON(t, &timeline)
		var types []string
		for _, it := range timeline.Items {
			if strings.HasPrefix(it.Type, "ticket.") {
				types = append(types, it.Type)
			}
		}
		if strings.Join(types, ",") != "ticket.resolved,ticket.opened,ticket.opened" {
			t.Fatalf("timeline: %v", types)
		}

		var list struct {
			Items      []ticketBody `json:"items"`
			NextCursor string       `json:"next_cursor"`
		}
		e.Do("GET", "/api/v1/tickets?limit=1", nil).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != q.ID || list.NextCursor == "" {
			t.Fatalf("list page 1: %+v", list)
		}
		e.Do("GET", "/api/v1/tickets?limit=1&cursor="+list.NextCursor, nil).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != tk.ID {
			t.Fatalf("list page 2: %+v", list)
		}
		list.Items = nil
		e.Do("GET", "/api/v1/tickets?status=resolved&kind=complaint&customer_id="+c.ID, nil).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != tk.ID {
			t.Fatalf("filtered list: %+v", list)
		}

		before := ticketState(t, e)
		for _, tc := range []struct {
			name         string
			method, path string
			body         any
			status       int
			field        string
		}{
			{"no customer", "POST", "/api/v1/tickets", map[string]any{"kind": "question", "subject": "s"}, 422, "customer_id"},
			{"unknown customer", "POST", "/api/v1/tickets", map[string]any{"customer_id": "cus_x", "kind": "question", "subject": "s"}, 422, "customer_id"},
			{"unknown external id", "POST", "/api/v1/tickets", map[string]any{"customer_external_id": "nope", "kind": "question", "subject": "s"}, 422, "customer_external_id"},
			{"bad kind", "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "kind": "refund", "subject": "s"}, 422, "kind"},
			{"no subject", "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "kind": "question"}, 422, "subject"},
			{"long subject", "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "kind": "other", "subject": strings.Repeat("あ", 201)}, 422, "subject"},
			{"long body", "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "kind": "other", "subject": "s", "body": strings.Repeat("b", 20001)}, 422, "body"},
			{"status on create", "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "kind": "other", "subject": "s", "status": "closed"}, 400, "status"},
			{"wrong type", "POST", "/api/v1/tickets", map[string]any{"customer_id": c.ID, "kind": 1, "subject": "s"}, 400, "kind"},
			{"malformed", "POST", "/api/v1/tickets", `{"kind":`, 400, ""},
			{"too large", "POST", "/api/v1/tickets", `{"body":"` + strings.Repeat("x", 1<<20) + `"}`, 413, ""},
			{"bad status", "PATCH", "/api/v1/tickets/" + tk.ID, map[string]any{"status": "done"}, 422, "status"},
			{"null status", "PATCH", "/api/v1/tickets/" + tk.ID, map[string]any{"status": 3}, 400, "status"},
			{"long assignee", "PATCH", "/api/v1/tickets/" + tk.ID, map[string]any{"assignee": strings.Repeat("a", 201)}, 422, "assignee"},
			{"unknown field", "PATCH", "/api/v1/tickets/" + tk.ID, map[string]any{"kind": "other"}, 400, "kind"},
			{"unknown ticket", "PATCH", "/api/v1/tickets/tkt_nope", map[string]any{"status": "open"}, 404, ""},
			{"unknown ticket show", "GET", "/api/v1/tickets/tkt_nope", nil, 404, ""},
			{"bad list status", "GET", "/api/v1/tickets?status=done", nil, 422, "status"},
			{"bad list kind", "GET", "/api/v1/tickets?kind=refund", nil, 422, "kind"},
			{"bad limit", "GET", "/api/v1/tickets?limit=500", nil, 400, "limit"},
			{"bad cursor", "GET", "/api/v1/tickets?cursor=zz", nil, 400, "cursor"},
		} {
			wantError(t, tc.name, e.Do(tc.method, tc.path, tc.body), tc.status, tc.field)
		}

		// Another shop sees none of it and cannot touch it.
		_, key := e.OtherShop("tickets-other")
		wantError(t, "other shop show", e.DoKey(key, "GET", "/api/v1/tickets/"+tk.ID, nil), 404, "")
		wantError(t, "other shop patch", e.DoKey(key, "PATCH", "/api/v1/tickets/"+tk.ID, map[string]any{"status": "open"}), 404, "")
		wantError(t, "other shop's customer", e.DoKey(key, "POST", "/api/v1/tickets",
			map[string]any{"customer_id": c.ID, "kind": "question", "subject": "s"}), 422, "customer_id")
		res = e.DoKey(key, "GET", "/api/v1/tickets", nil)
		if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"items":[]}` {
			t.Fatalf("other shop list: %d %s", res.Status, res.Body)
		}
		if after := ticketState(t, e); after != before {
			t.Errorf("rejected requests changed the data:\n%s\n%s", before, after)
		}
	})
}
