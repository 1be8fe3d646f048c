package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/staff"
	"github.com/kizukai/kizukai/internal/ticket"
)

// TestBrowserTickets: a support agent opens the inbox in a real browser,
// opens the overdue complaint, replies, and sees the reply in the
// conversation; the reply is a sent message in the API. Then the page in
// English.
func TestBrowserTickets(t *testing.T) {
	t.Parallel()
	ctx := tab(t, 1280, 900)
	ae := apptest.SQLite(t)
	e := newEnv(t, ae)
	agent := e.user(t, staff.Support, "support@example.jp")
	bg := context.Background()

	line := apiCustomer(t, ae, map[string]any{"external_id": "L1", "name": "佐藤 美咲", "line_user_id": "U0123456789abcdef0123456789abcdef"})
	mail := apiCustomer(t, ae, map[string]any{"external_id": "M1", "name": "田中 一郎", "email": "tanaka@example.jp"})
	complaint, _, err := ae.App.Tickets.OpenOrAppend(bg, e.Shop.ID, ticket.ChannelLine, ticket.CreateInput{CustomerID: line, Kind: "complaint",
		Subject: "LINE: 届いたマグカップが割れていました", Body: "届いたマグカップが割れていました。交換できますか？"})
	if err != nil {
		t.Fatal(err)
	}
	apiTicket(t, ae, map[string]any{"customer_id": mail, "kind": "question", "subject": "ハンドドリップの淹れ方", "body": "おすすめの湯温を教えてください。"})
	apiTicket(t, ae, map[string]any{"customer_id": mail, "kind": "return", "subject": "サイズ違いの返品", "body": "Mサイズと間違えました。"})
	if r := ae.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "3h"}); r.Status != http.StatusOK {
		t.Fatalf("advance: %d", r.Status)
	}
	if _, _, err := ae.App.Tickets.OpenOrAppend(bg, e.Shop.ID, ticket.ChannelLine, ticket.CreateInput{CustomerID: line, Kind: "question",
		Subject: "LINE: 写真", Body: "写真も送りました。注文番号は A-1024 です。"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ae.App.Tickets.AddNote(bg, e.Shop.ID, complaint.ID, ticket.NoteInput{Body: "倉庫に在庫あり。交換品を手配できます。", AuthorID: agent.ID}); err != nil {
		t.Fatal(err)
	}
	if r := ae.Do("POST", "/api/v1/clock/advance", map[string]any{"by": "2h"}); r.Status != http.StatusOK { // the complaint is now overdue
		t.Fatalf("advance: %d", r.Status)
	}

	signIn(t, ctx, e.url, "support@example.jp")
	run(t, ctx, chromedp.Click(chromedp.CSS(`nav.main a[href="/admin/tickets"]`)), chromedp.WaitVisible(chromedp.CSS("#tickets")))
	if first := text(t, ctx, "#tickets tbody tr:first-child td:nth-child(2)"); !strings.Contains(first, "マグカップ") {
		t.Fatalf("first ticket by due: %q", first)
	}
	if late := text(t, ctx, "#tickets tbody tr.overdue .tk-late"); late != "期限切れ" {
		t.Fatalf("overdue mark: %q", late)
	}
	shot(t, ctx, "tickets-ja")

	run(t, ctx, chromedp.Click(chromedp.CSS(`#tickets tbody tr:first-child a`)), chromedp.WaitVisible(chromedp.CSS("#reply-body")))
	if via := text(t, ctx, "#reply-via"); !strings.Contains(via, "LINE") {
		t.Fatalf("reply channel: %q", via)
	}
	run(t, ctx, chromedp.SendKeys(chromedp.CSS("#reply-body"), "ご迷惑をおかけし申し訳ございません。交換品を本日発送いたします。"),
		chromedp.Click(chromedp.CSS(`#reply button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	conv := text(t, ctx, "#conversation")
	if !strings.Contains(conv, "交換品を本日発送いたします") || !strings.Contains(conv, "写真も送りました") || !strings.Contains(conv, "倉庫に在庫あり") {
		t.Fatalf("conversation after the reply: %q", conv)
	}
	ae.Settle()
	d, err := ae.App.Tickets.Detail(bg, e.Shop.ID, complaint.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := d.Conversation[len(d.Conversation)-1]
	m := ae.Do("GET", "/api/v1/messages/"+last.MessageID, nil).Map(t)
	if last.Kind != ticket.EntryReply || m["channel"] != "line" || m["purpose"] != "transactional" || m["status"] != "sent" ||
		!strings.Contains(m["body"].(string), "交換品を本日発送いたします") {
		t.Fatalf("the reply's message in the API: %v", m)
	}
	shot(t, ctx, "ticket-ja")

	run(t, ctx, chromedp.Click(chromedp.CSS(`header.top button[lang="en"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #conversation`)))
	if h := text(t, ctx, "#h-conv"); h != "Conversation" {
		t.Fatalf("english: %q", h)
	}
	shot(t, ctx, "ticket-en")
}
