package admin_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// upload posts a multipart form with one file field.
func (c *client) upload(path, field, name string, content []byte) res {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, err := http.NewRequest("POST", c.e.url+path, &b)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	r, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return res{Status: r.StatusCode, Header: r.Header, Body: string(body), Location: r.Header.Get("Location")}
}

// productForm is a complete product form.
func productForm(sku, name string, kv ...string) url.Values {
	f := url.Values{"sku": {sku}, "name": {name}, "category": {"スキンケア"}, "price": {"2800"}, "goal": {""}, "guide": {""},
		"consumption_days": {""}, "related_skus": {""}, "upgrade_sku": {""}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestProductPages(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Owner, "owner@example.jp")
		e.user(t, staff.Marketer, "marketer@example.jp")
		e.user(t, staff.Viewer, "viewer@example.jp")
		e.user(t, staff.Support, "support@example.jp")
		owner := e.login(t, "owner@example.jp")

		want(t, "empty list", owner.get("/admin/products"), http.StatusOK, "まだ商品がありません", `href="/admin/products/new"`)
		want(t, "new form", owner.get("/admin/products/new"), http.StatusOK, `id="sku"`, `id="consumption_days"`)

		// Create.
		r := owner.post("/admin/products", productForm("LOTION", "化粧水", "goal", "乾燥肌をうるおす", "consumption_days", "30",
			"related_skus", "CREAM, SOAP"))
		if r.Status != http.StatusSeeOther || r.Location != "/admin/products/sku/LOTION" {
			t.Fatalf("create: %d %s\n%s", r.Status, r.Location, r.Body)
		}
		p := ae.Do("GET", "/api/v1/products/LOTION", nil).Map(t)
		if p["goal"] != "乾燥肌をうるおす" || p["consumption_days"] != float64(30) || p["price"] != float64(2800) ||
			fmt.Sprint(p["related_skus"]) != "[CREAM SOAP]" {
			t.Fatalf("created: %v", p)
		}
		want(t, "product page", owner.get("/admin/products/sku/LOTION"), http.StatusOK, "商品を追加しました。", `value="30"`, "乾燥肌をうるおす")
		want(t, "duplicate", owner.post("/admin/products", productForm("LOTION", "別の商品")), http.StatusUnprocessableEntity,
			`id="sku-error"`, "このSKUの商品はすでにあります。")
		want(t, "bad sku", owner.post("/admin/products", productForm("a b", "x")), http.StatusUnprocessableEntity, `id="sku-error"`)
		if r := ae.Do("GET", "/api/v1/products/LOTION", nil).Map(t); r["name"] != "化粧水" {
			t.Fatalf("duplicate create changed the product: %v", r)
		}

		// Validation as PUT /products/{sku}: field named, nothing stored.
		bad := []struct {
			name  string
			form  url.Values
			field string
			text  string
		}{
			{"days zero", productForm("", "化粧水", "consumption_days", "0"), "consumption_days", "1〜3650の整数"},
			{"days text", productForm("", "化粧水", "consumption_days", "ひと月"), "consumption_days", "1〜3650の整数"},
			{"no name", productForm("", " "), "name", "入力してください。"},
			{"self related", productForm("", "化粧水", "related_skus", "CREAM\nLOTION"), "related_skus", "LOTION: 自分自身は関連商品にできません。"},
			{"bad related", productForm("", "化粧水", "related_skus", "ok-1 b@d"), "related_skus", "b@d: SKUの形式ではありません。"},
			{"self upgrade", productForm("", "化粧水", "upgrade_sku", "LOTION"), "upgrade_sku", "自分自身は上位商品にできません。"},
			{"long goal", productForm("", "化粧水", "goal", strings.Repeat("あ", 501)), "goal", "500文字以内"},
			{"price", productForm("", "化粧水", "price", "-1"), "price", "0以上の整数"},
		}
		for _, tt := range bad {
			r := owner.post("/admin/products/sku/LOTION", tt.form)
			want(t, tt.name, r, http.StatusUnprocessableEntity, `id="`+tt.field+`-error"`, tt.text, `aria-invalid="true"`)
		}
		if p := ae.Do("GET", "/api/v1/products/LOTION", nil).Map(t); p["goal"] != "乾燥肌をうるおす" || p["consumption_days"] != float64(30) {
			t.Fatalf("a refused save changed the product: %v", p)
		}

		// Edit: the marketer may; days emptied makes it a durable.
		marketer := e.login(t, "marketer@example.jp")
		r = marketer.post("/admin/products/sku/LOTION", productForm("IGNORED", "化粧水 しっとり", "goal", "肌のつっぱりをやわらげる",
			"guide", "朝晩、手のひらで温めてから。", "consumption_days", "45", "upgrade_sku", "LOTION-PREMIUM"))
		if r.Status != http.StatusSeeOther || r.Location != "/admin/products/sku/LOTION" {
			t.Fatalf("edit: %d %s\n%s", r.Status, r.Location, r.Body)
		}
		p = ae.Do("GET", "/api/v1/products/LOTION", nil).Map(t)
		if p["name"] != "化粧水 しっとり" || p["goal"] != "肌のつっぱりをやわらげる" || p["consumption_days"] != float64(45) ||
			p["upgrade_sku"] != "LOTION-PREMIUM" || p["category"] != "スキンケア" || fmt.Sprint(p["related_skus"]) != "[]" {
			t.Fatalf("edited: %v", p)
		}
		if r := ae.Do("GET", "/api/v1/products/IGNORED", nil); r.Status != http.StatusNotFound {
			t.Fatalf("the form's sku created a product: %d", r.Status)
		}
		if r := marketer.post("/admin/products/sku/LOTION", productForm("", "化粧水 しっとり", "consumption_days", "")); r.Status != http.StatusSeeOther {
			t.Fatalf("durable: %d", r.Status)
		}
		if p := ae.Do("GET", "/api/v1/products/LOTION", nil).Map(t); p["consumption_days"] != nil {
			t.Fatalf("durable: %v", p)
		}
		want(t, "edit missing", marketer.post("/admin/products/sku/NOPE", productForm("", "x")), http.StatusNotFound)
		want(t, "show missing", marketer.get("/admin/products/sku/NOPE"), http.StatusNotFound)

		// Read-only roles see it, without a form, and cannot post.
		for _, who := range []string{"viewer@example.jp", "support@example.jp"} {
			c := e.login(t, who)
			r := c.get("/admin/products/sku/LOTION")
			want(t, who+" page", r, http.StatusOK, "化粧水 しっとり", "商品の編集はオーナーとマーケティング担当だけができます。")
			if strings.Contains(r.Body, `id="product-form"`) || strings.Contains(c.get("/admin/products").Body, `href="/admin/products/new"`) {
				t.Errorf("%s is offered the edit form", who)
			}
			want(t, who+" post", c.post("/admin/products/sku/LOTION", productForm("", "x")), http.StatusForbidden)
			want(t, who+" create", c.post("/admin/products", productForm("NEW", "x")), http.StatusForbidden)
			want(t, who+" import", c.get("/admin/products/import"), http.StatusForbidden)
		}

		// Every write is in the audit log.
		want(t, "audit", owner.get("/admin/settings/audit"), http.StatusOK, "商品を追加", "商品を変更", "<code>LOTION</code>")

		// Another shop's product is a 404, also for writing.
		_, otherKey := ae.OtherShop("other-shop")
		if r := ae.DoKey(otherKey, "PUT", "/api/v1/products/THEIRS", map[string]any{"name": "よその商品"}); r.Status != http.StatusCreated {
			t.Fatalf("other product: %d", r.Status)
		}
		want(t, "other shop page", owner.get("/admin/products/sku/THEIRS"), http.StatusNotFound)
		want(t, "other shop edit", owner.post("/admin/products/sku/THEIRS", productForm("", "乗っ取り")), http.StatusNotFound)
		if strings.Contains(owner.get("/admin/products").Body, "THEIRS") || strings.Contains(owner.get("/admin/products?q=よその").Body, "THEIRS") {
			t.Fatal("another shop's product is listed")
		}
		if r := ae.DoKey(otherKey, "GET", "/api/v1/products/THEIRS", nil).Map(t); r["name"] != "よその商品" {
			t.Fatalf("other shop's product changed: %v", r)
		}
	})
}

