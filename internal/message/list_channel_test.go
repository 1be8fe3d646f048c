package message

import (
	"errors"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
)

// TestListByChannel: the channel filter matches the channel a message went
// out on (not the one asked for), combines with the other filters, and an
// impossible channel is a 400 naming the field.
func TestListByChannel(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		mail := b.customer(t, "mail", "ja", "email")
		text := b.customer(t, "text", "ja", "sms")
		m1 := b.create(t, CreateParams{CustomerID: mail.ID, Purpose: "care", Channel: "email"})
		m2 := b.create(t, CreateParams{CustomerID: text.ID, Purpose: "care", Channel: "sms"})
		m3 := b.create(t, CreateParams{CustomerID: mail.ID, Purpose: "info"}) // best: email, the only consent
		pending := b.create(t, CreateParams{CustomerID: text.ID, Purpose: "care", Channel: "sms", DueAt: t0.Add(48 * time.Hour)})
		b.advance(t, time.Minute)
		for _, m := range []Message{m1, m2, m3} {
			if got := b.get(t, m.ID); got.Status != StatusSent {
				t.Fatalf("message %s: %s %s, want sent", m.ID, got.Status, got.Reason)
			}
		}
		ids := func(p ListParams) []string {
			t.Helper()
			p.ShopID = b.shop.ID
			ms, _, err := b.svc.List(b.ctx, p)
			if err != nil {
				t.Fatalf("list %+v: %v", p, err)
			}
			out := []string{}
			for _, m := range ms {
				out = append(out, m.ID)
			}
			return out
		}
		same := func(what string, got []string, want ...string) {
			t.Helper()
			if len(got) != len(want) {
				t.Fatalf("%s: %v, want %v", what, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s: %v, want %v", what, got, want)
				}
			}
		}
		same("email", ids(ListParams{Channel: "email"}), m3.ID, m1.ID)
		same("sms", ids(ListParams{Channel: "sms"}), m2.ID) // the pending one has no channel yet
		same("email care", ids(ListParams{Channel: "email", Purpose: "care"}), m1.ID)
		same("line", ids(ListParams{Channel: "line"}))
		same("all", ids(ListParams{}), pending.ID, m3.ID, m2.ID, m1.ID)
		for _, bad := range []string{"best", "fax"} {
			_, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shop.ID, Channel: bad})
			var e *errs.Error
			if !errors.As(err, &e) || !errors.Is(err, errs.ErrMalformed) || e.Fields["channel"] == "" {
				t.Errorf("channel %q: %v", bad, err)
			}
		}
		// Another shop's messages never show.
		other := setup(t, d)
		same("other shop", func() []string {
			ms, _, err := other.svc.List(b.ctx, ListParams{ShopID: other.shop.ID, Channel: "email"})
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, m := range ms {
				out = append(out, m.ID)
			}
			return out
		}())
	})
}
