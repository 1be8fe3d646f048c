package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/admin/audit"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
)

// apiTicket opens a ticket through the API and returns its ID.
func apiTicket(t *testing.T, ae *apptest.Env, body map[string]any) string {
	t.Helper()
	r := ae.Do("POST", "/api/v1/tickets", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("ticket: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

func apiCustomer(t *testing.T, ae *apptest.Env, body map[string]any) string {
	t.Helper()
	r := ae.Do("POST", "/api/v1/customers", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("customer: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

func auditActions(t *testing.T, e *env) []string {
	t.Helper()
	es, _, err := audit.List(context.Background(), e.App.DB, audit.ListParams{ShopID: e.Shop.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range es {
		if x.ObjectType == "ticket" {
			out = append(out, x.Action)
		}
	}
	return out
}

func TestTicketPages(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		agent := e.user(t, staff.Support, "support@example.jp")
		e.user(t, staff.Viewer, "viewer@example.jp")
		e.user(t, staff.Marketer, "marketer@example.jp")
		viewerUser := e.user(t, staff.Viewer, "viewer2@example.jp")
		cid := apiCustomer(t, ae, map[string]any{"external_id": "C1", "name": "山田 花子", "email": "hanako@example.jp"})
		question := apiTicket(t, ae, map[string]any{"customer_id": cid, "kind": "question", "subject": "使い方を教えてください", "body": "電源の入れ方は？"})
		complaint := apiTicket(t, ae, map[string]any{"customer_id": cid, "kind": "complaint", "subject": "箱が潰れていました"})
		mute := apiCustomer(t, ae, map[string]any{"external_id": "C2", "name": "連絡先なし"})
		silent := apiTicket(t, ae, map[string]any{"customer_id": mute, "kind": "other", "subject": "店頭で相談"})
		// Five hours later the complaint (4 h SLA) is overdue, the question (24 h) not.
		if r := ae.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "5h"}); r.Status != http.StatusOK {
			t.Fatalf("advance: %d %s", r.Status, r.Body)
		}
		sup := e.login(t, "support@example.jp")

		list := sup.get("/admin/tickets")
		want(t, "list", list, http.StatusOK, "使い方を教えてください", "箱が潰れていました", `class="overdue"`, "期限切れ", "2026年11月23日 14:00")
		if i, j := strings.Index(list.Body, "箱が潰れていました"), strings.Index(list.Body, "使い方を教えてください"); i > j {
			t.Error("the complaint (due first) is not listed first")
		}
		if n := strings.Count(list.Body, `class="overdue"`); n != 1 { // the complaint only
			t.Errorf("%d overdue rows", n)
		}
		want(t, "kind filter", sup.get("/admin/tickets?kind=question"), http.StatusOK, "使い方を教えてください")
		if r := sup.get("/admin/tickets?kind=question"); strings.Contains(r.Body, "箱が潰れていました") {
			t.Error("kind filter shows a complaint")
		}
		want(t, "bad filter", sup.get("/admin/tickets?status=done"), http.StatusBadRequest)
		want(t, "bad kind", sup.get("/admin/tickets?kind=refund"), http.StatusUnprocessableEntity)

		// The ticket page: conversation, channel, forms.
		page := sup.get("/admin/tickets/" + question)
		want(t, "ticket", page, http.StatusOK, "電源の入れ方は？", "山田 花子", "この返信は メール でお客様に届きます。", `action="/admin/tickets/`+question+`/reply"`)

		// Reply: refused when empty, then sent.
		r := sup.post("/admin/tickets/"+question+"/reply", url.Values{"body": {"  "}})
		want(t, "empty reply", r, http.StatusUnprocessableEntity, "入力してください。", `aria-invalid="true"`)
		r = sup.post("/admin/tickets/"+question+"/reply", url.Values{"body": {"長押しで電源が入ります。"}})
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/admin/tickets/"+question) {
			t.Fatalf("reply: %d %s\n%s", r.Status, r.Location, r.Body)
		}
		page = sup.get("/admin/tickets/" + question)
		want(t, "after reply", page, http.StatusOK, "返信を送りました。", "長押しで電源が入ります。", "期限内に返信")
		ae.Settle()
		res := ae.Do("GET", "/api/v1/tickets/"+question, nil)
		var detail struct {
			Conversation []struct {
				Kind      string `json:"kind"`
				AuthorID  string `json:"author_id"`
				MessageID string `json:"message_id"`
				Channel   string `json:"channel"`
			} `json:"conversation"`
			FirstResponseAt *time.Time `json:"first_response_at"`
		}
		res.JSON(t, &detail)
		if len(detail.Conversation) != 1 || detail.Conversation[0].AuthorID != agent.ID || detail.Conversation[0].Channel != "email" ||
			detail.FirstResponseAt == nil {
			t.Fatalf("API after the admin reply: %s", res.Body)
		}
		m := ae.Do("GET", "/api/v1/messages/"+detail.Conversation[0].MessageID, nil).Map(t)
		if m["status"] != "sent" || m["purpose"] != "transactional" || m["body"] != "長押しで電源が入ります。" || m["channel"] != "email" {
			t.Fatalf("the reply's message: %v", m)
		}

		// Note, status, assignee.
		want(t, "empty note", sup.post("/admin/tickets/"+question+"/note", url.Values{"body": {""}}), http.StatusUnprocessableEntity, "入力してください。")
		if r := sup.post("/admin/tickets/"+question+"/note", url.Values{"body": {"取扱説明書の改訂を検討"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("note: %d %s", r.Status, r.Body)
		}
		if r := sup.post("/admin/tickets/"+question+"/status", url.Values{"status": {"pending"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("status: %d %s", r.Status, r.Body)
		}
		want(t, "bad status", sup.post("/admin/tickets/"+question+"/status", url.Values{"status": {"done"}}), http.StatusUnprocessableEntity, "一覧から選んでください。")
		want(t, "viewer as assignee", sup.post("/admin/tickets/"+question+"/assignee", url.Values{"assignee": {viewerUser.ID}}),
			http.StatusUnprocessableEntity, "問い合わせを担当できるスタッフ")
		want(t, "unknown assignee", sup.post("/admin/tickets/"+question+"/assignee", url.Values{"assignee": {"usr_nope"}}),
			http.StatusUnprocessableEntity, "問い合わせを担当できるスタッフ")
		if r := sup.post("/admin/tickets/"+question+"/assignee", url.Values{"assignee": {agent.ID}}); r.Status != http.StatusSeeOther {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
		page = sup.get("/admin/tickets/" + question)
		want(t, "after note, status and assignee", page, http.StatusOK, "取扱説明書の改訂を検討", "社内メモ",
			`<dd id="ticket-status">保留（お客様の返事待ち）</dd>`, `<dd id="ticket-assignee">support@example.jp</dd>`)
		mine := sup.get("/admin/tickets?assignee=me")
		want(t, "mine", mine, http.StatusOK, "使い方を教えてください")
		if strings.Contains(mine.Body, "箱が潰れていました") {
			t.Error("assignee=me shows someone else's ticket")
		}
		if r := sup.get("/admin/tickets?assignee=none"); strings.Contains(r.Body, "使い方を教えてください") || !strings.Contains(r.Body, "箱が潰れていました") {
			t.Error("assignee=none")
		}
		if got := strings.Join(auditActions(t, e), ","); got != "ticket.assign,ticket.status_change,ticket.note,ticket.reply" {
			t.Errorf("audit: %s", got)
		}

		// No reachable channel: no reply form, and a forced post is refused.
		page = sup.get("/admin/tickets/" + silent)
		want(t, "unreachable", page, http.StatusOK, "連絡先（メール・電話・LINE・住所）がないため")
		if strings.Contains(page.Body, `/reply"`) {
			t.Error("a reply form for an unreachable customer")
		}
		want(t, "reply to unreachable", sup.post("/admin/tickets/"+silent+"/reply", url.Values{"body": {"x"}}), http.StatusUnprocessableEntity,
			"返信を送れません")

		// Read-only roles see the ticket but cannot write.
		for _, who := range []string{"viewer@example.jp", "marketer@example.jp"} {
			c := e.login(t, who)
			p := c.get("/admin/tickets/" + complaint)
			want(t, who+" reads", p, http.StatusOK, "箱が潰れていました", "返信・メモ・状態の変更は、オーナーとサポート担当だけができます。")
			if strings.Contains(p.Body, "<textarea") {
				t.Errorf("%s sees a form", who)
			}
			for _, path := range []string{"/reply", "/note", "/status", "/assignee"} {
				want(t, who+" writes", c.post("/admin/tickets/"+complaint+path, url.Values{"body": {"x"}, "status": {"closed"}}), http.StatusForbidden)
			}
		}

		// Another shop's ticket is not found, and nothing changes.
		_, key := ae.OtherShop("tickets-admin-other")
		oc := ae.DoKey(key, "POST", "/api/v1/customers", map[string]any{"external_id": "X1", "email": "x@example.jp"}).Map(t)["id"].(string)
		ot := ae.DoKey(key, "POST", "/api/v1/tickets", map[string]any{"customer_id": oc, "kind": "question", "subject": "他店"}).Map(t)["id"].(string)
		want(t, "other shop's ticket", sup.get("/admin/tickets/"+ot), http.StatusNotFound)
		for _, path := range []string{"/reply", "/note", "/status", "/assignee"} {
			want(t, "other shop's "+path, sup.post("/admin/tickets/"+ot+path, url.Values{"body": {"x"}, "status": {"closed"}, "assignee": {""}}), http.StatusNotFound)
		}
		if strings.Contains(sup.get("/admin/tickets?status=all").Body, "他店") {
			t.Error("another shop's ticket in the list")
		}
		if got := ae.DoKey(key, "GET", "/api/v1/tickets/"+ot, nil).Map(t); got["status"] != "open" || len(got["conversation"].([]any)) != 0 {
			t.Errorf("other shop's ticket changed: %v", got)
		}
		if got := len(auditActions(t, e)); got != 4 {
			t.Errorf("%d audit entries after refused actions", got)
		}

		// English.
		sup.post("/admin/lang", url.Values{"lang": {"en"}, "next": {"/admin/tickets"}})
		want(t, "english", sup.get("/admin/tickets/"+question), http.StatusOK, "Conversation", "Internal note", "Pending (waiting on the customer)")
	})
}
