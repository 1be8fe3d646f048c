package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/jobs"
)

// ours is internal/jobs on a database opened by internal/db (so SQLite gets
// exactly the application's pragmas and single-writer pool).
type ours struct {
	d           *db.DB
	q           *jobs.Queue
	r           *jobs.Runner
	nodeID      string
	nodeTimeout time.Duration
}

func openOurs(ctx context.Context, url, nodeID string, nodeTimeout time.Duration) (*ours, error) {
	d, err := db.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx, db.MigrateOptions{NoLock: true}); err != nil {
		_ = d.Close()
		return nil, err
	}
	return &ours{d: d, q: jobs.NewQueue(clock.Real{}), nodeID: nodeID, nodeTimeout: nodeTimeout}, nil
}

func (o *ours) insert(ctx context.Context, tx db.DBTX, runAt time.Time, i int) error {
	_, _, err := o.q.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: "spike", Args: spikeArgs{N: i}, RunAt: runAt})
	return err
}

func (o *ours) InsertOne(ctx context.Context, n int, runAt time.Time) error {
	for i := range n {
		if err := o.d.InTx(ctx, func(tx *db.Tx) error { return o.insert(ctx, tx, runAt, i) }); err != nil {
			return err
		}
	}
	return nil
}

func (o *ours) InsertBatch(ctx context.Context, n int, runAt time.Time) error {
	for i := 0; i < n; i += batchSize {
		err := o.d.InTx(ctx, func(tx *db.Tx) error {
			for k := i; k < min(n, i+batchSize); k++ {
				if err := o.insert(ctx, tx, runAt, k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (o *ours) Start(ctx context.Context, conc int, f workFunc) error {
	o.r = jobs.NewRunner(o.d, clock.Real{}, jobs.RunnerOptions{
		NodeID: o.nodeID, Queue: o.q, Concurrency: conc, NodeTimeout: o.nodeTimeout,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	o.r.Register(jobs.Func("spike", func(ctx context.Context, j *jobs.Job) error {
		return f(ctx, j.ID, j.Attempt)
	}))
	return o.r.Start(ctx)
}

func (o *ours) Stop(context.Context) error {
	o.r.Stop()
	return nil
}

func (o *ours) Pending(ctx context.Context) (int, error) {
	var n int
	err := o.d.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE state <> 'failed'`).Scan(&n)
	return n, err
}

func (o *ours) Clear(ctx context.Context) error { return o.Exec(ctx, `DELETE FROM jobs`) }

func (o *ours) Exec(ctx context.Context, query string, args ...any) error {
	if _, err := o.d.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	return nil
}

func (o *ours) Close() { _ = o.d.Close() }
