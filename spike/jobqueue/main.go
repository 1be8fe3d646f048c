// Command jobqueue measures River v0.49.0 against internal/jobs on SQLite
// and PostgreSQL: insert and work throughput, behaviour with many scheduled
// jobs, two processes on one PostgreSQL, and recovery after SIGKILL.
// Results and conclusion: docs/jobs-spike.md.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" for schema set-up
)

type config struct {
	pg          string // base PostgreSQL URL; empty: SQLite only
	dir         string // where SQLite files go
	engines     []string
	systems     []string
	insert      int
	batch       int
	work        int
	oursConc    int
	riverConc   int
	riverCool   time.Duration
	latency     int
	scheduled   int
	multi       int
	crash       bool
	rescueAfter time.Duration
	nodeTimeout time.Duration
}

func main() {
	var c config
	var engines, systems, child string
	var childURL, childSystem, childNode string
	flag.StringVar(&c.pg, "pg", os.Getenv("KIZUKAI_TEST_POSTGRES"), "base PostgreSQL URL (each run gets a fresh schema)")
	flag.StringVar(&c.dir, "dir", "", "directory for SQLite files (default: a temporary one)")
	flag.StringVar(&engines, "engines", "sqlite,postgres", "engines to measure")
	flag.StringVar(&systems, "systems", "river,ours", "queues to measure")
	flag.IntVar(&c.insert, "insert", 2000, "jobs inserted one per transaction")
	flag.IntVar(&c.batch, "batch", 20000, "jobs inserted in batches of 1000")
	flag.IntVar(&c.work, "work", 20000, "no-op jobs worked")
	flag.IntVar(&c.oursConc, "ours-conc", 100, "internal/jobs concurrency")
	flag.IntVar(&c.riverConc, "river-workers", 1000, "River MaxWorkers")
	flag.DurationVar(&c.riverCool, "river-cooldown", time.Millisecond, "River FetchCooldown")
	flag.IntVar(&c.latency, "latency", 20, "single jobs timed from insert to Work")
	flag.IntVar(&c.scheduled, "scheduled", 0, "future jobs sitting in the table for the scheduled case (0: skip; e.g. 1000000)")
	flag.IntVar(&c.multi, "multi", 10000, "jobs for the two-process PostgreSQL case (0: skip)")
	flag.BoolVar(&c.crash, "crash", true, "run the SIGKILL case")
	flag.DurationVar(&c.rescueAfter, "river-rescue-after", 10*time.Second, "River RescueStuckJobsAfter in the SIGKILL case (River's default is 1h)")
	flag.DurationVar(&c.nodeTimeout, "node-timeout", 0, "internal/jobs NodeTimeout in the SIGKILL case (0: default 30s)")
	flag.StringVar(&child, "child", "", "internal: run as a child process (multi or crash)")
	flag.StringVar(&childURL, "url", "", "internal: child's database URL")
	flag.StringVar(&childSystem, "system", "", "internal: child's queue")
	flag.StringVar(&childNode, "node", "", "internal: child's node id")
	flag.Parse()
	c.engines = strings.Split(engines, ",")
	c.systems = strings.Split(systems, ",")

	ctx := context.Background()
	var err error
	switch child {
	case "multi":
		err = runMultiChild(ctx, c, childSystem, childURL, childNode)
	case "crash":
		err = runCrashChild(ctx, c, childSystem, childURL, childNode)
	case "":
		err = run(ctx, c)
	default:
		err = fmt.Errorf("unknown -child %q", child)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jobqueue:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "jobqueue-spike-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.dir = dir
	}
	fmt.Printf("# job queue spike, %s\n\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| engine | queue | measurement | result |")
	fmt.Println("|---|---|---|---|")
	for _, engine := range c.engines {
		if engine == "postgres" && c.pg == "" {
			fmt.Println("(PostgreSQL skipped: set -pg or KIZUKAI_TEST_POSTGRES)")
			continue
		}
		for _, sys := range c.systems {
			if err := measure(ctx, c, engine, sys); err != nil {
				return fmt.Errorf("%s/%s: %w", engine, sys, err)
			}
			if c.scheduled > 0 {
				if err := measureScheduled(ctx, c, engine, sys); err != nil {
					return fmt.Errorf("%s/%s scheduled: %w", engine, sys, err)
				}
			}
		}
	}
	if c.multi > 0 && c.pg != "" && slices.Contains(c.engines, "postgres") {
		for _, sys := range c.systems {
			if err := measureMulti(ctx, c, sys); err != nil {
				return fmt.Errorf("postgres/%s two processes: %w", sys, err)
			}
		}
	}
	if c.crash {
		for _, engine := range c.engines {
			if engine == "postgres" && c.pg == "" {
				continue
			}
			for _, sys := range c.systems {
				if err := measureCrash(ctx, c, engine, sys); err != nil {
					return fmt.Errorf("%s/%s crash: %w", engine, sys, err)
				}
			}
		}
	}
	return nil
}

func report(engine, sys, what, result string) {
	fmt.Printf("| %s | %s | %s | %s |\n", engine, sys, what, result)
}

