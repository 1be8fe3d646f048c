package pages_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/token"
)

// fixture is a shop with a profile, two catalogued products and one order
// made through the API.
type fixture struct {
	e          *apptest.Env
	orderID    string
	customerID string
	receipt    string // path /r/<token>
}

func setup(t *testing.T, e *apptest.Env) *fixture {
	t.Helper()
	if _, err := shop.UpdateProfile(context.Background(), e.App.DB, e.Shop.ID, shop.ProfileParams{
		Name: "テスト商店", SenderName: "テスト商店 お客さま係", PostalAddress: "東京都渋谷区神南1-2-3",
		ContactEmail: "support@shop.example", ContactPhone: "03-1234-5678", LineURL: "https://line.me/R/ti/p/@shop",
	}); err != nil {
		t.Fatal(err)
	}
	for sku, p := range map[string]map[string]any{
		"LOTION": {"name": "しっとり化粧水", "price": 2800, "goal": "乾燥肌をうるおす", "guide": "朝晩、洗顔後に手のひらで包むようになじませてください。", "consumption_days": 30},
		"TOWEL":  {"name": "今治タオル", "price": 1200},
	} {
		if res := e.Do("PUT", "/api/v1/products/"+sku, p); res.Status/100 != 2 {
			t.Fatalf("product %s: %d %s", sku, res.Status, res.Body)
		}
	}
	res := e.Do("POST", "/api/v1/orders", map[string]any{
		"external_id": "R-1001",
		"customer": map[string]any{"external_id": "C1", "name": "山田 花子", "email": "hanako@example.jp", "phone": "090-1234-5678",
			"consents": map[string]any{"email": map[string]any{"granted": true, "source": "pos_form", "text": "お知らせを受け取る"}}},
		"ordered_at": apptest.Start.Add(-time.Hour).Format(time.RFC3339), "channel": "store", "store": "渋谷店",
		"lines": []any{map[string]any{"sku": "LOTION", "quantity": 1, "unit_price": 2800}, map[string]any{"sku": "TOWEL", "quantity": 2, "unit_price": 1200}},
		"total": 5200,
	})
	if res.Status != http.StatusCreated {
		t.Fatalf("order: %d %s", res.Status, res.Body)
	}
	var o struct {
		ID, CustomerID, ReceiptURL string
	}
	m := res.Map(t)
	o.ID, o.CustomerID, o.ReceiptURL = m["id"].(string), m["customer_id"].(string), m["receipt_url"].(string)
	u, err := url.Parse(o.ReceiptURL)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{e: e, orderID: o.ID, customerID: o.CustomerID, receipt: u.Path}
}

// coupon creates a campaign through the API and issues a code of it to
// the fixture's customer for the fixture's order; it returns the code.
func (f *fixture) coupon(t *testing.T, campaign map[string]any) string {
	t.Helper()
	res := f.e.Do("POST", "/api/v1/coupon-campaigns", campaign)
	if res.Status != http.StatusCreated {
		t.Fatalf("campaign: %d %s", res.Status, res.Body)
	}
	res = f.e.Do("POST", "/api/v1/coupon-campaigns/"+res.Map(t)["id"].(string)+"/issue",
		map[string]any{"customer_id": f.customerID, "order_id": f.orderID})
	if res.Status != http.StatusCreated {
		t.Fatalf("issue: %d %s", res.Status, res.Body)
	}
	return res.Map(t)["code"].(string)
}

// sign makes a token of the env's signer.
func (f *fixture) sign(t *testing.T, p token.Purpose, object string) string {
	t.Helper()
	tok, err := f.e.App.Signer.Sign(token.Claims{Purpose: p, ShopID: f.e.Shop.ID, ObjectID: object})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// page is a fetched page.
type page struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

// client never follows redirects, so tests see 303s and 302s.
func client(e *apptest.Env) *http.Client {
	c := *e.Server.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func get(t *testing.T, e *apptest.Env, path string, header ...string) page {
	t.Helper()
	return do(t, e, "GET", path, "", header...)
}

// post sends an urlencoded form.
func post(t *testing.T, e *apptest.Env, path string, form url.Values, header ...string) page {
	t.Helper()
	return do(t, e, "POST", path, form.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)...)
}

func do(t *testing.T, e *apptest.Env, method, path, body string, header ...string) page {
	t.Helper()
	req, err := http.NewRequest(method, e.Server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client(e).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{Status: res.StatusCode, Header: res.Header, Body: string(b), Location: res.Header.Get("Location")}
}

// wantPage checks a page's status and that it contains every string.
func wantPage(t *testing.T, what string, p page, status int, contains ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, p.Status, status, p.Body)
	}
	for _, s := range contains {
		if !strings.Contains(p.Body, s) {
			t.Errorf("%s: page lacks %q", what, s)
		}
	}
}

// advance moves the simulated clock through the API (running due jobs).
func advance(t *testing.T, e *apptest.Env, by string) {
	t.Helper()
	if res := e.Do("POST", "/api/v1/clock/advance", map[string]any{"by": by}); res.Status != http.StatusOK {
		t.Fatalf("advance: %d %s", res.Status, res.Body)
	}
}
