package customer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// The bulk load of customer_freshness: the first backfill after migration
// 00007 writes a row per customer of the shop into the empty table, in one
// transaction (db.InBulkTx). docs/performance.md ("Freshness") has the
// figures behind each choice.

// errNotEmpty tells RecomputeAllFreshness that customer_freshness holds
// rows, so it cannot be bulk loaded.
var errNotEmpty = errors.New("customer_freshness is not empty")

// bulkChunk is how many rows one SQLite INSERT of the bulk load writes
// (7 parameters each: 14,000, under SQLite's limit of 32,766). The
// statement is prepared once: parsing its text for each chunk cost more
// than a second per million rows.
const bulkChunk = 2000

// insertShopFreshnessSQLite inserts new rows of one shop; the shop and the
// time of computation are one parameter each, so a row takes 7.
const insertShopFreshnessSQLite = upsertFreshnessCols + `
SELECT ?, column1, column2, column3, column4, column5, column6, column7, ? FROM (VALUES %s)`

// freshnessCopyColumns are the columns the PostgreSQL bulk load copies.
var freshnessCopyColumns = []string{"shop_id", "customer_id", "latest_order_at", "expected_interval_seconds",
	"freshness_rule", "freshness_band", "band_since", "next_band_at", "freshness_at"}

// bulkLoad writes a row for each of cs (rowOf gives it) into
// customer_freshness when the table is empty, in one transaction: the two
// secondary indexes are dropped, the rows inserted in key order without a
// conflict clause (PostgreSQL: one COPY), and the indexes built again,
// each by one sort. Dropping an index locks the table (PostgreSQL: ACCESS
// EXCLUSIVE until commit), so nothing else writes it meanwhile; as it is
// empty, nothing reads a row of it either. It returns errNotEmpty, having
// changed nothing, when the table holds rows.
func (s *Service) bulkLoad(ctx context.Context, shopID string, cs []backfillCustomer,
	rowOf func(backfillCustomer) freshnessRow, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	var empty bool
	if err := s.db.QueryRowContext(ctx, freshnessEmptySQL).Scan(&empty); err != nil {
		return fmt.Errorf("stored freshness: %w", err)
	}
	if !empty {
		return errNotEmpty
	}
	now = now.UTC().Truncate(time.Microsecond)
	return s.db.InBulkTx(ctx, func(tx *db.BulkTx) error {
		drop := []string{dropFreshnessBandIndex, dropFreshnessNextIndex}
		if tx.Dialect() == db.Postgres {
			// The band index's million entries (~70 MB) then sort in
			// memory instead of in temporary files (default 64 MB).
			drop = append(drop, bulkIndexMemoryPG)
		}
		for _, q := range drop {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("bulk load freshness: %w", err)
			}
		}
		if err := tx.QueryRowContext(ctx, freshnessEmptySQL).Scan(&empty); err != nil || !empty {
			return cmp.Or(err, errNotEmpty) // written since the first look: rolled back
		}
		var err error
		if tx.Dialect() == db.Postgres {
			err = s.copyFreshness(ctx, tx, shopID, cs, rowOf, now)
		} else {
			err = s.insertFreshnessSQLite(ctx, tx, shopID, cs, rowOf, now)
		}
		if err != nil {
			return err
		}
		for _, q := range []string{createFreshnessBandIndex, createFreshnessNextIndex} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("bulk load freshness: %w", err)
			}
		}
		return nil
	})
}

