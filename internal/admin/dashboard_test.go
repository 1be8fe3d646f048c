package admin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/admin"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// TestDashboardSnapshot walks a large shop's dashboard (here: any shop,
// with the live limit at 1): the first view computes and stores the
// figures, later views read them, and once they are older than ten
// minutes a view starts a refresh in the background and the next view
// shows the new figures.
func TestDashboardSnapshot(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnvWith(t, ae, func(d *admin.Deps) { d.DashboardLive = 1 })
		e.user(t, staff.Viewer, "viewer@example.jp")
		seed(t, ae)
		c := e.login(t, "viewer@example.jp")
		customers := func(r res) string {
			t.Helper()
			i := strings.Index(r.Body, `<span class="label">顧客数</span><span class="value">`)
			if i < 0 {
				t.Fatalf("no customer count:\n%s", r.Body)
			}
			v := r.Body[i+len(`<span class="label">顧客数</span><span class="value">`):]
			return v[:strings.Index(v, "<")]
		}
		r := c.get("/admin/")
		want(t, "first view", r, http.StatusOK)
		if n := customers(r); n != "5" || strings.Contains(r.Body, "集計した数字です") {
			t.Fatalf("first view: %s customers, or not computed now", n)
		}
		if r := ae.Do("POST", "/api/v1/customers", map[string]any{"external_id": "NEW", "name": "新しい顧客"}); r.Status != http.StatusCreated {
			t.Fatalf("customer: %d", r.Status)
		}
		r = c.get("/admin/")
		if n := customers(r); n != "5" || !strings.Contains(r.Body, "集計した数字です") || strings.Contains(r.Body, "いま最新の数字を集計しています") {
			t.Fatalf("snapshot view: %s customers\n%s", n, r.Body)
		}
		if r := ae.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "11m"}); r.Status != http.StatusOK {
			t.Fatalf("advance: %d", r.Status)
		}
		r = c.get("/admin/")
		if n := customers(r); n != "5" || !strings.Contains(r.Body, "いま最新の数字を集計しています") {
			t.Fatalf("stale view: %s customers", n)
		}
		e.h.WaitDashboard()
		r = c.get("/admin/")
		if n := customers(r); n != "6" || strings.Contains(r.Body, "いま最新の数字を集計しています") {
			t.Fatalf("after the refresh: %s customers", n)
		}
	})
}