func TestProductListSearchAndPages(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		var csv strings.Builder
		csv.WriteString("sku,name,consumption_days\n")
		for i := range 55 {
			fmt.Fprintf(&csv, "P-%03d,商品%d,30\n", i, i)
		}
		csv.WriteString("SERUM,美容液,60\n")
		if rep, err := ae.App.Products.Import(context.Background(), ae.Shop.ID, []byte(csv.String())); err != nil || rep.Created != 56 {
			t.Fatalf("seed: %+v %v", rep, err)
		}
		c := e.login(t, "viewer@example.jp")
		r := c.get("/admin/products")
		want(t, "first page", r, http.StatusOK, "P-000", "P-049", "30日", "/admin/products?cursor=")
		if strings.Contains(r.Body, "P-050") {
			t.Fatal("first page holds more than 50")
		}
		i := strings.Index(r.Body, "/admin/products?cursor=")
		next := strings.ReplaceAll(r.Body[i:i+strings.IndexByte(r.Body[i:], '"')], "&amp;", "&")
		r = c.get(next)
		want(t, "second page", r, http.StatusOK, "P-050", "P-054", "SERUM", `href="/admin/products"`)
		if strings.Contains(r.Body, "P-049") || strings.Contains(r.Body, `href="/admin/products?cursor=`) {
			t.Fatal("second page")
		}
		want(t, "search name", c.get("/admin/products?q=美容"), http.StatusOK, "SERUM")
		r = c.get("/admin/products?q=p-01")
		want(t, "search sku", r, http.StatusOK, "P-010", "P-019", `value="p-01"`)
		if strings.Contains(r.Body, "P-020") || strings.Contains(r.Body, "SERUM") {
			t.Fatal("search sku matched too much")
		}
		want(t, "search none", c.get("/admin/products?q=zzz"), http.StatusOK, "条件に合う商品はありません。")
		want(t, "bad cursor", c.get("/admin/products?cursor=not-a-cursor!"), http.StatusBadRequest)
	})
}