// insertFreshnessSQLite inserts the rows of cs, bulkChunk per statement,
// the full chunks through one prepared statement. Times are passed as the
// text db would store for them (appendStoredTime), which costs a fifth of
// the driver's formatting.
func (s *Service) insertFreshnessSQLite(ctx context.Context, tx *db.BulkTx, shopID string, cs []backfillCustomer,
	rowOf func(backfillCustomer) freshnessRow, now time.Time) error {
	var full *db.Stmt
	if len(cs) >= bulkChunk {
		var err error
		if full, err = tx.Prepare(ctx, fmt.Sprintf(insertShopFreshnessSQLite, valuesRows(bulkChunk, 7))); err != nil {
			return fmt.Errorf("store freshness: %w", err)
		}
	}
	rows := make([]freshnessRow, 0, bulkChunk)
	args := make([]any, 0, 2+7*bulkChunk)
	var buf []byte
	stamp := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		buf = appendStoredTime(buf[:0], *t)
		return string(buf)
	}
	for start := 0; start < len(cs); start += bulkChunk {
		part := cs[start:min(start+bulkChunk, len(cs))]
		rows, args = rows[:0], append(args[:0], shopID, stamp(&now))
		for _, c := range part {
			r := rowOf(c)
			rows = append(rows, r)
			interval, rule, band := freshnessInputs(r)
			args = append(args, r.id, stamp(r.latest), interval, rule, band, stamp(r.since), stamp(r.next))
		}
		var err error
		if len(part) == bulkChunk {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, fmt.Sprintf(insertShopFreshnessSQLite, valuesRows(len(part), 7)), args...)
		}
		if err != nil {
			return fmt.Errorf("store freshness: %w", err)
		}
		if err := s.sweepSoon(ctx, tx, rows, now); err != nil {
			return err
		}
	}
	return nil
}

// valuesRows is n rows of k "?" for a VALUES list. Plain "?": SQLite
// resolves "$n" by a linear search of the names seen so far.
func valuesRows(n, k int) string {
	row := "(?" + strings.Repeat(",?", k-1) + ")"
	var b strings.Builder
	b.Grow(n * (len(row) + 1))
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

// copyFreshness writes the rows of cs with one COPY, computing each as
// COPY asks for it, then schedules the sweeps the rows need.
func (s *Service) copyFreshness(ctx context.Context, tx *db.BulkTx, shopID string, cs []backfillCustomer,
	rowOf func(backfillCustomer) freshnessRow, now time.Time) error {
	var soon []freshnessRow // rows whose next band begins within maxSweepDelay
	horizon := now.Add(maxSweepDelay)
	vals := make([]any, len(freshnessCopyColumns))
	i := 0
	next := func() ([]any, bool) {
		if i == len(cs) {
			return nil, false
		}
		r := rowOf(cs[i])
		i++
		if r.next != nil && r.next.Before(horizon) {
			soon = append(soon, r)
		}
		interval, rule, band := freshnessInputs(r)
		vals[0], vals[1], vals[2], vals[3], vals[4] = shopID, r.id, timeArg(r.latest), interval, rule
		vals[5], vals[6], vals[7], vals[8] = band, timeArg(r.since), timeArg(r.next), now
		return vals, true
	}
	if _, err := tx.CopyFrom(ctx, "customer_freshness", freshnessCopyColumns, next); err != nil {
		return fmt.Errorf("store freshness: %w", err)
	}
	return s.sweepSoon(ctx, tx, soon, now)
}

// storedTimeLayout is how modernc.org/sqlite writes a time.Time parameter
// with db's settings (_time_format=sqlite, UTC).
const storedTimeLayout = "2006-01-02 15:04:05.999999999-07:00"

// appendStoredTime appends t as SQLite stores it when given as a time.Time
// (t.UTC().Format(storedTimeLayout)): the stored text must be the same
// either way, as SQLite compares times as text.
func appendStoredTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, storedTimeLayout)
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, ' ')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	if ns := t.Nanosecond(); ns != 0 {
		width := 9
		for ns%10 == 0 {
			ns /= 10
			width--
		}
		b = append(b, '.')
		b = appendDigits(b, ns, width)
	}
	return append(b, "+00:00"...)
}

// appendDigits appends n (≥ 0) in decimal, zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var d [10]byte
	i := len(d)
	for n > 0 || width > 0 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	return append(b, d[i:]...)
}
