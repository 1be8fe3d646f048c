package product_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
)

func ptr[T any](v T) *T { return &v }

func TestDetailsValidate(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 65)
	related := make([]string, 21)
	for i := range related {
		related[i] = fmt.Sprintf("R-%d", i)
	}
	tests := []struct {
		name  string
		sku   string
		d     product.Details
		field string
	}{
		{"valid", "LOTION-1", product.Details{Name: "化粧水", Price: ptr(int64(1500)), ConsumptionDays: ptr(30), RelatedSKUs: []string{"A", "A", "B"}}, ""},
		{"bad sku", "a b", product.Details{Name: "x"}, "sku"},
		{"long sku", long, product.Details{Name: "x"}, "sku"},
		{"sku mismatch", "A", product.Details{SKU: "B", Name: "x"}, "sku"},
		{"no name", "A", product.Details{Name: "  "}, "name"},
		{"negative price", "A", product.Details{Name: "x", Price: ptr(int64(-1))}, "price"},
		{"zero days", "A", product.Details{Name: "x", ConsumptionDays: ptr(0)}, "consumption_days"},
		{"guide too long", "A", product.Details{Name: "x", Guide: strings.Repeat("あ", 20001)}, "guide"},
		{"guide with newlines", "A", product.Details{Name: "x", Guide: "# 使い方\n\n1. 振る\r\n2. 塗る"}, ""},
		{"control in name", "A", product.Details{Name: "x\x00"}, "name"},
		{"related self", "A", product.Details{Name: "x", RelatedSKUs: []string{"A"}}, "related_skus.0"},
		{"related bad", "A", product.Details{Name: "x", RelatedSKUs: []string{"B", "c d"}}, "related_skus.1"},
		{"too many related", "A", product.Details{Name: "x", RelatedSKUs: related}, "related_skus"},
		{"upgrade self", "A", product.Details{Name: "x", UpgradeSKU: "A"}, "upgrade_sku"},
		{"upgrade bad", "A", product.Details{Name: "x", UpgradeSKU: "!"}, "upgrade_sku"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.d.Validate(tt.sku)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Fields[tt.field] == "" {
				t.Fatalf("want a problem with %s, got %v", tt.field, err)
			}
		})
	}
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	const body = "sku,name,category,price,goal,guide,consumption_days,related_skus,upgrade_sku\n" +
		"LOTION-1,髙級化粧水①,skincare,\"1,500\",乾燥肌をうるおす,\"朝晩\n2回\",３０,SERUM-1|CREAM-1,LOTION-PRO\n" +
		"BAD SKU,x,,,,,,,\n" +
		"CREAM-1,クリーム,skincare,abc,,,,,\n" +
		"\n" +
		"SERUM-1,美容液,,2000,,,,,\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().String(body)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{"utf8": body, "bom": "\xef\xbb\xbf" + body, "sjis": sjis} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rows, err := product.ParseCSV([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 4 {
				t.Fatalf("rows = %d", len(rows))
			}
			r := rows[0]
			if len(r.Fields) != 0 || r.Details.Name != "髙級化粧水①" || *r.Details.Price != 1500 || *r.Details.ConsumptionDays != 30 ||
				strings.Join(r.Details.RelatedSKUs, ",") != "SERUM-1,CREAM-1" || r.Details.Guide != "朝晩\n2回" || r.Row != 2 {
				t.Fatalf("row 2 = %+v", r)
			}
			if rows[1].Fields["sku"] == "" || rows[1].Row != 3 { // rows count records, not lines
				t.Fatalf("bad sku row = %+v", rows[1])
			}
			if rows[2].Fields["price"] == "" {
				t.Fatalf("bad price row = %+v", rows[2])
			}
			if rows[3].Row != 5 || len(rows[3].Fields) != 0 { // blank lines are skipped
				t.Fatalf("last row = %+v", rows[3])
			}
		})
	}
	for name, in := range map[string]string{
		"empty":          "",
		"unknown column": "sku,name,colour\nA,x,red\n",
		"no name":        "sku,price\nA,1\n",
		"duplicate":      "sku,name,name\nA,x,y\n",
	} {
		t.Run("header "+name, func(t *testing.T) {
			t.Parallel()
			if _, err := product.ParseCSV([]byte(in)); !errors.Is(err, errs.ErrMalformed) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// FuzzProductCSV feeds arbitrary bytes to the CSV parser: it never panics
// and never accepts a row that fails validation.
func FuzzProductCSV(f *testing.F) {
	f.Add([]byte("sku,name,price,related_skus\nA,x,100,B|C\n"))
	f.Add([]byte("\xef\xbb\xbfsku,name\n\"A,x\n"))
	f.Add([]byte("sku,name,consumption_days\nA,\x82\xa0,９９９９９９９９９９９９\n"))
	f.Add([]byte("sku,name\nA,x,extra\n\"unterminated"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := product.ParseCSV(b)
		if err != nil {
			if !errors.Is(err, errs.ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, r := range rows {
			if len(r.Fields) == 0 {
				d := r.Details
				if err := d.Validate(d.SKU); err != nil {
					t.Fatalf("row %d accepted but invalid: %v", r.Row, err)
				}
			}
		}
	})
}

type testBundle struct {
	d      *db.DB
	svc    *product.Service
	shopID string
}

func setup(t *testing.T, d *db.DB, slug string) *testBundle {
	t.Helper()
	now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	s, err := shop.Create(context.Background(), d, shop.CreateParams{Slug: slug, Name: "テスト"}, now)
	if err != nil {
		t.Fatal(err)
	}
	return &testBundle{d: d, svc: product.NewService(d, clock.NewSimulated(now)), shopID: s.ID}
}

func TestService(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, "shop-a")
		p, created, err := b.svc.Put(ctx, b.shopID, "LOTION-1", product.Details{Name: "化粧水", Price: ptr(int64(1500)),
			Goal: "乾燥肌をうるおす", ConsumptionDays: ptr(30), RelatedSKUs: []string{"SERUM-1"}, Category: "skincare"})
		if err != nil || !created || p.Price != 1500 || *p.ConsumptionDays != 30 || p.RelatedSKUs[0] != "SERUM-1" {
			t.Fatalf("put: %+v %v %v", p, created, err)
		}
		p, created, err = b.svc.Put(ctx, b.shopID, "LOTION-1", product.Details{Name: "化粧水 II"})
		if err != nil || created || p.Price != 0 || p.ConsumptionDays != nil || len(p.RelatedSKUs) != 0 || p.Category != "" {
			t.Fatalf("replace: %+v %v %v", p, created, err)
		}
		for _, sku := range []string{"A-1", "A-2", "A-3"} {
			if _, _, err := b.svc.Put(ctx, b.shopID, sku, product.Details{Name: sku, Category: "a"}); err != nil {
				t.Fatal(err)
			}
		}
		page, more, err := b.svc.List(ctx, product.ListParams{ShopID: b.shopID, Category: "a", Limit: 2})
		if err != nil || !more || len(page) != 2 || page[1].SKU != "A-2" {
			t.Fatalf("page 1: %v %v %v", page, more, err)
		}
		page, more, err = b.svc.List(ctx, product.ListParams{ShopID: b.shopID, Category: "a", AfterSKU: "A-2", Limit: 2})
		if err != nil || more || len(page) != 1 {
			t.Fatalf("page 2: %v %v %v", page, more, err)
		}
		m, err := b.svc.BySKUs(ctx, d, b.shopID, []string{"A-1", "NOPE", "A-1", "LOTION-1"})
		if err != nil || len(m) != 2 || m["LOTION-1"].Name != "化粧水 II" {
			t.Fatalf("by skus: %v %v", m, err)
		}
		other := setup(t, d, "shop-b")
		if _, err := other.svc.BySKU(ctx, other.shopID, "A-1"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("other shop: %v", err)
		}
		res, err := b.svc.Import(ctx, b.shopID, []byte("sku,name,price\nA-1,新A,100\nB-1,B,200\nC 1,C,1\n"))
		if err != nil || res.Created != 1 || res.Updated != 1 || res.Rejected != 1 || res.Errors[0].Row != 4 {
			t.Fatalf("import: %+v %v", res, err)
		}
		if p, _ := b.svc.BySKU(ctx, b.shopID, "A-1"); p.Name != "新A" || p.Price != 100 {
			t.Fatalf("imported: %+v", p)
		}
	})
}
