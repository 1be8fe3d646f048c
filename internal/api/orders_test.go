package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/api"
	"github.com/kizukai/kizukai/internal/app/apptest"
)

// orderBody is the subset of the order object the tests read.
type orderBody struct {
	ID         string `json:"id"`
	ExternalID string `json:"external_id"`
	CustomerID string `json:"customer_id"`
	Total      int64  `json:"total"`
	ReceiptURL string `json:"receipt_url"`
	Lines      []struct {
		SKU        string `json:"sku"`
		Catalogued bool   `json:"catalogued"`
	} `json:"lines"`
}

// orderJSON returns a valid order body with an inline customer.
func orderJSON(ext string) map[string]any {
	return map[string]any{
		"external_id": ext,
		"customer":    map[string]any{"external_id": "C1", "name": "山田 花子", "phone": "090-1234-5678"},
		"ordered_at":  "2026-11-23T09:30:00+09:00",
		"channel":     "store",
		"store":       "渋谷店",
		"lines": []any{
			map[string]any{"sku": "LOTION-1", "quantity": 2, "unit_price": 1500},
			map[string]any{"sku": "BAG", "quantity": 1, "unit_price": 0},
		},
		"total": 3000,
	}
}

// with returns a copy of m with key set to v (nil deletes it).
func with(m map[string]any, key string, v any) map[string]any {
	out := map[string]any{}
	for k, x := range m {
		out[k] = x
	}
	if v == nil {
		delete(out, key)
	} else {
		out[key] = v
	}
	return out
}

// wantProblem checks an error response's status, and that it names field.
func wantProblem(t *testing.T, what string, res apptest.Response, status int, field string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, res.Status, status, res.Body)
		return
	}
	var b struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	res.JSON(t, &b)
	if b.Error.Code == "" {
		t.Errorf("%s: no error code: %s", what, res.Body)
	}
	if _, ok := b.Error.Fields[field]; field != "" && !ok {
		t.Errorf("%s: error does not name %s: %s", what, field, res.Body)
	}
}

