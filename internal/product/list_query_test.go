package product_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/product"
)

// TestListQuery: the search matches SKU or name, ignores ASCII case,
// treats LIKE's % and _ as plain characters, pages with the cursor and
// stays inside the shop.
func TestListQuery(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, "query")
		other := setup(t, d, "q-other")
		for sku, name := range map[string]string{"LOTION-50": "化粧水 50ml", "lotion-100": "化粧水 100ml", "CREAM": "保湿クリーム",
			"SOAP_1": "石けん", "SOAP-2": "石けん 100%"} {
			if _, _, err := b.svc.Put(ctx, b.shopID, sku, product.Details{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := other.svc.Put(ctx, other.shopID, "LOTION-X", product.Details{Name: "化粧水"}); err != nil {
			t.Fatal(err)
		}
		skus := func(p product.ListParams) []string {
			t.Helper()
			if p.Limit == 0 {
				p.Limit = 50
			}
			p.ShopID = b.shopID
			ps, _, err := b.svc.List(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, pr := range ps {
				out = append(out, pr.SKU)
			}
			return out
		}
		tests := []struct {
			q    string
			want []string
		}{
			{"", []string{"CREAM", "LOTION-50", "SOAP-2", "SOAP_1", "lotion-100"}},
			{"lotion", []string{"LOTION-50", "lotion-100"}},
			{"化粧水", []string{"LOTION-50", "lotion-100"}},
			{"クリーム", []string{"CREAM"}},
			{"_", []string{"SOAP_1"}},
			{"%", []string{"SOAP-2"}},
			{"100", []string{"SOAP-2", "lotion-100"}},
			{"nothing", []string{}},
		}
		for _, tt := range tests {
			// Compared as sets: the order of mixed-case SKUs depends on the
			// engine's collation.
			got := skus(product.ListParams{Query: tt.q})
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Errorf("query %q: %v, want %v", tt.q, got, tt.want)
			}
		}
		first := skus(product.ListParams{Query: "lotion", Limit: 1})
		second := skus(product.ListParams{Query: "lotion", AfterSKU: first[0], Limit: 1})
		if got := append(first, second...); len(got) != 2 || got[0] == got[1] || !slices.Contains(got, "lotion-100") || !slices.Contains(got, "LOTION-50") {
			t.Errorf("pages: %v", got)
		}
	})
}

// TestPutTx: PutTx validates, writes in the caller's transaction and is
// undone with it.
func TestPutTx(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		b := setup(t, d, "tx")
		err := d.InTx(ctx, func(tx *db.Tx) error {
			_, _, err := b.svc.PutTx(ctx, tx, b.shopID, "A", product.Details{Name: "x", ConsumptionDays: ptr(0)})
			return err
		})
		var e *errs.Error
		if !errors.As(err, &e) || e.Fields["consumption_days"] == "" {
			t.Fatalf("invalid: %v", err)
		}
		rollback := errors.New("roll back")
		err = d.InTx(ctx, func(tx *db.Tx) error {
			p, created, err := b.svc.PutTx(ctx, tx, b.shopID, "A", product.Details{Name: "化粧水", Goal: "乾燥肌をうるおす"})
			if err != nil || !created || p.Goal != "乾燥肌をうるおす" {
				t.Errorf("put: %+v %v %v", p, created, err)
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if _, err := b.svc.BySKU(ctx, b.shopID, "A"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("after rollback: %v", err)
		}
	})
}
