package hooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

// bundle is an Env with its App's delivery service at hand.
type bundle struct {
	*apptest.Env
	svc *delivery.Service
	srv *httptest.Server
}

// each runs fn on both engines.
func each(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		fn(t, wire(e))
	})
}

func wire(e *apptest.Env) *bundle {
	return &bundle{Env: e, svc: e.App.Delivery, srv: e.Server}
}

// otherShop makes a second shop on the same App.
func (b *bundle) otherShop(t *testing.T, slug string) (string, string) {
	t.Helper()
	s, key := b.OtherShop(slug)
	return s.ID, key
}

// call sends a request to the delivery server with key ("" for none)
// and extra headers.
func (b *bundle) call(t testing.TB, key, method, path string, body any, hdr map[string]string) apptest.Response {
	t.Helper()
	var rd io.Reader
	switch x := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(x)
	case []byte:
		rd = bytes.NewReader(x)
	default:
		j, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apptest.Response{Status: res.StatusCode, Header: res.Header, Body: out}
}

// api calls the delivery API with the Env's key.
func (b *bundle) api(t testing.TB, method, path string, body any) apptest.Response {
	t.Helper()
	return b.call(t, b.Key, method, path, body, nil)
}

// customer creates a customer through the main API and returns its ID.
func (b *bundle) customer(t *testing.T, in map[string]any) string {
	t.Helper()
	res := b.Do("POST", "/api/v1/customers", in)
	if res.Status != 200 && res.Status != 201 {
		t.Fatalf("customer: %d %s", res.Status, res.Body)
	}
	return res.Map(t)["id"].(string)
}

// granted is a consent grant for a customer input.
func granted(channels ...string) map[string]any {
	out := map[string]any{}
	for _, c := range channels {
		out[c] = map[string]any{"granted": true, "source": "test"}
	}
	return out
}

// plan plans a message due now for the customer, as a journey step would.
func (b *bundle) plan(t *testing.T, customerID string, purpose policy.Purpose, key string) string {
	t.Helper()
	var id string
	err := b.App.DB.InTx(context.Background(), func(tx *db.Tx) error {
		m, _, err := b.App.Messages.CreateTx(context.Background(), tx, message.CreateParams{ShopID: b.Shop.ID,
			CustomerID: customerID, TemplateKey: "care_thanks", Purpose: purpose, DedupeKey: "test:" + key})
		id = m.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// message returns the stored message.
func (b *bundle) message(t *testing.T, id string) message.Message {
	t.Helper()
	m, err := b.App.Messages.ByID(context.Background(), b.Shop.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// attempts returns "channel:provider:status:reason" of each attempt of a message.
func (b *bundle) attempts(t *testing.T, id string) []string {
	t.Helper()
	rows, err := b.App.DB.QueryContext(context.Background(), `SELECT channel, provider, status, reason FROM message_attempts
WHERE shop_id = $1 AND message_id = $2 ORDER BY created_at, channel`, b.Shop.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c, p, s, r string
		if err := rows.Scan(&c, &p, &s, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, c+":"+p+":"+s+":"+r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
