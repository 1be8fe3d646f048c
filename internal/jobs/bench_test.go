package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
)

// eachEngine runs the benchmark on SQLite and, with KIZUKAI_TEST_POSTGRES
// set, on PostgreSQL.
func eachEngine(b *testing.B, fn func(b *testing.B, d *db.DB)) {
	b.Run("sqlite", func(b *testing.B) { fn(b, dbtest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { fn(b, dbtest.Postgres(b)) })
}

func BenchmarkEnqueue(b *testing.B) {
	eachEngine(b, func(b *testing.B, d *db.DB) {
		ctx := context.Background()
		q := jobs.NewQueue(clock.NewSimulated(start))
		for b.Loop() {
			err := d.InTx(ctx, func(tx *db.Tx) error {
				_, _, err := q.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: "noop", Args: greetArgs{Name: "Ada"}})
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
}

func BenchmarkEnqueueBatch(b *testing.B) {
	eachEngine(b, func(b *testing.B, d *db.DB) {
		ctx := context.Background()
		q := jobs.NewQueue(clock.NewSimulated(start))
		for b.Loop() {
			if err := enqueueMany(ctx, d, q, 1000, time.Time{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "jobs/s")
	})
}

func enqueueMany(ctx context.Context, d *db.DB, q *jobs.Queue, n int, runAt time.Time) error {
	return d.InTx(ctx, func(tx *db.Tx) error {
		for range n {
			if _, _, err := q.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: "noop", Args: greetArgs{Name: "Ada"}, RunAt: runAt}); err != nil {
				return err
			}
		}
		return nil
	})
}

// BenchmarkWork measures no-op jobs worked per second by a started runner.
func BenchmarkWork(b *testing.B) {
	for _, conc := range []int{10, 50} {
		b.Run(fmt.Sprint("concurrency=", conc), func(b *testing.B) {
			eachEngine(b, func(b *testing.B, d *db.DB) {
				ctx := context.Background()
				sim := clock.NewSimulated(start)
				q := jobs.NewQueue(sim)
				for i := 0; i < b.N; i += 1000 {
					if err := enqueueMany(ctx, d, q, min(1000, b.N-i), time.Time{}); err != nil {
						b.Fatal(err)
					}
				}
				var done atomic.Int64
				all := make(chan struct{})
				r := jobs.NewRunner(d, sim, jobs.RunnerOptions{Queue: q, Concurrency: conc, Logger: slog.New(slog.DiscardHandler)})
				r.Register(jobs.Func("noop", func(context.Context, *jobs.Job) error {
					if done.Add(1) == int64(b.N) {
						close(all)
					}
					return nil
				}))
				b.ResetTimer()
				if err := r.Start(ctx); err != nil {
					b.Fatal(err)
				}
				<-all
				r.Stop()
				b.StopTimer()
				if s := r.Stats(); s.Completed != uint64(b.N) {
					b.Fatalf("stats %+v", s)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
			})
		})
	}
}
