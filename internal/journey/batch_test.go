package journey_test

import (
	"testing"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/journey"
)

// TestStepBatchIsolatesAFailingRun: journey.step jobs worked together share
// a transaction; when one run cannot advance (its order is gone), the
// others still advance and only its own job is retried. A job enqueued
// before jobs named the customer still works.
func TestStepBatchIsolatesAFailingRun(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setupWith(t, d, false)
		j, err := b.svc.Create(b.ctx, b.shopID, journey.Input{Status: journey.StatusActive, Definition: journey.Definition{
			Name: "batch", Trigger: journey.Trigger{Type: journey.TriggerEvent, EventType: "app.batch"},
			Steps: []journey.Step{{ID: "hi", Type: journey.StepSend, Template: "winback_checkin", Purpose: "care"}}}})
		if err != nil {
			t.Fatal(err)
		}
		now := b.sim.Now()
		runs := []struct{ run, context, customerArg string }{
			{"run_ok1", `{}`, "c_ok1"},
			{"run_bad", `{"order_id":"ord_gone"}`, "c_bad"},
			{"run_old", `{}`, ""}, // a job from before customer_id was added
		}
		err = d.InTx(b.ctx, func(tx *db.Tx) error {
			for _, r := range runs {
				cid := "c_" + r.run[4:]
				if _, err := tx.ExecContext(b.ctx, `INSERT INTO customers (shop_id, id, external_id, email, created_at, updated_at) VALUES ($1, $2, $2, $3, $4, $4)`,
					b.shopID, cid, cid+"@example.jp", now); err != nil {
					return err
				}
				if _, err := tx.ExecContext(b.ctx, `INSERT INTO runs (shop_id, id, journey_id, version, customer_id, trigger_key, status, step_index, step_at, context, started_at, created_at, updated_at)
VALUES ($1, $2, $3, 1, $4, $2, 'active', 0, $5, $6, $5, $5, $5)`, b.shopID, r.run, j.ID, cid, now, r.context); err != nil {
					return err
				}
				args := map[string]any{"run_id": r.run, "step": 0}
				if r.customerArg != "" {
					args["customer_id"] = r.customerArg
				}
				if _, _, err := b.runner.Queue().Enqueue(b.ctx, tx, jobs.EnqueueParams{Kind: journey.KindStep, ShopID: b.shopID, Args: args}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := b.runner.RunDue(b.ctx); err != nil || n != 3 {
			t.Fatalf("RunDue = %d, %v; want 3 jobs worked", n, err)
		}
		for _, r := range runs {
			var status string
			var planned int
			if err := d.QueryRowContext(b.ctx, `SELECT status FROM runs WHERE shop_id = $1 AND id = $2`, b.shopID, r.run).Scan(&status); err != nil {
				t.Fatal(err)
			}
			if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM messages WHERE shop_id = $1 AND run_id = $2`, b.shopID, r.run).Scan(&planned); err != nil {
				t.Fatal(err)
			}
			want, wantPlanned := journey.RunCompleted, 1
			if r.run == "run_bad" {
				want, wantPlanned = journey.RunActive, 0
			}
			if status != want || planned != wantPlanned {
				t.Errorf("%s: status %s with %d messages, want %s with %d", r.run, status, planned, want, wantPlanned)
			}
		}
		var left, attempt int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*), MAX(attempt) FROM jobs WHERE kind = $1`, journey.KindStep).Scan(&left, &attempt); err != nil {
			t.Fatal(err)
		}
		if left != 1 || attempt != 1 {
			t.Errorf("%d step jobs left (attempt %d), want the failing run's, retried once", left, attempt)
		}
	})
}
