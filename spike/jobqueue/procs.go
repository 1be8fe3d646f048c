package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// The two-process case: the parent inserts c.multi jobs into a fresh
// PostgreSQL schema and starts two copies of itself; each job inserts a row
// keyed by its id, so a second run of one job shows up as a duplicate key.
func measureMulti(ctx context.Context, c config, sys string) error {
	u, err := freshURL(ctx, c, "postgres", sys+"-multi")
	if err != nil {
		return err
	}
	s, err := open(ctx, c, sys, u, "spike-parent")
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Exec(ctx, `CREATE TABLE spike_effects (job_id BIGINT PRIMARY KEY, node TEXT NOT NULL)`); err != nil {
		return err
	}
	if err := s.InsertBatch(ctx, c.multi, time.Time{}); err != nil {
		return err
	}
	t0 := time.Now()
	var outs [2]strings.Builder
	var cmds [2]*exec.Cmd
	for i := range cmds {
		cmds[i] = childCmd(c, "multi", sys, u, fmt.Sprintf("node-%d", i+1))
		cmds[i].Stdout = &outs[i]
		if err := cmds[i].Start(); err != nil {
			return err
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("child %d: %w", i+1, err)
		}
	}
	elapsed := time.Since(t0)
	var worked, dups [2]int
	for i := range outs {
		var r struct{ Worked, Dups int }
		if err := json.Unmarshal([]byte(outs[i].String()), &r); err != nil {
			return fmt.Errorf("child %d output %q: %w", i+1, outs[i].String(), err)
		}
		worked[i], dups[i] = r.Worked, r.Dups
	}
	var effects int
	if err := countInto(ctx, u, `SELECT COUNT(*) FROM spike_effects`, &effects); err != nil {
		return err
	}
	report("postgres", sys, fmt.Sprintf("two processes, %d jobs", c.multi),
		fmt.Sprintf("worked %d + %d in %.2fs; rows %d/%d; ran twice: %d; lost: %d",
			worked[0], worked[1], elapsed.Seconds(), effects, c.multi, dups[0]+dups[1], c.multi-effects))
	return nil
}

func childCmd(c config, role, sys, u, node string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-child", role, "-system", sys, "-url", u, "-node", node,
		"-ours-conc", fmt.Sprint(c.oursConc), "-river-workers", fmt.Sprint(c.riverConc), "-river-cooldown", c.riverCool.String(),
		"-river-rescue-after", c.rescueAfter.String(), "-node-timeout", c.nodeTimeout.String())
	cmd.Stderr = os.Stderr
	return cmd
}

func runMultiChild(ctx context.Context, c config, sys, u, node string) error {
	s, err := open(ctx, c, sys, u, node)
	if err != nil {
		return err
	}
	defer s.Close()
	var worked, dups atomic.Int64
	err = s.Start(ctx, conc(c, sys), func(ctx context.Context, id int64, _ int) error {
		err := s.Exec(ctx, `INSERT INTO spike_effects (job_id, node) VALUES ($1, $2)`, id, node)
		if err != nil && strings.Contains(err.Error(), "23505") {
			dups.Add(1)
			return nil
		}
		if err == nil {
			worked.Add(1)
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := waitDrained(ctx, s); err != nil {
		return err
	}
	if err := s.Stop(ctx); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]int64{"worked": worked.Load(), "dups": dups.Load()})
}

// waitDrained returns once no job is left to work.
func waitDrained(ctx context.Context, s system) error {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		n, err := s.Pending(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("jobs still pending after 10 minutes")
}

// The SIGKILL case: a child starts one job, which announces itself and
// hangs; the parent kills the child, starts a new one at once and times
// how long the job takes to run again.
func measureCrash(ctx context.Context, c config, engine, sys string) error {
	u, err := freshURL(ctx, c, engine, sys+"-crash")
	if err != nil {
		return err
	}
	s, err := open(ctx, c, sys, u, "spike-parent")
	if err != nil {
		return err
	}
	if err := s.InsertOne(ctx, 1, time.Time{}); err != nil {
		return err
	}
	s.Close() // on SQLite, internal/db holds the file's lock: let the children have it

	first := childCmd(c, "crash", sys, u, "crash-1")
	lines, err := startLines(first)
	if err != nil {
		return err
	}
	if _, err := expect(lines, "WORKING", 2*time.Minute); err != nil {
		return fmt.Errorf("first child: %w", err)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	_ = first.Wait()
	killed := time.Now()

	second := childCmd(c, "crash", sys, u, "crash-2")
	lines, err = startLines(second)
	if err != nil {
		return err
	}
	line, err := expect(lines, "DONE", 2*time.Hour)
	if err != nil {
		return fmt.Errorf("second child: %w", err)
	}
	rerun := time.Since(killed)
	if err := second.Wait(); err != nil {
		return fmt.Errorf("second child: %w", err)
	}
	setting := "NodeTimeout " + cmp(c.nodeTimeout, 30*time.Second).String()
	if sys == "river" {
		setting = "RescueStuckJobsAfter " + c.rescueAfter.String() + " (default 1h)"
	}
	report(engine, sys, "SIGKILL mid-job, restart at once: job runs again after", fmt.Sprintf("%s (%s; %s)", rerun.Round(time.Millisecond), setting, line))
	return nil
}

func cmp(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

func startLines(cmd *exec.Cmd) (<-chan string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	return lines, nil
}

func expect(lines <-chan string, prefix string, limit time.Duration) (string, error) {
	timeout := time.After(limit)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return "", fmt.Errorf("exited before printing %s", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l, nil
			}
		case <-timeout:
			return "", fmt.Errorf("no %s within %s", prefix, limit)
		}
	}
}

func runCrashChild(ctx context.Context, c config, sys, u, node string) error {
	s, err := open(ctx, c, sys, u, node)
	if err != nil {
		return err
	}
	defer s.Close()
	err = s.Start(ctx, 1, func(ctx context.Context, id int64, attempt int) error {
		if node == "crash-1" {
			fmt.Printf("WORKING job %d attempt %d\n", id, attempt)
			select {} // hang until killed
		}
		fmt.Printf("DONE job %d attempt %d\n", id, attempt)
		return nil
	})
	if err != nil {
		return err
	}
	if err := waitDrained(ctx, s); err != nil {
		return err
	}
	return s.Stop(ctx)
}

func countInto(ctx context.Context, u string, q string, n *int) error {
	d, err := sql.Open("pgx", u)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.QueryRowContext(ctx, q).Scan(n)
}
