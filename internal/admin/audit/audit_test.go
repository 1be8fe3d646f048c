package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/admin/audit"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/shop"
)

func TestRecordAndList(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
		a, _ := shop.Create(ctx, d, shop.CreateParams{Slug: "a-shop", Name: "A"}, at)
		b, _ := shop.Create(ctx, d, shop.CreateParams{Slug: "b-shop", Name: "B"}, at)
		for i := 0; i < 5; i++ {
			if err := audit.Record(ctx, d, audit.RecordParams{ShopID: a.ID, ActorID: "usr_1", Action: "api_key.create", ObjectType: "api_key",
				ObjectID: "key_" + string(rune('a'+i)), At: at.Add(time.Duration(i%3) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		_ = audit.Record(ctx, d, audit.RecordParams{ShopID: b.ID, ActorID: "usr_2", Action: "x", At: at})
		var seen []string
		var after *audit.Cursor
		for page := 0; page < 5; page++ {
			es, more, err := audit.List(ctx, d, audit.ListParams{ShopID: a.ID, Limit: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				if e.ShopID != a.ID {
					t.Fatalf("another shop's entry: %+v", e)
				}
				if len(seen) > 0 && e.At.After(at.Add(2*time.Minute)) {
					t.Fatalf("order: %+v", e)
				}
				seen = append(seen, e.ObjectID)
			}
			if !more {
				break
			}
			last := es[len(es)-1]
			after = &audit.Cursor{At: last.At, ID: last.ID}
		}
		if len(seen) != 5 {
			t.Fatalf("paged through %v", seen)
		}
		uniq := map[string]bool{}
		for _, s := range seen {
			uniq[s] = true
		}
		if len(uniq) != 5 {
			t.Fatalf("duplicates across pages: %v", seen)
		}
	})
}