// storedState dumps everything an order request may touch for the shop:
// orders, lines, customers and events, byte for byte.
func storedState(t *testing.T, e *apptest.Env) string {
	t.Helper()
	e.Settle() // background journey work must not look like a change
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, external_id, customer_id, ordered_at, channel, store, discount, total, currency, content_hash, created_at FROM orders WHERE shop_id = $1 ORDER BY id`,
		`SELECT order_id, line_no, sku, quantity, unit_price, catalogued FROM order_lines WHERE shop_id = $1 ORDER BY order_id, line_no`,
		`SELECT id, external_id, name, email, phone, attributes, updated_at FROM customers WHERE shop_id = $1 ORDER BY id`,
		`SELECT id, COALESCE(customer_id, ''), type, COALESCE(external_id, ''), occurred_at, data FROM events WHERE shop_id = $1 ORDER BY id`,
	} {
		rows, err := e.App.DB.QueryContext(context.Background(), q, e.Shop.ID)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

func TestOrderAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		if res := e.Do("PUT", "/api/v1/products/LOTION-1", map[string]any{"name": "化粧水", "price": 1500}); res.Status != http.StatusCreated {
			t.Fatalf("product: %d %s", res.Status, res.Body)
		}
		res := e.Do("POST", "/api/v1/orders", orderJSON("R-1"))
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		var o orderBody
		res.JSON(t, &o)
		if o.Total != 3000 || !strings.HasPrefix(o.ReceiptURL, "http://kizukai.test/r/") || len(o.Lines) != 2 ||
			!o.Lines[0].Catalogued || o.Lines[1].Catalogued {
			t.Fatalf("order = %s", res.Body)
		}
		res = e.Do("GET", "/api/v1/orders/"+o.ID, nil)
		var got orderBody
		res.JSON(t, &got)
		if res.Status != http.StatusOK || got.ReceiptURL != o.ReceiptURL || got.ID != o.ID {
			t.Fatalf("show: %d %s", res.Status, res.Body)
		}
		// The same order again, with the customer's phone written differently: 200, same order.
		again := orderJSON("R-1")
		again["customer"] = map[string]any{"external_id": "C1", "phone": "+81 90 9999 0000"}
		res = e.Do("POST", "/api/v1/orders", again)
		res.JSON(t, &got)
		if res.Status != http.StatusOK || got.ID != o.ID {
			t.Fatalf("re-post: %d %s", res.Status, res.Body)
		}

		before := storedState(t, e)
		big := orderJSON("R-BIG")
		big["store"] = strings.Repeat("x", 1<<20)
		bad := []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"malformed json", `{"external_id": "R-2",`, 400, ""},
			{"unknown field", with(orderJSON("R-2"), "colour", "red"), 400, "colour"},
			{"wrong type", with(orderJSON("R-2"), "total", "3000"), 400, "total"},
			{"over 1 MiB", big, 413, ""},
			{"missing external_id", with(orderJSON("R-2"), "external_id", nil), 422, "external_id"},
			{"bad ordered_at", with(orderJSON("R-2"), "ordered_at", "yesterday"), 422, "ordered_at"},
			{"future ordered_at", with(orderJSON("R-2"), "ordered_at", "2026-11-30T00:00:00Z"), 422, "ordered_at"},
			{"empty lines", with(orderJSON("R-2"), "lines", []any{}), 422, "lines"},
			{"quantity 0", with(orderJSON("R-2"), "lines", []any{map[string]any{"sku": "A", "quantity": 0, "unit_price": 1}}), 422, "lines.0.quantity"},
			{"total mismatch", with(orderJSON("R-2"), "total", 2999), 422, "total"},
			{"both customers", with(orderJSON("R-2"), "customer_external_id", "C1"), 422, "customer_external_id"},
			{"neither customer", with(orderJSON("R-2"), "customer", nil), 422, "customer_external_id"},
			{"unknown customer", with(with(orderJSON("R-2"), "customer", nil), "customer_external_id", "NOPE"), 422, "customer_external_id"},
			{"bad inline phone", with(orderJSON("R-2"), "customer", map[string]any{"external_id": "C1", "phone": "12"}), 422, "customer.phone"},
			{"bad channel", with(orderJSON("R-2"), "channel", "fax"), 422, "channel"},
			{"changed re-post", with(orderJSON("R-1"), "store", "新宿店"), 409, ""},
		}
		for _, tt := range bad {
			res := e.Do("POST", "/api/v1/orders", tt.body)
			wantProblem(t, tt.name, res, tt.status, tt.field)
			if tt.status == 409 && res.ErrorCode() != "order_conflict" {
				t.Errorf("%s: code %q", tt.name, res.ErrorCode())
			}
			if after := storedState(t, e); after != before {
				t.Fatalf("%s changed the stored data:\nbefore:\n%s\nafter:\n%s", tt.name, before, after)
			}
		}

		// Another shop's order is not found; so is an unknown one.
		_, otherKey := e.OtherShop("other-shop")
		wantProblem(t, "other shop", e.DoKey(otherKey, "GET", "/api/v1/orders/"+o.ID, nil), 404, "")
		wantProblem(t, "unknown order", e.Do("GET", "/api/v1/orders/ord_nope", nil), 404, "")

		// List by customer, one per page.
		if res := e.Do("POST", "/api/v1/orders", with(orderJSON("R-2"), "ordered_at", "2026-11-23T09:40:00+09:00")); res.Status != 201 {
			t.Fatalf("second order: %d %s", res.Status, res.Body)
		}
		var ids []string
		path := "/api/v1/orders?limit=1&customer_id=" + o.CustomerID
		for path != "" {
			var page struct {
				Items      []orderBody `json:"items"`
				NextCursor string      `json:"next_cursor"`
			}
			e.Do("GET", path, nil).JSON(t, &page)
			for _, it := range page.Items {
				ids = append(ids, it.ExternalID)
			}
			path = ""
			if page.NextCursor != "" {
				path = "/api/v1/orders?limit=1&customer_id=" + o.CustomerID + "&cursor=" + page.NextCursor
			}
		}
		if strings.Join(ids, ",") != "R-2,R-1" {
			t.Fatalf("list = %v", ids)
		}
		wantProblem(t, "bad cursor", e.Do("GET", "/api/v1/orders?cursor=!!", nil), 400, "cursor")
		var other struct {
			Items []orderBody `json:"items"`
		}
		e.DoKey(otherKey, "GET", "/api/v1/orders", nil).JSON(t, &other)
		if len(other.Items) != 0 {
			t.Fatalf("other shop lists %d orders", len(other.Items))
		}
	})
}

type batchBody struct {
	Results []struct {
		Index  int       `json:"index"`
		Status int       `json:"status"`
		Order  orderBody `json:"order"`
		Error  struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	} `json:"results"`
}

func TestOrderBatchAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		if res := e.Do("POST", "/api/v1/orders", orderJSON("R-1")); res.Status != 201 {
			t.Fatalf("seed order: %d %s", res.Status, res.Body)
		}
		items := []any{
			orderJSON("B-1"), // 201
			with(orderJSON("B-2"), "lines", []any{map[string]any{"sku": "A", "quantity": 0, "unit_price": 1}}), // 422
			orderJSON("R-1"),                       // 200: same as before
			with(orderJSON("R-1"), "total", 1),     // 422 (validation comes first)
			with(orderJSON("R-1"), "store", "新宿店"), // 409
			orderJSON("B-1"),                       // 200: duplicate inside the batch
			with(orderJSON("B-3"), "quantity", 1),  // 422: unknown field
			map[string]any{"external_id": 7},       // 422: wrong type
			"not an object",                        // 422
			orderJSON("B-4"),                       // 201
		}
		want := []int{201, 422, 200, 422, 409, 200, 422, 422, 422, 201}
		res := e.Do("POST", "/api/v1/orders/batch", map[string]any{"orders": items})
		if res.Status != http.StatusOK {
			t.Fatalf("batch: %d %s", res.Status, res.Body)
		}
		var b batchBody
		res.JSON(t, &b)
		if len(b.Results) != len(want) {
			t.Fatalf("results: %s", res.Body)
		}
		for i, r := range b.Results {
			if r.Index != i || r.Status != want[i] {
				t.Errorf("item %d: index %d status %d, want %d (%+v)", i, r.Index, r.Status, want[i], r.Error)
			}
		}
		if b.Results[5].Order.ID != b.Results[0].Order.ID || b.Results[1].Error.Fields["lines.0.quantity"] == "" ||
			b.Results[6].Error.Fields["quantity"] == "" || b.Results[4].Error.Code != "order_conflict" {
			t.Fatalf("details: %s", res.Body)
		}

		before := storedState(t, e)
		many := make([]any, 1001)
		for i := range many {
			many[i] = map[string]any{}
		}
		wantProblem(t, "over 1000", e.Do("POST", "/api/v1/orders/batch", map[string]any{"orders": many}), 413, "")
		wantProblem(t, "empty", e.Do("POST", "/api/v1/orders/batch", map[string]any{"orders": []any{}}), 422, "orders")
		wantProblem(t, "malformed", e.Do("POST", "/api/v1/orders/batch", `{"orders": [`), 400, "")
		wantProblem(t, "not a list", e.Do("POST", "/api/v1/orders/batch", `{"orders": {}}`), 400, "orders")
		if after := storedState(t, e); after != before {
			t.Fatalf("a rejected batch changed the stored data")
		}
		if res := e.Do("POST", "/api/v1/orders/batch", map[string]any{"orders": many}); res.ErrorCode() != "batch_too_large" {
			t.Fatalf("code %q", res.ErrorCode())
		}
	})
}

// FuzzBatch posts arbitrary bodies to POST /orders/batch through the real
// handler (without the per-key rate limit): never a 5xx.
func FuzzBatch(f *testing.F) {
	e := apptest.SQLite(f)
	m := api.NewMux()
	api.New(api.Deps{DB: e.App.DB, Clock: e.App.Clock, Log: e.App.Log, Events: e.App.Events, Customers: e.App.Customers,
		Products: e.App.Products, Orders: e.App.Orders, RatePerSecond: 1e9, RateBurst: 1 << 30}).Mount(m)
	good := `{"external_id":"F-1","customer_external_id":"C1","ordered_at":"2026-11-23T00:00:00Z","channel":"online",` +
		`"lines":[{"sku":"A","quantity":1,"unit_price":100}],"total":100}`
	f.Add([]byte(`{"orders":[` + good + `]}`))
	f.Add([]byte(`{"orders":[` + good + `,` + good + `,{"customer":{"external_id":"C1","phone":"090"}}]}`))
	f.Add([]byte(`{"orders":[{"customer":{"external_id":"C2","consents":{"email":{"granted":true,"source":"pos"}}},` +
		`"external_id":"F-2","ordered_at":"2026-11-23T00:00:00Z","channel":"store","lines":[{"sku":"B","quantity":2,"unit_price":5}],"total":10}]}`))
	f.Add([]byte(`{"orders":[null,1,"x",[],{}]}`))
	f.Add([]byte(`{"orders":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v1/orders/batch", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.Key)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		m.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
	})
}
