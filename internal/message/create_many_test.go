package message

import (
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
)

// TestCreateManyTx: CreateTx's behaviour for many messages at once: new
// ones created with one message.due job each, a dedupe key already used
// (before, or earlier in the same call) returning that message uncreated,
// and an invalid one refusing the whole call before anything is written.
func TestCreateManyTx(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "c1", "ja", "email")
		old := b.create(t, CreateParams{CustomerID: c.ID, Purpose: "care", DedupeKey: "run:r0:a"})
		p := func(key string, due time.Time) CreateParams {
			return CreateParams{ShopID: b.shop.ID, CustomerID: c.ID, Purpose: "care", TemplateKey: "care_thanks", DedupeKey: key, DueAt: due}
		}
		ps := []CreateParams{p("run:r1:a", t0.Add(time.Hour)), p("run:r0:a", time.Time{}), p("run:r2:a", time.Time{}), p("run:r1:a", time.Time{})}
		var ms []Message
		var created []bool
		err := d.InTx(b.ctx, func(tx *db.Tx) error {
			var err error
			ms, created, err = b.svc.CreateManyTx(b.ctx, tx, ps)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		wantCreated := []bool{true, false, true, false}
		for i, m := range ms {
			if created[i] != wantCreated[i] || m.DedupeKey != ps[i].DedupeKey || m.Status != StatusScheduled {
				t.Errorf("message %d: %+v created=%v, want created=%v", i, m, created[i], wantCreated[i])
			}
		}
		if ms[1].ID != old.ID || ms[3].ID != ms[0].ID || !ms[0].DueAt.Equal(t0.Add(time.Hour)) || !ms[2].DueAt.Equal(t0) {
			t.Errorf("messages: %+v", ms)
		}
		var jobs int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'message.due'`).Scan(&jobs); err != nil || jobs != 3 {
			t.Fatalf("%d message.due jobs (%v), want 3", jobs, err)
		}
		bad := p("run:r3:a", time.Time{})
		bad.Channel = "fax"
		err = d.InTx(b.ctx, func(tx *db.Tx) error {
			_, _, err := b.svc.CreateManyTx(b.ctx, tx, []CreateParams{p("run:r4:a", time.Time{}), bad})
			return err
		})
		if _, ok := fieldErr(err, "channel"); !ok {
			t.Errorf("no error for channel: %v", err)
		}
		all, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shop.ID})
		if err != nil || len(all) != 3 {
			t.Fatalf("%d messages (%v), want 3", len(all), err)
		}
	})
}
