package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// BulkTx is a write transaction that loads many rows (see InBulkTx). Its
// statements run as Tx's do; Prepare and CopyFrom are what the connection
// it holds adds.
type BulkTx struct {
	*Tx
	conn *sql.Conn
}

// InBulkTx runs fn in a write transaction, as InTx does, on a connection
// held for the whole call, so that fn may prepare statements and, on
// PostgreSQL, use COPY. Inside fn, use only tx (see InTx).
func (d *DB) InBulkTx(ctx context.Context, fn func(tx *BulkTx) error) (err error) {
	conn, err := d.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	stx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &BulkTx{Tx: &Tx{tx: stx, dialect: d.dialect}, conn: conn}
	return tx.run(func() error { return fn(tx) })
}

// Stmt is a statement prepared in a BulkTx, for running many times.
type Stmt struct{ s *sql.Stmt }

// Prepare prepares query once for running it many times in the
// transaction; the statement is closed when the transaction ends.
func (t *BulkTx) Prepare(ctx context.Context, query string) (*Stmt, error) {
	s, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &Stmt{s: s}, nil
}

// ExecContext runs the statement with args (times normalised as by
// Tx.ExecContext).
func (s *Stmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return s.s.ExecContext(ctx, normalize(args)...)
}

// errCopySQLite is CopyFrom on SQLite, which has no COPY.
var errCopySQLite = errors.New("copy from: PostgreSQL only")

// CopyFrom writes rows into table's columns with PostgreSQL's COPY
// (binary), in the transaction, and returns how many it wrote. next
// returns the values of the next row and true, or false when there are no
// more; the slice may be reused between calls. Values are not normalised:
// pass times in UTC to the microsecond. Table and columns are identifiers
// from the caller's code, never input. It fails on SQLite.
func (t *BulkTx) CopyFrom(ctx context.Context, table string, columns []string, next func() ([]any, bool)) (int64, error) {
	if t.dialect != Postgres {
		return 0, errCopySQLite
	}
	var n int64
	err := t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy from: unexpected driver connection %T", dc)
		}
		var err error
		n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, &copySource{next: next})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w", table, err)
	}
	return n, nil
}

// copySource adapts a next function to pgx.CopyFromSource.
type copySource struct {
	next func() ([]any, bool)
	row  []any
}

func (s *copySource) Next() bool {
	var ok bool
	s.row, ok = s.next()
	return ok
}

func (s *copySource) Values() ([]any, error) { return s.row, nil }
func (s *copySource) Err() error             { return nil }
