// Package db opens the database, runs migrations and hands out transactions.
//
// Two engines sit behind one API: SQLite (modernc.org/sqlite, pure Go) by
// default and PostgreSQL (pgx in database/sql mode) when the URL says so.
// Every difference between them lives in this package or in a Pick between
// two query strings in a store: never in an `if sqlite` elsewhere.
//
// Invariants:
//   - SQL uses PostgreSQL-style $1 placeholders; modernc.org/sqlite accepts
//     them natively (they are truly positional there), so no rewrite is needed.
//   - All times are written in UTC with microsecond precision (the precision
//     PostgreSQL keeps); SQLite stores them as text that sorts in time order.
//   - SQLite has one writer: writes and transactions go through a pool of one
//     connection opened with BEGIN IMMEDIATE, reads through a separate pool,
//     and one process holds the file (an advisory lock), so a second
//     `kizukai serve` on the same file refuses to start.
//
// It imports nothing from the project.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// Dialect names a storage engine.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Pick returns the query string for this dialect.
func (d Dialect) Pick(pg, sqlite string) string {
	if d == Postgres {
		return pg
	}
	return sqlite
}

// DBTX is what store methods run on: the database itself or a transaction,
// so that one method works both inside and outside a transaction.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	// Dialect tells which engine runs the statement, for the rare query that
	// must differ between engines (see Dialect.Pick).
	Dialect() Dialect
}

// DB is an open database.
type DB struct {
	dialect Dialect
	w       *sql.DB  // writes and transactions
	r       *sql.DB  // reads outside transactions (the same pool on PostgreSQL)
	lock    *os.File // SQLite: the advisory lock that makes this process the file's only user
	desc    string   // for messages: engine and file or host, never a password
}

// Open opens the database named by rawURL:
//
//	sqlite:PATH, sqlite://PATH, file:PATH or a bare path ending in .db  → SQLite
//	postgres://... or postgresql://...                                   → PostgreSQL
//
// It does not run migrations (see Migrate).
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return openPostgres(ctx, rawURL)
	case strings.HasPrefix(rawURL, "sqlite://"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite://"))
	case strings.HasPrefix(rawURL, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "sqlite:"))
	case strings.HasPrefix(rawURL, "file:"):
		return openSQLite(ctx, strings.TrimPrefix(rawURL, "file:"))
	case strings.HasSuffix(rawURL, ".db"), strings.HasSuffix(rawURL, ".sqlite"):
		return openSQLite(ctx, rawURL)
	}
	return nil, fmt.Errorf("database URL must start with sqlite: or postgres:// (got %q)", redact(rawURL))
}

