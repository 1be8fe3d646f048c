package db

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// MigrateOptions tune Migrate.
type MigrateOptions struct {
	// NoLock skips PostgreSQL's advisory lock. Only for tests, where each test
	// migrates a schema of its own and the global lock would serialise them.
	NoLock bool
}

// Migrate applies every embedded migration not yet applied and returns how
// many it applied. On PostgreSQL an advisory lock makes nodes that start
// together take turns, so each migration runs once.
func (d *DB) Migrate(ctx context.Context, opts MigrateOptions) (int, error) {
	dir := "migrations/sqlite"
	dialect := goose.DialectSQLite3
	var popts []goose.ProviderOption
	if d.dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		if !opts.NoLock {
			locker, err := lock.NewPostgresSessionLocker()
			if err != nil {
				return 0, fmt.Errorf("migration lock: %w", err)
			}
			popts = append(popts, goose.WithSessionLocker(locker))
		}
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	p, err := goose.NewProvider(dialect, d.w, sub, popts...)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate: %w", err)
	}
	return len(res), nil
}
