package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
)

func TestTimesRoundTripAndSort(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		jst := time.FixedZone("JST", 9*3600)
		times := []time.Time{
			time.Date(2026, 11, 23, 9, 0, 0, 0, jst),
			time.Date(2026, 11, 23, 9, 0, 0, 500_000_000, jst),
			time.Date(2026, 11, 23, 9, 0, 0, 123_456_789, jst),
			time.Date(2026, 11, 23, 0, 0, 0, 120_000_000, time.UTC),
		}
		for i, tm := range times {
			if _, err := d.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)`,
				string(rune('a'+i)), "v", tm); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := d.QueryContext(ctx, `SELECT key, updated_at FROM kv WHERE updated_at >= $1 ORDER BY updated_at`, times[0])
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var k string
			var tm time.Time
			if err := rows.Scan(&k, &tm); err != nil {
				t.Fatal(err)
			}
			if tm.Location() != time.UTC {
				t.Errorf("%s scanned in %v, want UTC", k, tm.Location())
			}
			want := times[k[0]-'a'].UTC().Truncate(time.Microsecond)
			if !tm.Equal(want) {
				t.Errorf("%s = %v, want %v", k, tm, want)
			}
			got = append(got, k)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		// 09:00 JST = 00:00 UTC; 00:00:00.12 UTC comes after 00:00:00.
		if strings.Join(got, "") != "adcb" {
			t.Errorf("order = %v, want a d c b", got)
		}
	})
}

func TestInTxRollsBackAndRunsAfterCommit(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now()
		boom := errors.New("boom")
		ran := false
		err := d.InTx(ctx, func(tx *db.Tx) error {
			tx.AfterCommit(func() { ran = true })
			if _, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('x', 'y', $1)`, now); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || ran {
			t.Fatalf("InTx = %v, after-commit ran = %v", err, ran)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("rolled back row present: n=%d err=%v", n, err)
		}
		if err := d.InTx(ctx, func(tx *db.Tx) error {
			tx.AfterCommit(func() { ran = true })
			_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('x', 'y', $1)`, now)
			return err
		}); err != nil || !ran {
			t.Fatalf("commit: %v, after-commit ran = %v", err, ran)
		}
		_, err = d.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ('x', 'z', $1)`, now)
		if !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate key error %v is not a unique violation", err)
		}
	})
}

func TestConcurrentWritersNeverBusy(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 400)
		for g := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					err := d.InTx(ctx, func(tx *db.Tx) error {
						var n int
						if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n); err != nil {
							return err
						}
						_, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, 'v', $2)`,
							string(rune('A'+g))+string(rune('a'+i)), time.Now())
						return err
					})
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM kv`).Scan(&n); err != nil || n != 400 {
			t.Fatalf("rows = %d, %v", n, err)
		}
	})
}

func TestSQLiteSingleProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "one.db")
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := db.Open(context.Background(), "sqlite:"+path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second open of the same file = %v, want in use", err)
	}
}

// An open that finds the lock held waits briefly for its holder to let go,
// as when a process is exiting or a forked child still shares the lock.
func TestSQLiteOpenWaitsForReleasingHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "one.db")
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		d2, err := db.Open(context.Background(), "sqlite:"+path)
		if err == nil {
			err = d2.Close()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("open after the holder closed: %v", err)
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	t.Parallel()
	_, err := db.Open(context.Background(), "mysql://root:secret@localhost/x")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v", err)
	}
}
