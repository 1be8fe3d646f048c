package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// sqlitePragmas are internal/db's (unexported there), so that River's SQLite
// runs under the same durability settings as ours.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)" +
	"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-20000)&_time_format=sqlite&_timezone=UTC"

// riverOptions tune the River client.
type riverOptions struct {
	fetchCooldown time.Duration
	rescueAfter   time.Duration // 0: River's default (1 h)
	jobTimeout    time.Duration // 0: River's default (1 min)
}

// riverSystem is River on one engine; TTx is *sql.Tx (SQLite) or pgx.Tx.
type riverSystem[TTx any] struct {
	driver riverdriver.Driver[TTx]
	begin  func(ctx context.Context) (TTx, func(context.Context) error, func(context.Context), error)
	exec   func(ctx context.Context, query string, args ...any) error
	count  func(ctx context.Context, query string) (int, error)
	close  func()
	opts   riverOptions
	client *river.Client[TTx] // insert-only until Start
	worker workFunc
}

func openRiver(ctx context.Context, rawURL string, opts riverOptions) (system, error) {
	if path, ok := strings.CutPrefix(rawURL, "sqlite:"); ok {
		return openRiverSQLite(ctx, path, opts)
	}
	return openRiverPostgres(ctx, rawURL, opts)
}

func openRiverSQLite(ctx context.Context, path string, opts riverOptions) (system, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	sqlDB, err := sql.Open("sqlite", "file:"+(&url.URL{Path: abs}).EscapedPath()+"?_pragma=journal_mode(WAL)&"+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(1) // River's advice for SQLite, and internal/db's write pool
	s := &riverSystem[*sql.Tx]{
		driver: riversqlite.New(sqlDB),
		begin: func(ctx context.Context) (*sql.Tx, func(context.Context) error, func(context.Context), error) {
			tx, err := sqlDB.BeginTx(ctx, nil)
			if err != nil {
				return nil, nil, nil, err
			}
			return tx, func(context.Context) error { return tx.Commit() }, func(context.Context) { _ = tx.Rollback() }, nil
		},
		exec: func(ctx context.Context, q string, args ...any) error {
			_, err := sqlDB.ExecContext(ctx, q, args...)
			return err
		},
		count: func(ctx context.Context, q string) (n int, err error) {
			err = sqlDB.QueryRowContext(ctx, q).Scan(&n)
			return n, err
		},
		close: func() { _ = sqlDB.Close() },
		opts:  opts,
	}
	return s, s.init(ctx)
}

func openRiverPostgres(ctx context.Context, rawURL string, opts riverOptions) (system, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 20 // as internal/db's pool
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &riverSystem[pgx.Tx]{
		driver: riverpgxv5.New(pool),
		begin: func(ctx context.Context) (pgx.Tx, func(context.Context) error, func(context.Context), error) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				return nil, nil, nil, err
			}
			return tx, tx.Commit, func(ctx context.Context) { _ = tx.Rollback(ctx) }, nil
		},
		exec: func(ctx context.Context, q string, args ...any) error {
			_, err := pool.Exec(ctx, q, args...)
			return err
		},
		count: func(ctx context.Context, q string) (n int, err error) {
			err = pool.QueryRow(ctx, q).Scan(&n)
			return n, err
		},
		close: pool.Close,
		opts:  opts,
	}
	return s, s.init(ctx)
}

func (s *riverSystem[TTx]) init(ctx context.Context) error {
	m, err := rivermigrate.New(s.driver, nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrate: %w", err)
	}
	s.client, err = river.NewClient(s.driver, s.config(0))
	return err
}

// config is River's client configuration; conc 0 makes an insert-only client.
func (s *riverSystem[TTx]) config(conc int) *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, j *river.Job[spikeArgs]) error {
		return s.worker(ctx, j.ID, j.Attempt)
	}))
	cfg := &river.Config{
		Workers:              workers,
		Logger:               slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		RescueStuckJobsAfter: s.opts.rescueAfter,
		JobTimeout:           s.opts.jobTimeout,
	}
	if conc > 0 {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: conc}}
		cfg.FetchCooldown = s.opts.fetchCooldown
		cfg.FetchPollInterval = max(s.opts.fetchCooldown, 50*time.Millisecond)
	}
	return cfg
}

func (s *riverSystem[TTx]) inTx(ctx context.Context, fn func(TTx) error) error {
	tx, commit, rollback, err := s.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		rollback(ctx)
		return err
	}
	return commit(ctx)
}

func insertOpts(runAt time.Time) *river.InsertOpts {
	if runAt.IsZero() {
		return nil
	}
	return &river.InsertOpts{ScheduledAt: runAt}
}

func (s *riverSystem[TTx]) InsertOne(ctx context.Context, n int, runAt time.Time) error {
	for i := range n {
		err := s.inTx(ctx, func(tx TTx) error {
			_, err := s.client.InsertTx(ctx, tx, spikeArgs{N: i}, insertOpts(runAt))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *riverSystem[TTx]) InsertBatch(ctx context.Context, n int, runAt time.Time) error {
	for i := 0; i < n; i += batchSize {
		params := make([]river.InsertManyParams, 0, batchSize)
		for k := i; k < min(n, i+batchSize); k++ {
			params = append(params, river.InsertManyParams{Args: spikeArgs{N: k}, InsertOpts: insertOpts(runAt)})
		}
		err := s.inTx(ctx, func(tx TTx) error {
			_, err := s.client.InsertManyFastTx(ctx, tx, params)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *riverSystem[TTx]) Start(ctx context.Context, conc int, f workFunc) error {
	s.worker = f
	c, err := river.NewClient(s.driver, s.config(conc))
	if err != nil {
		return err
	}
	s.client = c
	return c.Start(ctx)
}

func (s *riverSystem[TTx]) Stop(ctx context.Context) error { return s.client.Stop(ctx) }

func (s *riverSystem[TTx]) Pending(ctx context.Context) (int, error) {
	return s.count(ctx, `SELECT COUNT(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled')`)
}

func (s *riverSystem[TTx]) Clear(ctx context.Context) error {
	return s.exec(ctx, `DELETE FROM river_job`)
}

func (s *riverSystem[TTx]) Exec(ctx context.Context, q string, args ...any) error {
	return s.exec(ctx, q, args...)
}

func (s *riverSystem[TTx]) Close() { s.close() }
