package customer

import (
	"errors"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
)

func TestParseStoredTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want time.Time
		ok   bool
	}{
		{"sqlite, whole second", "2026-11-23 01:00:00+00:00", time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC), true},
		{"sqlite, microseconds", "2026-11-23 01:00:00.000001+00:00", time.Date(2026, 11, 23, 1, 0, 0, 1000, time.UTC), true},
		{"sqlite, trimmed fraction", "1970-01-01 00:00:00.5+00:00", time.Date(1970, 1, 1, 0, 0, 0, 5e8, time.UTC), true},
		{"postgres", "2026-02-28 23:59:59.123456+00", time.Date(2026, 2, 28, 23, 59, 59, 123456000, time.UTC), true},
		{"other zone", "2026-11-23 01:00:00+09:00", time.Time{}, false},
		{"no zone", "2026-11-23 01:00:00", time.Time{}, false},
		{"empty fraction", "2026-11-23 01:00:00.+00", time.Time{}, false},
		{"impossible date", "2026-02-30 01:00:00+00", time.Time{}, false},
		{"not digits", "2026-1x-23 01:00:00+00", time.Time{}, false},
		{"too short", "2026-11-23", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStoredTime(tt.in)
			if tt.ok != (err == nil) || tt.ok && !got.Equal(tt.want) {
				t.Errorf("parseStoredTime(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, errStoredTime) {
				t.Errorf("error %v is not errStoredTime", err)
			}
		})
	}
}

func TestLatestOf(t *testing.T) {
	t.Parallel()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := []struct {
		name  string
		times []time.Time
		ids   []string
		want  string
	}{
		{"latest time", []time.Time{at(3), at(1), at(2)}, []string{"a", "b", "c"}, "a"},
		{"tie: greatest ID", []time.Time{at(1), at(1), at(0)}, []string{"ord_b", "ord_c", "ord_z"}, "ord_c"},
		{"none", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := latestOf(tt.times, tt.ids); got != tt.want {
				t.Errorf("latestOf = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBulkBackfillMatchesRefresh: the first backfill (a bulk load of the
// empty table) stores what the per-customer refresh stores, with order
// times to the microsecond, orders at the same instant (the latest by ID
// gives the consumption days) and half-microsecond medians.
func TestBulkBackfillMatchesRefresh(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		us := func(days int, micros int64) time.Time {
			return t0.Add(-time.Duration(days)*Day + time.Duration(micros)*time.Microsecond)
		}
		var ids []string
		for i, orders := range [][]time.Time{
			{us(50, 1), us(30, 2), us(10, 3), us(9, 999999)},   // own gaps, even count: mean rounds half up
			{us(20, 123456), us(20, 123456)},                   // same instant: one gap, consumption of the latest by ID
			{us(3, 500000)},                                    // shop gap
			{us(400, 7), us(399, 8), us(398, 9)},               // lost
			{us(1, 0), us(1, 1), us(1, 2), us(1, 3), us(1, 4)}, // one-day floor
		} {
			c := b.upsert(t, Input{ExternalID: "c" + itoa(i)})
			ids = append(ids, c.ID)
			for k, at := range orders {
				skus := map[string]*int{"durable": nil}
				if k == len(orders)-1 {
					skus = map[string]*int{"tea" + itoa(i): days(5 + i)}
				}
				b.order(t, c.ID, at, 100, skus)
			}
		}
		if n, err := b.svc.BackfillFreshness(b.ctx); err != nil || n != len(ids) {
			t.Fatalf("BackfillFreshness = %d, %v; want %d", n, err, len(ids))
		}
		bulk := map[string]storedRow{}
		for _, id := range ids {
			bulk[id] = b.stored(t, id)
			if bulk[id].latest == nil {
				t.Fatalf("%s: nothing stored", id)
			}
		}
		if _, err := d.ExecContext(b.ctx, `DELETE FROM customer_freshness`); err != nil {
			t.Fatal(err)
		}
		b.refresh(t, t0, ids...)
		for _, id := range ids {
			if got := b.stored(t, id); !sameRow(got, bulk[id]) {
				t.Errorf("%s: refreshed %s, bulk loaded %s", id, got, bulk[id])
			}
		}
		// The indexes are back: the band filter and the sweep use them.
		cs, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shopID, Band: BandLost})
		if err != nil || len(cs) != 1 || cs[0].ID != ids[3] {
			t.Errorf("List(band=lost) = %d customers, %v; want %s", len(cs), err, ids[3])
		}
	})
}

// TestAppendStoredTime: the bulk load passes times as the text the driver
// would store for them, which SQLite compares as text.
func TestAppendStoredTime(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("JST", 9*3600)
	tests := []struct {
		name string
		in   time.Time
	}{
		{"whole second", time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)},
		{"microseconds", time.Date(2026, 11, 23, 1, 0, 0, 1000, time.UTC)},
		{"trailing zeros", time.Date(2026, 1, 2, 3, 4, 5, 500_000_000, time.UTC)},
		{"nanoseconds", time.Date(2026, 12, 31, 23, 59, 59, 123_456_789, time.UTC)},
		{"other zone", time.Date(2026, 11, 23, 9, 0, 0, 120_000, jst)},
		{"small year", time.Date(33, 3, 3, 3, 3, 3, 3, time.UTC)},
		{"zero", time.Time{}},
		{"far future", time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := tt.in.UTC().Format(storedTimeLayout)
			if got := string(appendStoredTime([]byte("x"), tt.in)); got != "x"+want {
				t.Errorf("appendStoredTime(%v) = %q, want %q", tt.in, got, "x"+want)
			}
		})
	}
}

// TestBulkBackfillFullChunks: a bulk load of more than one full chunk (the
// prepared statement on SQLite, COPY on PostgreSQL) stores what the
// per-customer refresh stores, times in the same text.
func TestBulkBackfillFullChunks(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		n := 2*bulkChunk + 7
		b := benchFixture(t, d, n)
		if got, err := b.svc.RecomputeAllFreshness(b.ctx, b.shopID); err != nil || got != n {
			t.Fatalf("RecomputeAllFreshness = %d, %v; want %d", got, err, n)
		}
		const text = `SELECT latest_order_at || '', band_since || '', COALESCE(next_band_at || '', ''), freshness_at || ''
FROM customer_freshness WHERE shop_id = $1 AND customer_id = $2`
		ids := []string{"cus_000000000", "cus_000000001", "cus_000001999", "cus_000002000", "cus_000004006"}
		bulk := map[string]storedRow{}
		bulkText := map[string][4]string{}
		for _, id := range ids {
			bulk[id] = b.stored(t, id)
			var v [4]string
			if err := d.QueryRowContext(b.ctx, text, b.shopID, id).Scan(&v[0], &v[1], &v[2], &v[3]); err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			bulkText[id] = v
		}
		if _, err := d.ExecContext(b.ctx, `DELETE FROM customer_freshness`); err != nil {
			t.Fatal(err)
		}
		b.refresh(t, t0, ids...)
		for _, id := range ids {
			if got := b.stored(t, id); !sameRow(got, bulk[id]) {
				t.Errorf("%s: refreshed %s, bulk loaded %s", id, got, bulk[id])
			}
			var v [4]string
			if err := d.QueryRowContext(b.ctx, text, b.shopID, id).Scan(&v[0], &v[1], &v[2], &v[3]); err != nil {
				t.Fatal(err)
			}
			if v != bulkText[id] {
				t.Errorf("%s: refreshed times %q, bulk loaded %q", id, v, bulkText[id])
			}
		}
	})
}
