package hooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kizukai/kizukai/internal/api"
	"github.com/kizukai/kizukai/internal/app"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/hooks"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

// services maps a shop ID to its Env's delivery service: the workers are
// registered before the App (and so the service) exists, and both engines'
// Envs share one Options value.
var services sync.Map

// wired reports whether app.App already builds the delivery service (the
// lead's wiring): the tests then use it instead of building their own.
var wired = func() bool {
	_, ok := reflect.TypeFor[app.App]().FieldByName("Delivery")
	return ok
}()

// lateWorkers are the delivery workers, bound to the job's shop's service
// (none once app.App registers them itself).
func lateWorkers() []jobs.Worker {
	if wired {
		return nil
	}
	var out []jobs.Worker
	for _, kind := range []string{delivery.SendKind, delivery.FanoutKind} {
		out = append(out, jobs.Func(kind, func(ctx context.Context, j *jobs.Job) error {
			v, ok := services.Load(j.ShopID)
			if !ok {
				return errors.New("no delivery service for the shop")
			}
			for _, w := range v.(*delivery.Service).Workers() {
				if w.Kind() == kind {
					return w.Work(ctx, j)
				}
			}
			return errors.New("no worker")
		}))
	}
	return out
}

// bundle is an Env with delivery wired as the lead wires it in app.go,
// and the delivery API routes and hooks served by srv.
type bundle struct {
	*apptest.Env
	svc *delivery.Service
	srv *httptest.Server
}

// each runs fn on both engines with a wired bundle.
func each(t *testing.T, fn func(t *testing.T, b *bundle)) {
	t.Helper()
	apptest.EachWith(t, apptest.Options{Workers: lateWorkers()}, func(t *testing.T, e *apptest.Env) {
		fn(t, wire(t, e))
	})
}

func wire(t testing.TB, e *apptest.Env) *bundle {
	t.Helper()
	a := e.App
	var svc *delivery.Service
	if wired {
		svc = reflect.ValueOf(a).Elem().FieldByName("Delivery").Interface().(*delivery.Service)
		svc.URLs.AllowLoopback = true // the test gateways listen on 127.0.0.1
	} else {
		var err error
		svc, err = delivery.New(delivery.Deps{DB: a.DB, Clock: a.Clock, Queue: a.Runner.Queue(), Events: a.Events,
			Customers: a.Customers, Messages: a.Messages, Tickets: a.Tickets, Policies: a.Policies, Signer: a.Signer,
			SecretKey: a.Config.SecretKey, BaseURL: a.Config.BaseURL, Log: a.Log,
			URLs: delivery.URLPolicy{AllowLoopback: true}})
		if err != nil {
			t.Fatal(err)
		}
		a.Messages.SetDeliverer(svc)
		t.Cleanup(svc.Close)
	}
	services.Store(e.Shop.ID, svc)
	mux := api.NewMux()
	api.New(api.Deps{DB: a.DB, Clock: a.Clock, Log: a.Log}).DeliveryRoutes(mux, svc)
	hooks.New(hooks.Deps{DB: a.DB, Clock: a.Clock, Log: a.Log, Delivery: svc, Signer: a.Signer, BaseURL: a.Config.BaseURL}).Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &bundle{Env: e, svc: svc, srv: srv}
}

// otherShop makes a second shop served by the same delivery service.
func (b *bundle) otherShop(t *testing.T, slug string) (string, string) {
	t.Helper()
	s, key := b.OtherShop(slug)
	services.Store(s.ID, b.svc)
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