func TestProductImportPage(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Marketer, "marketer@example.jp")
		c := e.login(t, "marketer@example.jp")
		if r := ae.Do("PUT", "/api/v1/products/OLD", map[string]any{"name": "旧名"}); r.Status != http.StatusCreated {
			t.Fatal(r.Status)
		}
		want(t, "form", c.get("/admin/products/import"), http.StatusOK, `enctype="multipart/form-data"`, "sku,name,category")

		csv := "\xef\xbb\xbfsku,name,consumption_days,related_skus\nNEW-1,新商品,30,OLD|NEW-2\nOLD,新しい名前,,\nBAD SKU,x,1,\nNEW-2,日数が変,0,\n"
		r := c.upload("/admin/products/import", "file", "products.csv", []byte(csv))
		want(t, "result", r, http.StatusOK, `id="created">1<`, `id="updated">1<`, `id="rejected">2<`, "<td class=\"num\">4</td>",
			"<code>sku</code>", "<td class=\"num\">5</td>", "<code>consumption_days</code>", "1〜3650の整数")
		if p := ae.Do("GET", "/api/v1/products/OLD", nil).Map(t); p["name"] != "新しい名前" {
			t.Fatalf("updated row: %v", p)
		}
		if r := ae.Do("GET", "/api/v1/products/NEW-2", nil); r.Status != http.StatusNotFound {
			t.Fatalf("a bad row was imported: %d", r.Status)
		}

		// A wrong header imports nothing.
		r = c.upload("/admin/products/import", "file", "p.csv", []byte("code,title\nX,y\n"))
		want(t, "bad header", r, http.StatusUnprocessableEntity, `id="file-error"`, "何も登録されていません")
		if r := ae.Do("GET", "/api/v1/products/X", nil); r.Status != http.StatusNotFound {
			t.Fatal("bad header imported")
		}
		want(t, "no file", c.upload("/admin/products/import", "other", "p.csv", []byte("sku,name\nA,b\n")), http.StatusUnprocessableEntity,
			"取り込むCSVファイルを選んでください。")
		want(t, "not multipart", c.post("/admin/products/import", url.Values{"file": {"sku,name\nA,b\n"}}), http.StatusBadRequest)
		want(t, "too large", c.upload("/admin/products/import", "file", "p.csv", bytes.Repeat([]byte("a"), 10<<20+1)), http.StatusRequestEntityTooLarge)
		want(t, "audit", func() res {
			e.user(t, staff.Owner, "owner@example.jp")
			return e.login(t, "owner@example.jp").get("/admin/settings/audit")
		}(), http.StatusOK, "商品をCSVで取り込み")
	})
}