// sqlitePragmas are set on every new connection (per-connection pragmas such
// as foreign_keys and busy_timeout do not persist in the file, and
// modernc.org/sqlite leaves busy_timeout at 0 and foreign_keys off).
// synchronous=FULL: a committed message row must survive a power loss, or a
// restart could send it again (shared/research/reliability.md §5).
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)" +
	"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-20000)&_time_format=sqlite&_timezone=UTC"

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite database path is empty")
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return nil, errors.New("sqlite database path must not carry options: Kizukai sets them")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite path: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite directory: %w", err)
	}
	lock, err := os.OpenFile(abs+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite lock file: %w", err)
	}
	if err := flockWait(ctx, lock); err != nil {
		_ = lock.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("database %s is in use by another kizukai process (SQLite allows one; use PostgreSQL for several nodes)", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}

	fileURL := "file:" + (&url.URL{Path: abs}).EscapedPath()
	w, err := openCaching(fileURL + "?_pragma=journal_mode(WAL)&" + sqlitePragmas + "&_txlock=immediate")
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	// One writer: SQLite serialises writers anyway, and a pool of one turns
	// what would be SQLITE_BUSY errors into an orderly queue in Go.
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		_ = lock.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := openCaching(fileURL + "?" + sqlitePragmas + "&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		_ = lock.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	r.SetMaxOpenConns(8)
	return &DB{dialect: SQLite, w: w, r: r, lock: lock, desc: "sqlite:" + path}, nil
}

// openCaching opens a pool of SQLite connections that cache their prepared
// statements (see stmtcache.go).
func openCaching(dsn string) (*sql.DB, error) {
	c, err := newCachingConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// lockWait is how long Open waits for a lock that another holder is about
// to release: a process that is exiting, or a child forked by this one that
// has not yet reached exec (the lock belongs to the open file, which the
// child shares until exec closes its copy).
const lockWait = 2 * time.Second

// flockWait takes the lock, retrying for up to lockWait while it is held.
func flockWait(ctx context.Context, f *os.File) error {
	t := time.NewTimer(lockWait)
	defer t.Stop()
	for {
		err := flock(f)
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		select {
		case <-t.C:
			return err
		case <-ctx.Done():
			return err
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// flock takes the file's exclusive advisory lock without waiting, retrying
// when a signal (such as the Go runtime's preemption signal) interrupts it.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("postgres URL: %s", redact(err.Error()))
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	afterConnect := stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		// Scan timestamptz in UTC, as SQLite does, so values compare equal
		// across engines and print with "Z".
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	})
	p := stdlib.OpenDB(*cfg, afterConnect)
	p.SetMaxOpenConns(20)
	p.SetMaxIdleConns(10)
	p.SetConnMaxIdleTime(5 * time.Minute)
	if err := p.PingContext(ctx); err != nil {
		_ = p.Close()
		return nil, fmt.Errorf("connect to postgres %s: %s", cfg.Host, redact(err.Error()))
	}
	return &DB{dialect: Postgres, w: p, r: p, desc: fmt.Sprintf("postgres://%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)}, nil
}

// redact removes a password from a URL-like string before it is shown.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return s
}

// Close closes the pools and releases the SQLite file.
func (d *DB) Close() error {
	err := d.w.Close()
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	if d.lock != nil {
		err = errors.Join(err, d.lock.Close())
	}
	return err
}

// Dialect tells which engine this is.
func (d *DB) Dialect() Dialect { return d.dialect }

// Pick returns the query string for this database's dialect.
func (d *DB) Pick(pg, sqlite string) string { return d.dialect.Pick(pg, sqlite) }

// String describes the database without secrets, for logs.
func (d *DB) String() string { return d.desc }

// Pools returns the connection pools, for metrics only: the write pool and
// the read pool (the same on PostgreSQL).
func (d *DB) Pools() (write, read *sql.DB) { return d.w, d.r }

// ExecContext runs a statement on the write pool.
func (d *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.w.ExecContext(ctx, query, normalize(args)...)
}

// QueryContext runs a query on the read pool, or on the write pool when the
// statement writes (INSERT/UPDATE/DELETE ... RETURNING).
func (d *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.pool(query).QueryContext(ctx, query, normalize(args)...)
}

// QueryRowContext is QueryContext for one row.
func (d *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.pool(query).QueryRowContext(ctx, query, normalize(args)...)
}

func (d *DB) pool(query string) *sql.DB {
	q := strings.TrimLeft(query, " \t\r\n")
	if len(q) >= 6 {
		switch strings.ToUpper(q[:6]) {
		case "INSERT", "UPDATE", "DELETE":
			return d.w
		}
	}
	return d.r
}

// Tx is a write transaction.
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	after   []func()
}

// ExecContext runs a statement in the transaction.
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, query, normalize(args)...)
}

// QueryContext runs a query in the transaction.
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, query, normalize(args)...)
}

// QueryRowContext runs a query for one row in the transaction.
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, query, normalize(args)...)
}

// Dialect tells which engine runs the transaction.
func (t *Tx) Dialect() Dialect { return t.dialect }

// Pick returns the query string for the transaction's dialect.
func (t *Tx) Pick(pg, sqlite string) string { return t.dialect.Pick(pg, sqlite) }

// AfterCommit registers f to run once the transaction has committed (for
// example to wake the job runner). It does not run on rollback.
func (t *Tx) AfterCommit(f func()) { t.after = append(t.after, f) }

// InTx runs fn in a write transaction: committed when fn returns nil, rolled
// back otherwise. Inside fn, use only tx: on SQLite the one write connection
// is held by the transaction, so a statement on d itself would wait forever.
func (d *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: stx, dialect: d.dialect}
	return tx.run(func() error { return fn(tx) })
}

// run runs fn in the begun transaction: rolled back when fn fails, else
// committed, then the functions registered with AfterCommit run.
func (tx *Tx) run(fn func() error) error {
	if err := fn(); err != nil {
		_ = tx.tx.Rollback() // the error from fn is the one worth returning
		return err
	}
	if err := tx.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range tx.after {
		f()
	}
	return nil
}

// normalize writes times in UTC at microsecond precision, so that both
// engines store and compare the same instants the same way.
func normalize(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UTC().Truncate(time.Microsecond)
		case *time.Time:
			if v != nil {
				args[i] = v.UTC().Truncate(time.Microsecond)
			}
		}
	}
	return args
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var pe interface{ SQLState() string }
	if errors.As(err, &pe) {
		return pe.SQLState() == "23505"
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: UNIQUE")
}
