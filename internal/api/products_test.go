package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

type productBody struct {
	SKU             string   `json:"sku"`
	Name            string   `json:"name"`
	Price           int64    `json:"price"`
	ConsumptionDays *int     `json:"consumption_days"`
	RelatedSKUs     []string `json:"related_skus"`
}

func postProductCSV(t *testing.T, e *apptest.Env, contentType string, body []byte) apptest.Response {
	t.Helper()
	req, err := http.NewRequest("POST", e.Server.URL+"/api/v1/products/import", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Key)
	req.Header.Set("Content-Type", contentType)
	res, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apptest.Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// productState dumps the shop's products byte for byte.
func productState(t *testing.T, e *apptest.Env) string {
	t.Helper()
	rows, err := e.App.DB.QueryContext(context.Background(), `SELECT sku, name, category, price, goal, guide,
		COALESCE(consumption_days, -1), related_skus, upgrade_sku, created_at, updated_at FROM products WHERE shop_id = $1 ORDER BY sku`, e.Shop.ID)
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
	return b.String()
}

func TestProductAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		full := map[string]any{"name": "化粧水", "category": "skincare", "price": 1500, "goal": "乾燥肌をうるおす",
			"guide": "# 使い方\n朝晩2回", "consumption_days": 30, "related_skus": []string{"SERUM-1"}, "upgrade_sku": "LOTION-PRO"}
		res := e.Do("PUT", "/api/v1/products/LOTION-1", full)
		var p productBody
		res.JSON(t, &p)
		if res.Status != http.StatusCreated || p.Price != 1500 || *p.ConsumptionDays != 30 || p.RelatedSKUs[0] != "SERUM-1" {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		res = e.Do("PUT", "/api/v1/products/LOTION-1", with(with(full, "consumption_days", nil), "sku", "LOTION-1"))
		res.JSON(t, &p)
		if res.Status != http.StatusOK || p.ConsumptionDays != nil {
			t.Fatalf("replace: %d %s", res.Status, res.Body)
		}
		res = e.Do("GET", "/api/v1/products/LOTION-1", nil)
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "乾燥肌をうるおす") {
			t.Fatalf("show: %d %s", res.Status, res.Body)
		}

		before := productState(t, e)
		for _, tt := range []struct {
			name, path string
			body       any
			status     int
			field      string
		}{
			{"malformed", "/api/v1/products/LOTION-1", `{"name":`, 400, ""},
			{"unknown field", "/api/v1/products/LOTION-1", with(full, "colour", "red"), 400, "colour"},
			{"no name", "/api/v1/products/LOTION-1", with(full, "name", nil), 422, "name"},
			{"bad sku", "/api/v1/products/a%20b", full, 422, "sku"},
			{"sku mismatch", "/api/v1/products/LOTION-1", with(full, "sku", "OTHER"), 422, "sku"},
			{"negative price", "/api/v1/products/LOTION-1", with(full, "price", -1), 422, "price"},
			{"zero days", "/api/v1/products/LOTION-1", with(full, "consumption_days", 0), 422, "consumption_days"},
			{"related self", "/api/v1/products/LOTION-1", with(full, "related_skus", []string{"LOTION-1"}), 422, "related_skus.0"},
			{"guide too long", "/api/v1/products/LOTION-1", with(full, "guide", strings.Repeat("a", 20001)), 422, "guide"},
		} {
			wantProblem(t, tt.name, e.Do("PUT", tt.path, tt.body), tt.status, tt.field)
			if after := productState(t, e); after != before {
				t.Fatalf("%s changed the stored products", tt.name)
			}
		}
		_, otherKey := e.OtherShop("other-shop")
		wantProblem(t, "other shop", e.DoKey(otherKey, "GET", "/api/v1/products/LOTION-1", nil), 404, "")
		wantProblem(t, "unknown", e.Do("GET", "/api/v1/products/NOPE", nil), 404, "")

		// CSV import: Shift_JIS, one bad row skipped.
		csv := "sku,name,category,price,consumption_days,related_skus\n" +
			"SERUM-1,美容液①,skincare,\"3,000\",60,LOTION-1|CREAM-1\n" +
			"BAD SKU,x,skincare,1,,\n" +
			"LOTION-1,髙級化粧水,skincare,1800,,\n"
		sjis, err := japanese.ShiftJIS.NewEncoder().String(csv)
		if err != nil {
			t.Fatal(err)
		}
		res = postProductCSV(t, e, "text/csv", []byte(sjis))
		var imp struct {
			Created, Updated int
			Errors           []struct {
				Row    int               `json:"row"`
				Fields map[string]string `json:"fields"`
			}
		}
		res.JSON(t, &imp)
		if res.Status != 200 || imp.Created != 1 || imp.Updated != 1 || len(imp.Errors) != 1 || imp.Errors[0].Row != 3 || imp.Errors[0].Fields["sku"] == "" {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
		if res := e.Do("GET", "/api/v1/products/LOTION-1", nil); !strings.Contains(string(res.Body), "髙級化粧水") {
			t.Fatalf("imported name: %s", res.Body)
		}

		before = productState(t, e)
		wantProblem(t, "wrong header", postProductCSV(t, e, "text/csv", []byte("sku,title\nX-1,x\n")), 400, "header")
		wantProblem(t, "wrong type", postProductCSV(t, e, "application/json", []byte(`{}`)), 400, "")
		wantProblem(t, "over 10 MiB", postProductCSV(t, e, "text/csv", bytes.Repeat([]byte("a"), 10<<20+1)), 413, "")
		if after := productState(t, e); after != before {
			t.Fatalf("a rejected import changed the stored products")
		}

		// List by category with a cursor.
		var skus []string
		path := "/api/v1/products?category=skincare&limit=1"
		for path != "" {
			var page struct {
				Items      []productBody `json:"items"`
				NextCursor string        `json:"next_cursor"`
			}
			e.Do("GET", path, nil).JSON(t, &page)
			for _, it := range page.Items {
				skus = append(skus, it.SKU)
			}
			path = ""
			if page.NextCursor != "" {
				path = "/api/v1/products?category=skincare&limit=1&cursor=" + page.NextCursor
			}
		}
		if strings.Join(skus, ",") != "LOTION-1,SERUM-1" {
			t.Fatalf("list = %v", skus)
		}
		wantProblem(t, "bad limit", e.Do("GET", "/api/v1/products?limit=0", nil), 400, "limit")
	})
}
