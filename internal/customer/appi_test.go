package customer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
)

// piiFixture is a customer whose every personal value is a unique needle.
var piiFixture = Input{
	ExternalID:    "pii-ext-7731",
	Name:          ptr("PIIName 山田花子"),
	Email:         ptr("piimail7731@example.jp"),
	Phone:         ptr("090-9876-5432"),
	LineUserID:    ptr("Upiiline0123456789abcdef"),
	PostalAddress: ptr("東京都千代田区PII町7-7-31"),
	Tags:          &[]string{"piitag7731"},
	Attributes:    map[string]any{"note": "piiattr7731"},
	Consents: map[string]ConsentInput{
		"email": {Granted: ptr(true), Source: "piisource7731", Text: "PIIName 山田花子様へのお知らせ"},
		"sms":   {Granted: ptr(false), Source: "piisource7731", Text: "SMS piitext7731"},
	},
}

var piiNeedles = []string{"PIIName", "山田花子", "piimail7731", "9876", "9098765432", "Upiiline0123456789abcdef",
	"PII町", "piitag7731", "piiattr7731", "piisource7731", "piitext7731", "pii-ext-7731"}

func TestErase(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.upsert(t, piiFixture)
		keep := b.upsert(t, Input{ExternalID: "keep", Name: ptr("残る人")})
		b.order(t, c.ID, t0.Add(-10*Day), 3000, map[string]*int{"tea": days(30)})
		b.order(t, c.ID, t0.Add(-5*Day), 4500, nil)
		err := d.InTx(b.ctx, func(tx *db.Tx) error {
			_, _, err := b.svc.events.Record(b.ctx, tx, event.RecordParams{ShopID: b.shopID, CustomerID: c.ID, Type: "app.form_sent",
				OccurredAt: t0, Now: t0, Data: map[string]any{"email": "piimail7731@example.jp", "name": "PIIName"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		orders, total := orderTotals(t, b)
		if orders != 2 || total != 7500 {
			t.Fatalf("before: %d orders, total %d", orders, total)
		}

		if err := b.svc.Erase(b.ctx, b.shopID, c.ID); err != nil {
			t.Fatalf("erase: %v", err)
		}
		if err := b.svc.Erase(b.ctx, b.shopID, c.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("second erase: %v, want not found", err)
		}
		if _, err := b.svc.ByID(b.ctx, b.shopID, c.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("ByID after erase: %v", err)
		}
		if _, err := b.svc.Export(b.ctx, b.shopID, c.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("Export after erase: %v", err)
		}
		cs, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shopID})
		if err != nil || len(cs) != 1 || cs[0].ID != keep.ID {
			t.Fatalf("list after erase: %+v %v", cs, err)
		}
		if orders2, total2 := orderTotals(t, b); orders2 != orders || total2 != total {
			t.Fatalf("after: %d orders, total %d; want %d, %d", orders2, total2, orders, total)
		}
		evs, err := event.List(b.ctx, d, event.ListParams{ShopID: b.shopID, CustomerID: c.ID, Types: []string{event.CustomerErased}})
		if err != nil || len(evs) != 1 || string(evs[0].Data) != "{}" {
			t.Fatalf("customer.erased event: %+v %v", evs, err)
		}

		for _, needle := range piiNeedles {
			if hits := searchDatabase(t, d, needle); len(hits) > 0 {
				t.Errorf("%q still stored after erase: %v", needle, hits)
			}
		}
		if hits := searchDatabase(t, d, "残る人"); len(hits) == 0 {
			t.Error("the search finds nothing at all: is it broken?")
		}

		// The shop's own ID no longer leads to the person: using it again
		// makes a new customer, and the erased marker is not an input.
		n, created, err := b.svc.Upsert(b.ctx, b.shopID, Input{ExternalID: piiFixture.ExternalID})
		if err != nil || !created || n.ID == c.ID {
			t.Fatalf("re-upsert: %v created=%v", err, created)
		}
		if _, _, err := b.svc.Upsert(b.ctx, b.shopID, Input{ExternalID: "erased:" + c.ID, Name: ptr("x")}); !hasField(err, "external_id") {
			t.Fatalf("erased: prefix accepted: %v", err)
		}
	})
}

func orderTotals(t *testing.T, b *testBundle) (n int, total int64) {
	t.Helper()
	err := b.d.QueryRowContext(b.ctx, `SELECT COUNT(*), COALESCE(SUM(total), 0) FROM orders WHERE shop_id = $1`, b.shopID).Scan(&n, &total)
	if err != nil {
		t.Fatal(err)
	}
	return n, total
}

// searchDatabase looks for needle in the raw storage: on SQLite every byte
// of the database files after VACUUM; on PostgreSQL every text column of
// every table of the schema.
func searchDatabase(t *testing.T, d *db.DB, needle string) []string {
	t.Helper()
	ctx := t.Context()
	if d.Dialect() == db.SQLite {
		for _, q := range []string{`VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
			if _, err := d.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		path := strings.TrimPrefix(d.String(), "sqlite:")
		var hits []string
		for _, f := range []string{path, path + "-wal"} {
			data, err := os.ReadFile(f)
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(data, []byte(needle)) {
				hits = append(hits, f)
			}
		}
		return hits
	}
	rows, err := d.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'json', 'jsonb')`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ table, column string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(cols) < 10 {
		t.Fatalf("only %d text columns found", len(cols))
	}
	var hits []string
	for _, c := range cols {
		var n int
		q := fmt.Sprintf(`SELECT COUNT(*) FROM %q WHERE %q::text LIKE '%%' || $1 || '%%'`, c.table, c.column)
		if err := d.QueryRowContext(ctx, q, needle).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n > 0 {
			hits = append(hits, c.table+"."+c.column)
		}
	}
	return hits
}

// TestExportCoversEveryCustomerTable fails when a table refers to customers
// (has a customer_id column) but the APPI export has no section for it.
func TestExportCoversEveryCustomerTable(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.upsert(t, piiFixture)
		b.order(t, c.ID, t0.Add(-Day), 1200, map[string]*int{"tea": days(30), "cup": nil})
		x, err := b.svc.Export(b.ctx, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		var sections map[string]json.RawMessage
		if err := json.Unmarshal(raw, &sections); err != nil {
			t.Fatal(err)
		}
		tables := customerTables(t, d)
		if len(tables) < 4 {
			t.Fatalf("only %d tables with customer_id found: %v", len(tables), tables)
		}
		covered := ExportSections()
		for _, table := range append(tables, "customers") {
			section, ok := covered[table]
			if !ok {
				t.Errorf("table %s has a customer_id column but the APPI export does not cover it: add it to exportSections and Export", table)
				continue
			}
			if v, ok := sections[section]; !ok || string(v) == "null" {
				t.Errorf("export section %q (table %s) is missing", section, table)
			}
		}

		mustEqual(t, "name", x.Customer.Name, "PIIName 山田花子")
		mustEqual(t, "tags", strings.Join(x.Customer.Tags, ","), "piitag7731")
		mustEqual(t, "consent history", len(x.ConsentHistory), 2)
		if len(x.Orders) != 1 || len(x.Orders[0].Lines) != 2 || x.Orders[0].Total != 1200 {
			t.Errorf("orders: %+v", x.Orders)
		}
		if len(x.Events) != 3 { // two consent.changed, one order.placed
			t.Errorf("events: %d", len(x.Events))
		}
		mustEqual(t, "exported_at", x.ExportedAt, t0)
	})
}

// customerTables lists the tables of the schema with a customer_id column.
func customerTables(t *testing.T, d *db.DB) []string {
	t.Helper()
	q := d.Pick(`SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'customer_id' ORDER BY table_name`,
		`SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND p.name = 'customer_id' ORDER BY m.name`)
	rows, err := d.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.upsert(t, Input{ExternalID: "c"})
		for i := range 5 {
			b.order(t, c.ID, t0.Add(time.Duration(i)*time.Hour), int64(i), nil)
		}
		var got []time.Time
		p := TimelineParams{ShopID: b.shopID, CustomerID: c.ID, Limit: 2}
		for range 5 {
			evs, more, err := b.svc.Timeline(b.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				got = append(got, e.OccurredAt)
			}
			if !more {
				break
			}
			p.Before, p.BeforeID = evs[len(evs)-1].OccurredAt, evs[len(evs)-1].ID
		}
		mustEqual(t, "events", len(got), 5)
		for i := 1; i < len(got); i++ {
			if !got[i].Before(got[i-1]) {
				t.Errorf("not newest first: %v", got)
			}
		}
		other := setup(t, d)
		if _, _, err := other.svc.Timeline(b.ctx, TimelineParams{ShopID: other.shopID, CustomerID: c.ID}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("other shop: %v", err)
		}
	})
}
