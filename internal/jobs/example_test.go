package jobs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/jobs"
)

// A worker is a kind and a Work function; jobs are enqueued in the
// transaction of the change they follow, and a Runner works them. Here a
// simulated clock and AdvanceTo stand in for time passing; in production,
// Start runs the runner in the background until Stop.
func ExampleRunner() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "jobs-example-*")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "kizukai.db"))
	if err != nil {
		panic(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, db.MigrateOptions{}); err != nil {
		panic(err)
	}

	sim := clock.NewSimulated(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	queue := jobs.NewQueue(sim) // shared by the services that enqueue and the runner
	runner := jobs.NewRunner(d, sim, jobs.RunnerOptions{Queue: queue})

	type thanksArgs struct {
		Customer string `json:"customer"`
	}
	runner.Register(jobs.Func("send_thanks", func(ctx context.Context, j *jobs.Job) error {
		var a thanksArgs
		if err := j.Decode(&a); err != nil {
			return jobs.Cancel(err) // malformed args will not get better
		}
		fmt.Printf("%s: thank %s (attempt %d)\n", sim.Now().Format("Jan 2 15:04"), a.Customer, j.Attempt)
		return nil
	}))

	// The order and its follow-up commit together, or neither does.
	err = d.InTx(ctx, func(tx *db.Tx) error {
		// ... insert the order with tx ...
		_, _, err := queue.Enqueue(ctx, tx, jobs.EnqueueParams{
			Kind:      "send_thanks",
			ShopID:    "shop_1",
			Args:      thanksArgs{Customer: "Ada"},
			RunAt:     sim.Now().Add(3 * 24 * time.Hour),
			UniqueKey: "thanks:order_1",
		})
		return err
	})
	if err != nil {
		panic(err)
	}

	if err := runner.AdvanceTo(ctx, sim, sim.Now().Add(7*24*time.Hour)); err != nil {
		panic(err)
	}
	// Output: Nov 26 09:00: thank Ada (attempt 1)
}
