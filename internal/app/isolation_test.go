package app_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

// secret marks every piece of shop B's data: no answer to shop A may
// contain it.
const secret = "b-secret"

// shopBObjects are the objects of shop B that fill path parameters.
type shopBObjects struct {
	customerID, customerExt, orderID, sku, eventID string
	ticketID, journeyID, messageID                 string
	recallID, broadcastID                          string
	campaignID, couponCode                         string
}

// createShopB makes shop B with one of each object, through the API with
// B's key, and returns them with B's key.
func createShopB(t *testing.T, e *apptest.Env) (shopBObjects, string) {
	t.Helper()
	_, key := e.OtherShop("shop-b")
	var b shopBObjects
	must := func(res apptest.Response, want int, v any) {
		t.Helper()
		if res.Status != want {
			t.Fatalf("shop B fixture: %d %s", res.Status, res.Body)
		}
		if v != nil {
			res.JSON(t, v)
		}
	}
	var c struct{ ID, ExternalID string }
	must(e.DoKey(key, "POST", "/api/v1/customers", map[string]any{"external_id": secret + "-C1", "name": secret + " 花子",
		"email": secret + "@example.com", "phone": "090-1234-5678", "tags": []string{secret + "-tag"},
		"consents": map[string]any{"email": map[string]any{"granted": true, "source": secret + "-form"}}}), 201, &c)
	b.customerID, b.customerExt = c.ID, secret+"-C1"
	b.sku = "B-SECRET-1"
	must(e.DoKey(key, "PUT", "/api/v1/products/"+b.sku, map[string]any{"name": secret + " lotion", "category": secret + "-cat"}), 201, nil)
	var o struct{ ID string }
	must(e.DoKey(key, "POST", "/api/v1/orders", map[string]any{"external_id": secret + "-O1", "customer_external_id": b.customerExt,
		"ordered_at": "2026-11-22T10:00:00+09:00", "channel": "store", "store": secret + " store",
		"lines": []map[string]any{{"sku": b.sku, "quantity": 1, "unit_price": 1000}}, "total": 1000}), 201, &o)
	b.orderID = o.ID
	var ev struct{ ID string }
	must(e.DoKey(key, "POST", "/api/v1/events", map[string]any{"type": "app.b_secret", "customer_id": b.customerID,
		"external_id": secret + "-E1", "data": map[string]any{"note": secret}}), 201, &ev)
	b.eventID = ev.ID
	var tk struct{ ID string }
	must(e.DoKey(key, "POST", "/api/v1/tickets", map[string]any{"customer_id": b.customerID, "kind": "complaint",
		"subject": secret + " subject", "body": secret + " body"}), 201, &tk)
	b.ticketID = tk.ID
	var js struct{ Items []struct{ ID string } }
	must(e.DoKey(key, "GET", "/api/v1/journeys", nil), 200, &js)
	if len(js.Items) == 0 {
		t.Fatal("shop B has no built-in journeys")
	}
	b.journeyID = js.Items[0].ID
	// B's order started its post-purchase journey; its first message is
	// planned once the due jobs have run.
	e.Settle()
	var ms struct{ Items []struct{ ID string } }
	must(e.DoKey(key, "GET", "/api/v1/messages?customer_id="+b.customerID, nil), 200, &ms)
	if len(ms.Items) == 0 {
		t.Fatal("shop B has no message")
	}
	b.messageID = ms.Items[0].ID
	var rc, bc struct{ ID string }
	must(e.DoKey(key, "POST", "/api/v1/recalls", map[string]any{"sku": b.sku, "lot": secret + "-lot",
		"subject": secret + " 回収のお知らせ", "body": secret + " 回収のお知らせです。"}), 201, &rc)
	b.recallID = rc.ID
	must(e.DoKey(key, "POST", "/api/v1/broadcasts", map[string]any{"segment": map[string]any{"tag": secret + "-tag"},
		"purpose": "info", "template_key": "care_thanks"}), 201, &bc)
	b.broadcastID = bc.ID
	var cp struct{ ID string }
	must(e.DoKey(key, "POST", "/api/v1/coupon-campaigns", map[string]any{"name": secret + " 500円引き", "discount_type": "amount",
		"discount_value": 500, "valid_days": 30}), 201, &cp)
	b.campaignID = cp.ID
	var cc struct{ Code string }
	must(e.DoKey(key, "POST", "/api/v1/coupon-campaigns/"+b.campaignID+"/issue", map[string]any{"customer_id": b.customerID,
		"order_id": b.orderID}), 201, &cc)
	b.couponCode = cc.Code
	must(e.DoKey(key, "PUT", "/api/v1/channels/email", map[string]any{"smtp_url": "smtp://" + secret + ".example:587",
		"from": secret + "@shop-b.example"}), 200, nil)
	e.Settle()
	return b, key
}

