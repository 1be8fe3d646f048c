// Package dbtest gives tests real databases of both engines.
//
// Each runs a test once per available engine, so store tests are a
// conformance suite: SQLite always (a fresh migrated file per test, copied
// from a template migrated once per package), PostgreSQL when
// KIZUKAI_TEST_POSTGRES holds a URL (a fresh migrated schema per test,
// dropped afterwards, so runs never collide). With KIZUKAI_REQUIRE_POSTGRES=1
// a missing PostgreSQL fails the test instead of skipping it.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for schema set-up

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/id"
)

// Each runs fn as one subtest per available engine ("sqlite", "postgres").
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fn(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, Postgres(t))
	})
}

var (
	templateOnce sync.Once
	templatePath string
	templateErr  error
)

// SQLite returns a fresh, migrated SQLite database in t.TempDir().
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "kizukai-dbtest-*")
		if err != nil {
			templateErr = err
			return
		}
		templatePath = filepath.Join(dir, "template.db")
		d, err := db.Open(context.Background(), "sqlite:"+templatePath)
		if err != nil {
			templateErr = err
			return
		}
		if _, err := d.Migrate(context.Background(), db.MigrateOptions{}); err != nil {
			templateErr = err
		}
		// Closing checkpoints the WAL into the main file, which is then
		// complete on its own and can be copied.
		if err := d.Close(); err != nil && templateErr == nil {
			templateErr = err
		}
	})
	if templateErr != nil {
		t.Fatalf("sqlite template: %v", templateErr)
	}
	path := filepath.Join(t.TempDir(), "kizukai.db")
	if err := copyFile(templatePath, path); err != nil {
		t.Fatalf("copy sqlite template: %v", err)
	}
	d, err := db.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		return err
	}
	return dst.Close()
}

// PostgresURL returns the configured test server's URL, skipping (or, with
// KIZUKAI_REQUIRE_POSTGRES=1, failing) the test when there is none.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("KIZUKAI_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("KIZUKAI_REQUIRE_POSTGRES") == "1" {
			t.Fatal("KIZUKAI_REQUIRE_POSTGRES=1 but KIZUKAI_TEST_POSTGRES is not set")
		}
		t.Skip("PostgreSQL not configured: set KIZUKAI_TEST_POSTGRES to run this test on it")
	}
	return u
}

// Postgres returns a fresh, migrated PostgreSQL schema of its own, dropped
// when the test ends.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	base := PostgresURL(t)
	schema := strings.ReplaceAll(id.New("t"), "_", "")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("create schema (is PostgreSQL running at KIZUKAI_TEST_POSTGRES?): %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, u)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if _, err := d.Migrate(ctx, db.MigrateOptions{NoLock: true}); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return d
}

// PostgresSchemaURL creates an empty schema of its own (dropped at the end of
// the test) and returns a URL that uses it, for tests that run a whole
// `kizukai` process against PostgreSQL.
func PostgresSchemaURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	schema := strings.ReplaceAll(id.New("t"), "_", "")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		_ = admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func withSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("KIZUKAI_TEST_POSTGRES: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