// freshURL returns a new, empty database: a SQLite file or a PostgreSQL schema.
func freshURL(ctx context.Context, c config, engine, name string) (string, error) {
	if engine == "sqlite" {
		dir, err := os.MkdirTemp(c.dir, name+"-*")
		if err != nil {
			return "", err
		}
		return "sqlite:" + filepath.Join(dir, "spike.db"), nil
	}
	admin, err := sql.Open("pgx", c.pg)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	schema := fmt.Sprintf("spike_%s_%d", strings.ReplaceAll(name, "-", "_"), time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", err
	}
	u, err := url.Parse(c.pg)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// open opens sys on the database at rawURL.
func open(ctx context.Context, c config, sys, rawURL, node string) (system, error) {
	switch sys {
	case "ours":
		return openOurs(ctx, rawURL, node, c.nodeTimeout)
	case "river":
		return openRiver(ctx, rawURL, riverOptions{fetchCooldown: c.riverCool, rescueAfter: c.rescueAfter, jobTimeout: c.rescueAfter / 2})
	}
	return nil, fmt.Errorf("unknown queue %q", sys)
}

func conc(c config, sys string) int {
	if sys == "river" {
		return c.riverConc
	}
	return c.oursConc
}

func rate(n int, d time.Duration) string {
	return fmt.Sprintf("%.0f jobs/s (%d in %.2fs)", float64(n)/d.Seconds(), n, d.Seconds())
}

func timed(f func() error) (time.Duration, error) {
	t0 := time.Now()
	err := f()
	return time.Since(t0), err
}

func measure(ctx context.Context, c config, engine, sys string) error {
	u, err := freshURL(ctx, c, engine, sys)
	if err != nil {
		return err
	}
	s, err := open(ctx, c, sys, u, "spike-"+sys)
	if err != nil {
		return err
	}
	defer s.Close()
	if c.insert > 0 {
		d, err := timed(func() error { return s.InsertOne(ctx, c.insert, time.Time{}) })
		if err != nil {
			return err
		}
		report(engine, sys, "insert, one job per transaction", rate(c.insert, d))
	}
	if c.batch > 0 {
		d, err := timed(func() error { return s.InsertBatch(ctx, c.batch, time.Time{}) })
		if err != nil {
			return err
		}
		report(engine, sys, "insert, batches of 1000", rate(c.batch, d))
	}
	if err := s.Clear(ctx); err != nil {
		return err
	}
	return measureWork(ctx, c, engine, sys, s, "")
}

// measureWork works c.work no-op jobs, then times single jobs from insert to Work.
func measureWork(ctx context.Context, c config, engine, sys string, s system, note string) error {
	var done atomic.Int64
	target := atomic.Int64{}
	target.Store(int64(c.work))
	reached := make(chan struct{}, 1)
	if err := s.InsertBatch(ctx, c.work, time.Time{}); err != nil {
		return err
	}
	// Timed from Start, with every job already waiting.
	t0 := time.Now()
	err := s.Start(ctx, conc(c, sys), func(context.Context, int64, int) error {
		if done.Add(1) == target.Load() {
			reached <- struct{}{}
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer func() { _ = s.Stop(ctx) }()
	if c.work > 0 {
		if err := waitFor(reached, 10*time.Minute); err != nil {
			return err
		}
		report(engine, sys, fmt.Sprintf("work no-op jobs, concurrency %d%s", conc(c, sys), note), rate(c.work, time.Since(t0)))
	}
	var lat []time.Duration
	for range c.latency {
		target.Store(done.Load() + 1)
		t0 := time.Now()
		if err := s.InsertOne(ctx, 1, time.Time{}); err != nil {
			return err
		}
		if err := waitFor(reached, time.Minute); err != nil {
			return err
		}
		lat = append(lat, time.Since(t0))
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		report(engine, sys, "latency insert→Work (idle runner)"+note,
			fmt.Sprintf("median %s, max %s (%d jobs)", lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond), len(lat)))
	}
	return nil
}

func waitFor(ch <-chan struct{}, limit time.Duration) error {
	select {
	case <-ch:
		return nil
	case <-time.After(limit):
		return fmt.Errorf("timed out after %s", limit)
	}
}

// measureScheduled fills the table with future jobs, then measures inserts
// and claims of due jobs among them.
func measureScheduled(ctx context.Context, c config, engine, sys string) error {
	u, err := freshURL(ctx, c, engine, sys+"-sched")
	if err != nil {
		return err
	}
	s, err := open(ctx, c, sys, u, "spike-"+sys)
	if err != nil {
		return err
	}
	defer s.Close()
	future := time.Now().Add(30 * 24 * time.Hour)
	d, err := timed(func() error { return s.InsertBatch(ctx, c.scheduled, future) })
	if err != nil {
		return err
	}
	note := fmt.Sprintf(", %d future jobs in the table", c.scheduled)
	report(engine, sys, "seed future jobs, batches of 1000", rate(c.scheduled, d))
	if c.insert > 0 {
		d, err := timed(func() error { return s.InsertOne(ctx, c.insert, future) })
		if err != nil {
			return err
		}
		report(engine, sys, "insert, one job per transaction"+note, rate(c.insert, d))
	}
	return measureWork(ctx, c, engine, sys, s, note)
}
