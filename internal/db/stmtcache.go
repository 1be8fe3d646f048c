package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"sync"

	"modernc.org/sqlite"
)

// A statement cache for SQLite. modernc.org/sqlite parses every statement
// run through ExecContext/QueryContext again (sqlite3_prepare on each call:
// about a quarter of the CPU of a recall), while a prepared statement keeps
// its compiled form. cachingConn keeps, per connection, the prepared form of
// each statement text it runs and reuses it. PostgreSQL needs none of this:
// pgx caches prepared statements per connection by itself.
//
// A cached statement runs one thing at a time: a query whose rows are still
// open holds it, and the same text run meanwhile on the same connection (a
// nested query inside a transaction) takes the uncached path.

// maxCachedStmts bounds the statements cached per connection; maxCachedLen
// leaves out long texts (multi-row inserts, whose texts vary with the
// number of rows and are parsed once for many rows anyway).
const (
	maxCachedStmts = 512
	maxCachedLen   = 4096
)

// cachingConnector opens modernc.org/sqlite connections that cache their
// statements.
type cachingConnector struct{ inner driver.Connector }

func newCachingConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{inner: c}, nil
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: conn, stmts: map[string]*cachedStmt{}}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.inner.Driver() }

// sqliteConn is what cachingConn needs of a modernc.org/sqlite connection.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachingConn struct {
	inner driver.Conn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool // rows of a query on it are open
}

func (c *cachingConn) sq() sqliteConn { return c.inner.(sqliteConn) }

// take returns the cached statement of query, preparing it on first use,
// marked busy; nil when the statement is not to be cached or is busy.
func (c *cachingConn) take(ctx context.Context, query string) *cachedStmt {
	if len(query) > maxCachedLen || strings.Contains(query, ";") {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil
		}
		s.busy = true
		return s
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil
	}
	ds, err := c.sq().PrepareContext(ctx, query)
	if err != nil {
		return nil // the uncached path reports the error
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		_ = ds.Close()
		return nil
	}
	s := &cachedStmt{stmt: st, busy: true}
	c.stmts[query] = s
	return s
}

func (c *cachingConn) release(s *cachedStmt) {
	c.mu.Lock()
	s.busy = false
	c.mu.Unlock()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s := c.take(ctx, query)
	if s == nil {
		return c.sq().ExecContext(ctx, query, args)
	}
	defer c.release(s)
	return s.stmt.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s := c.take(ctx, query)
	if s == nil {
		return c.sq().QueryContext(ctx, query, args)
	}
	r, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		c.release(s)
		return nil, err
	}
	return &cachedRows{Rows: r, release: func() { c.release(s) }}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.sq().PrepareContext(ctx, query)
}

// Begin is part of driver.Conn; database/sql calls BeginTx.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.sq().BeginTx(context.Background(), driver.TxOptions{})
}
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.sq().BeginTx(ctx, opts)
}
func (c *cachingConn) Ping(ctx context.Context) error         { return c.sq().Ping(ctx) }
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.sq().ResetSession(ctx) }
func (c *cachingConn) IsValid() bool                          { return c.sq().IsValid() }

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	var errList []error
	for q, s := range c.stmts {
		errList = append(errList, s.stmt.Close())
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	return errors.Join(append(errList, c.inner.Close())...)
}

// cachedRows are the rows of a cached statement: closing them frees the
// statement for its next use.
type cachedRows struct {
	driver.Rows
	release func()
	closed  bool
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.release()
	}
	return err
}

// The column-type methods of the driver's rows, passed through.

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