// pathParam is one path parameter of the API: which of shop B's objects
// (or which fixed value) fills it, by resource (the first path segment
// after /api/v1) and parameter name. A route whose parameter is missing
// here fails TestTenantIsolation: add shop B's object for it.
func pathParam(b shopBObjects, resource, name string) (string, bool) {
	switch resource + " " + name {
	case "customers id":
		return b.customerID, true
	case "customers channel":
		return "email", true
	case "orders id":
		return b.orderID, true
	case "products sku":
		return b.sku, true
	case "tickets id":
		return b.ticketID, true
	case "journeys id":
		return b.journeyID, true
	case "messages id":
		return b.messageID, true
	case "surveys id":
		return "post_purchase", true // the built-in survey of every shop
	case "recalls id":
		return b.recallID, true
	case "broadcasts id":
		return b.broadcastID, true
	case "coupon-campaigns id":
		return b.campaignID, true
	case "coupons code":
		return b.couponCode, true
	case "channels channel":
		return "email", true // every shop has its own email settings
	case "templates key":
		return "care_thanks", true // every shop has it: a key in the caller's own namespace
	}
	return "", false
}

// validBodies are bodies that the route would accept for an object of the
// caller's own shop, so that a 404 proves the scoping, not a validation
// error. Every PUT/PATCH/POST route with a path parameter needs one; a
// func value builds a body that names shop B's objects.
var validBodies = map[string]any{
	"PATCH /api/v1/customers/{id}":                  map[string]any{"name": "Mallory"},
	"PUT /api/v1/customers/{id}/consents/{channel}": map[string]any{"granted": false, "source": "mallory"},
	"PUT /api/v1/products/{sku}":                    map[string]any{"name": "Mallory's product"},
	"PATCH /api/v1/tickets/{id}":                    map[string]any{"status": "resolved"},
	"POST /api/v1/tickets/{id}/replies":             map[string]any{"body": "Mallory's reply"},
	"PUT /api/v1/journeys/{id}": map[string]any{"name": "Mallory", "trigger": map[string]any{"type": "order_placed"},
		"steps": []map[string]any{{"id": "end", "type": "exit"}}},
	"PUT /api/v1/channels/{channel}":      map[string]any{"smtp_url": "smtp://mail.shop-a.example:587", "from": "info@shop-a.example"},
	"POST /api/v1/journeys/{id}/activate": map[string]any{},
	"POST /api/v1/journeys/{id}/pause":    map[string]any{},
	// Shop A issues from B's campaign to B's customer, redeems B's code.
	"POST /api/v1/coupon-campaigns/{id}/issue": func(b shopBObjects) any { return map[string]any{"customer_id": b.customerID} },
	"POST /api/v1/coupons/{code}/redeem":       map[string]any{},
	"POST /api/v1/journeys/{id}/dry-run":       map[string]any{"customer_id": "x"},
	"PUT /api/v1/templates/{key}": map[string]any{"name": "Mallory", "purpose": "care",
		"subject_ja": "件名", "body_ja": "本文です。"},
	// Shop A previews its own template for shop B's customer: B's customer
	// is not found in A, so nothing of B's can be rendered.
	"POST /api/v1/templates/{key}/preview": func(b shopBObjects) any {
		return map[string]any{"customer_id": b.customerID, "order_id": b.orderID}
	},
}

// ownKeySpace are routes whose path parameter is a key in the caller's own
// namespace, not an object to find: PUT /products/{sku} creates or replaces
// the caller's product with that SKU. Shop A using B's SKU gets A's own
// product (2xx); B's stays untouched and nothing of B's is shown. (Routes
// run in sorted order, so GET /products/{sku} still finds nothing first.)
var ownKeySpace = map[string]bool{
	"PUT /api/v1/products/{sku}":           true,
	"GET /api/v1/channels/{channel}":       true,
	"PUT /api/v1/channels/{channel}":       true,
	"GET /api/v1/templates/{key}":          true,
	"PUT /api/v1/templates/{key}":          true,
	"GET /api/v1/surveys/{id}/results":     true,
	"POST /api/v1/templates/{key}/preview": true,
}

// bodyRefersToB are own-key-space routes whose body names shop B's objects.
var bodyRefersToB = map[string]bool{
	"POST /api/v1/templates/{key}/preview": true,
}

var paramRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestTenantIsolation calls every API route that takes a path parameter
// with shop A's key and shop B's object: 404, nothing of B's in the answer,
// B's data unchanged; and A's list and export endpoints show nothing of B's.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		// Shop A has objects of its own, so that lists are not trivially empty.
		res := e.Do("POST", "/api/v1/orders", map[string]any{"external_id": "A-O1",
			"customer": map[string]any{"external_id": "A-C1", "name": "A 太郎"}, "ordered_at": "2026-11-22T10:00:00+09:00",
			"channel": "online", "lines": []map[string]any{{"sku": "A-1", "quantity": 1, "unit_price": 500}}, "total": 500})
		if res.Status != http.StatusCreated {
			t.Fatalf("shop A order: %d %s", res.Status, res.Body)
		}
		b, bKey := createShopB(t, e)
		before := shopBState(t, e, b, bKey)

		var patterns []string
		for _, p := range e.App.Mux.Patterns() {
			if _, path, ok := strings.Cut(p, " "); ok && strings.HasPrefix(path, "/api/v1/") && strings.Contains(path, "{") {
				patterns = append(patterns, p)
			}
		}
		sort.Strings(patterns)
		if len(patterns) < 8 {
			t.Fatalf("only %d routes with path parameters: %v", len(patterns), patterns)
		}
		for _, p := range patterns {
			method, path, _ := strings.Cut(p, " ")
			resource := strings.SplitN(strings.TrimPrefix(path, "/api/v1/"), "/", 2)[0]
			missing := ""
			url := paramRE.ReplaceAllStringFunc(path, func(m string) string {
				v, ok := pathParam(b, resource, m[1:len(m)-1])
				if !ok {
					missing = m
				}
				return v
			})
			if missing != "" {
				t.Errorf("%s: no fixture for %s: add shop B's object to pathParam in isolation_test.go", p, missing)
				continue
			}
			body, hasBody := validBodies[p]
			if f, ok := body.(func(shopBObjects) any); ok {
				body = f(b)
			}
			if !hasBody && method != "GET" && method != "DELETE" {
				t.Errorf("%s: no valid body: add one to validBodies in isolation_test.go", p)
				continue
			}
			res := e.Do(method, url, body)
			if strings.Contains(string(res.Body), secret) {
				t.Errorf("%s %s with shop A's key shows shop B's data: %d %s", method, url, res.Status, res.Body)
			}
			switch {
			case ownKeySpace[p] && bodyRefersToB[p]:
				// A's own object in the path, B's in the body: the body's
				// reference is invalid in A (422 naming the field).
				if res.Status != http.StatusUnprocessableEntity {
					t.Errorf("%s %s naming shop B's objects in the body: %d %s, want 422", method, url, res.Status, res.Body)
				}
			case ownKeySpace[p]:
				if res.Status >= 300 {
					t.Errorf("%s %s (shop A's own key space): %d %s", method, url, res.Status, res.Body)
				}
			case res.Status != http.StatusNotFound:
				t.Errorf("%s %s with shop A's key and shop B's object: %d %s, want 404", method, url, res.Status, res.Body)
			}
		}

		// Lists and exports with A's key: nothing of B's, whatever the filter.
		for _, url := range []string{
			"/api/v1/customers", "/api/v1/customers?external_id=" + b.customerExt, "/api/v1/customers?q=" + secret,
			"/api/v1/customers?tag=" + secret + "-tag", "/api/v1/customers/export.csv",
			"/api/v1/orders", "/api/v1/orders?customer_id=" + b.customerID,
			"/api/v1/products", "/api/v1/products?category=" + secret + "-cat",
		} {
			res := e.Do("GET", url, nil)
			if res.Status != http.StatusOK || strings.Contains(string(res.Body), secret) ||
				strings.Contains(string(res.Body), b.customerID) || strings.Contains(string(res.Body), b.orderID) {
				t.Errorf("GET %s with shop A's key: %d %s", url, res.Status, res.Body)
			}
		}
		// Writes with A's key that name B's objects in the body.
		for _, tt := range []struct {
			path string
			body any
		}{
			{"/api/v1/events", map[string]any{"type": "app.x", "customer_id": b.customerID}},
			{"/api/v1/events", map[string]any{"type": "app.x", "customer_external_id": b.customerExt}},
			{"/api/v1/orders", map[string]any{"external_id": "A-O2", "customer_external_id": b.customerExt,
				"ordered_at": "2026-11-22T10:00:00+09:00", "channel": "store",
				"lines": []map[string]any{{"sku": b.sku, "quantity": 1, "unit_price": 1}}, "total": 1}},
		} {
			res := e.Do("POST", tt.path, tt.body)
			if res.Status != http.StatusUnprocessableEntity || strings.Contains(string(res.Body), secret) {
				t.Errorf("POST %s naming shop B's customer: %d %s, want 422", tt.path, res.Status, res.Body)
			}
		}
		// A's PUT of B's SKU made A's own product; B's is as it was.
		if after := shopBState(t, e, b, bKey); after != before {
			t.Errorf("shop B's data changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// shopBState is what shop B sees of its objects, through its own key, once
// the background jobs due now (journey steps after B's order) have run.
func shopBState(t *testing.T, e *apptest.Env, b shopBObjects, key string) string {
	t.Helper()
	if _, err := e.App.Runner.RunDue(context.Background()); err != nil {
		t.Fatalf("run due jobs: %v", err)
	}
	var sb strings.Builder
	for _, url := range []string{"/api/v1/customers/" + b.customerID, "/api/v1/customers/" + b.customerID + "/timeline",
		"/api/v1/orders/" + b.orderID, "/api/v1/products/" + b.sku, "/api/v1/customers", "/api/v1/orders", "/api/v1/products",
		"/api/v1/coupon-campaigns/" + b.campaignID, "/api/v1/coupons/" + b.couponCode} {
		res := e.DoKey(key, "GET", url, nil)
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), secret) && !strings.Contains(url, "timeline") {
			t.Fatalf("shop B's own GET %s: %d %s", url, res.Status, res.Body)
		}
		fmt.Fprintf(&sb, "%s %s\n", url, res.Body)
	}
	return sb.String()
}
