package ticket

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
)

// replies records the replies handed to the message service, as the
// message package would plan them (one ID per reply).
type replies struct {
	sent []OutgoingReply
	fail error
}

func (r *replies) send(_ context.Context, _ db.DBTX, o OutgoingReply) (string, error) {
	if r.fail != nil {
		return "", r.fail
	}
	r.sent = append(r.sent, o)
	return "msg_" + o.EntryID, nil
}

func (b *testBundle) withReplies(t *testing.T) *replies {
	t.Helper()
	r := &replies{}
	b.svc.SetSendReplyFunc(r.send)
	return r
}

func (b *testBundle) detail(t *testing.T, id string) Detail {
	t.Helper()
	d, err := b.svc.Detail(b.ctx, b.shopID, id)
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	return d
}

func kinds(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Kind)
	}
	return out
}

func TestReply(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sent := b.withReplies(t)
		c, _, err := b.customers.Upsert(b.ctx, b.shopID, customer.Input{ExternalID: "C1", Email: ptr("hanako@example.jp"),
			LineUserID: ptr("U1234")})
		if err != nil {
			t.Fatal(err)
		}
		tk := b.create(t, CreateInput{CustomerID: c.ID, Kind: "complaint", Subject: "割れていました", Body: "交換できますか"})
		if ch, err := b.svc.ReplyChannel(b.ctx, b.shopID, tk.ID); err != nil || ch != "line" {
			t.Fatalf("reply channel %q %v, want line (first in the shop's order)", ch, err)
		}

		b.clk.Advance(3 * time.Hour) // within the 4 h SLA of a complaint
		e, err := b.svc.Reply(b.ctx, b.shopID, tk.ID, ReplyInput{Body: " 申し訳ございません。交換品をお送りします。 ", AuthorID: "usr_1"})
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != EntryReply || e.Body != "申し訳ございません。交換品をお送りします。" || e.AuthorID != "usr_1" || e.Channel != "line" ||
			e.MessageID != "msg_"+e.ID || !e.CreatedAt.Equal(t0.Add(3*time.Hour)) {
			t.Fatalf("reply: %+v", e)
		}
		if len(sent.sent) != 1 || sent.sent[0] != (OutgoingReply{ShopID: b.shopID, CustomerID: c.ID, TicketID: tk.ID, EntryID: e.ID,
			Subject: "Re: 割れていました", Body: e.Body}) {
			t.Fatalf("sent: %+v", sent.sent)
		}
		got := b.detail(t, tk.ID)
		if got.FirstResponseAt == nil || !got.FirstResponseAt.Equal(t0.Add(3*time.Hour)) || got.Overdue(t0.Add(5*time.Hour)) {
			t.Fatalf("first response: %+v", got.Ticket)
		}
		if met, ok := got.SLAMet(); !ok || !met {
			t.Fatalf("SLA met %v %v", met, ok)
		}

		b.clk.Advance(time.Hour)
		if _, err := b.svc.AddNote(b.ctx, b.shopID, tk.ID, NoteInput{Body: "倉庫に在庫確認済み", AuthorID: "usr_2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Reply(b.ctx, b.shopID, tk.ID, ReplyInput{Body: "発送しました"}); err != nil {
			t.Fatal(err)
		}
		got = b.detail(t, tk.ID)
		if !slices.Equal(kinds(got.Conversation), []string{EntryReply, EntryNote, EntryReply}) ||
			!got.FirstResponseAt.Equal(t0.Add(3*time.Hour)) || got.Conversation[1].Body != "倉庫に在庫確認済み" ||
			got.Conversation[1].MessageID != "" || len(sent.sent) != 2 {
			t.Fatalf("conversation: %+v", got)
		}

		// Refusals change nothing.
		before := b.detail(t, tk.ID)
		for _, tc := range []struct {
			name  string
			body  string
			field string
		}{
			{"empty", "  ", "body"},
			{"too long", strings.Repeat("あ", MaxBody+1), "body"},
			{"control character", "a\x00b", "body"},
		} {
			if _, err := b.svc.Reply(b.ctx, b.shopID, tk.ID, ReplyInput{Body: tc.body}); !slices.Equal(fieldsOf(err), []string{tc.field}) {
				t.Errorf("reply %s: %v", tc.name, err)
			}
			if _, err := b.svc.AddNote(b.ctx, b.shopID, tk.ID, NoteInput{Body: tc.body}); !slices.Equal(fieldsOf(err), []string{tc.field}) {
				t.Errorf("note %s: %v", tc.name, err)
			}
		}
		other := setup(t, d)
		other.withReplies(t)
		if _, err := other.svc.Reply(b.ctx, other.shopID, tk.ID, ReplyInput{Body: "x"}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("other shop's reply: %v", err)
		}
		if _, err := other.svc.AddNote(b.ctx, other.shopID, tk.ID, NoteInput{Body: "x"}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("other shop's note: %v", err)
		}
		if _, err := other.svc.Detail(b.ctx, other.shopID, tk.ID); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("other shop's detail: %v", err)
		}
		// A failing message plan rolls the reply back.
		sent.fail = errors.New("queue down")
		if _, err := b.svc.Reply(b.ctx, b.shopID, tk.ID, ReplyInput{Body: "届きますか"}); err == nil {
			t.Error("reply stored although its message could not be planned")
		}
		if after := b.detail(t, tk.ID); !sameDetail(after, before) {
			t.Errorf("refused replies changed the ticket:\n%+v\n%+v", before, after)
		}
	})
}

func sameDetail(a, b Detail) bool {
	return same(a.Ticket, b.Ticket) && slices.Equal(a.Conversation, b.Conversation)
}

func TestReplyUnreachable(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		sent := b.withReplies(t)
		c := b.customer(t, "C-no-contact") // no email, phone, LINE or address
		tk := b.create(t, CreateInput{CustomerID: c.ID, Kind: "question", Subject: "電話しました"})
		if ch, err := b.svc.ReplyChannel(b.ctx, b.shopID, tk.ID); err != nil || ch != "" {
			t.Fatalf("reply channel %q %v", ch, err)
		}
		_, err := b.svc.Reply(b.ctx, b.shopID, tk.ID, ReplyInput{Body: "折り返します"})
		if !IsUnreachable(err) || !errors.Is(err, errs.ErrInvalid) {
			t.Fatalf("reply to the unreachable: %v", err)
		}
		if got := b.detail(t, tk.ID); len(got.Conversation) != 0 || got.FirstResponseAt != nil || len(sent.sent) != 0 {
			t.Fatalf("stored: %+v", got)
		}
		// A note needs no channel.
		if _, err := b.svc.AddNote(b.ctx, b.shopID, tk.ID, NoteInput{Body: "電話で対応"}); err != nil {
			t.Fatal(err)
		}
		// The preferred channel comes first; an erased customer has none.
		e, _, err := b.customers.Upsert(b.ctx, b.shopID, customer.Input{ExternalID: "C-pref", Email: ptr("a@example.jp"),
			Phone: ptr("090-1234-5678"), PreferredChannel: ptr("email")})
		if err != nil {
			t.Fatal(err)
		}
		tk2 := b.create(t, CreateInput{CustomerID: e.ID, Kind: "question", Subject: "s"})
		if ch, err := b.svc.ReplyChannel(b.ctx, b.shopID, tk2.ID); err != nil || ch != "email" {
			t.Fatalf("preferred: %q %v", ch, err)
		}
		if err := b.customers.Erase(b.ctx, b.shopID, e.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Reply(b.ctx, b.shopID, tk2.ID, ReplyInput{Body: "x"}); !IsUnreachable(err) {
			t.Fatalf("reply to an erased customer: %v", err)
		}
	})
}

func TestOpenOrAppend(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C1")
		in := func(text string) CreateInput {
			return CreateInput{CustomerExternalID: "C1", Kind: "question", Subject: "LINE: " + text, Body: text}
		}
		first, appended, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelLine, in("使い方を教えて"))
		if err != nil || appended || first.Body != "使い方を教えて" {
			t.Fatalf("first: %+v %v %v", first, appended, err)
		}
		b.clk.Advance(time.Minute)
		second, appended, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelLine, in("写真も送ります"))
		if err != nil || !appended || second.ID != first.ID {
			t.Fatalf("second: %+v %v %v", second, appended, err)
		}
		got := b.detail(t, first.ID)
		if len(got.Conversation) != 1 || got.Conversation[0].Kind != EntryCustomer || got.Conversation[0].Body != "写真も送ります" ||
			got.Conversation[0].Channel != ChannelLine || got.Conversation[0].AuthorID != "" {
			t.Fatalf("conversation: %+v", got.Conversation)
		}
		// A pending ticket (waiting on the customer) opens again.
		if _, err := b.svc.Update(b.ctx, b.shopID, first.ID, UpdateInput{Status: ptr(StatusPending)}); err != nil {
			t.Fatal(err)
		}
		if tk, appended, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelLine, in("まだですか")); err != nil || !appended || tk.Status != StatusOpen {
			t.Fatalf("pending: %+v %v %v", tk, appended, err)
		}
		// Resolved: the next message opens a new ticket.
		if _, err := b.svc.Update(b.ctx, b.shopID, first.ID, UpdateInput{Status: ptr(StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		third, appended, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelLine, in("別の質問です"))
		if err != nil || appended || third.ID == first.ID || third.CustomerID != c.ID {
			t.Fatalf("after resolution: %+v %v %v", third, appended, err)
		}
		// Invalid input and unknown customers are refused.
		bad := in("x")
		bad.Kind = "nope"
		if _, _, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelLine, bad); !slices.Equal(fieldsOf(err), []string{"kind"}) {
			t.Errorf("bad kind: %v", err)
		}
		bad = in("x")
		bad.CustomerExternalID = "nobody"
		if _, _, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelLine, bad); !slices.Equal(fieldsOf(err), []string{"customer_external_id"}) {
			t.Errorf("unknown customer: %v", err)
		}
	})
}

func TestStaffReplyExempt(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.withReplies(t)
		if _, _, err := b.customers.Upsert(b.ctx, b.shopID, customer.Input{ExternalID: "C1", Email: ptr("a@example.jp")}); err != nil {
			t.Fatal(err)
		}
		tk, _, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelLine, CreateInput{CustomerExternalID: "C1", Kind: "question", Subject: "s"})
		if err != nil {
			t.Fatal(err)
		}
		reply := func() string {
			t.Helper()
			e, err := b.svc.Reply(b.ctx, b.shopID, tk.ID, ReplyInput{Body: "回答です"})
			if err != nil {
				t.Fatal(err)
			}
			return e.MessageID
		}
		exempt := func(msg string, at time.Time) bool {
			t.Helper()
			ok, err := StaffReplyExempt(b.ctx, d, b.shopID, msg, at)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		m1 := reply()
		if !exempt(m1, t0.Add(59*time.Minute)) || !exempt(m1, t0.Add(time.Hour)) || exempt(m1, t0.Add(61*time.Minute)) {
			t.Error("the window after the ticket was opened")
		}
		b.clk.Advance(5 * time.Hour)
		if _, _, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelLine, CreateInput{CustomerExternalID: "C1", Kind: "question",
			Subject: "s", Body: "追加です"}); err != nil {
			t.Fatal(err)
		}
		m2 := reply()
		if !exempt(m2, t0.Add(5*time.Hour+30*time.Minute)) || exempt(m2, t0.Add(6*time.Hour+time.Minute)) {
			t.Error("the window after the customer's later message")
		}
		if exempt("msg_unknown", t0) || exempt("", t0) {
			t.Error("a message that is no reply is exempt")
		}
		other := setup(t, d)
		if ok, err := StaffReplyExempt(b.ctx, d, other.shopID, m2, t0.Add(5*time.Hour)); err != nil || ok {
			t.Errorf("another shop's message: %v %v", ok, err)
		}
	})
}

func TestInboxList(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "C1")
		// Due times: complaint +4h, question +24h, defect +4h (later), other +24h (later).
		q := b.create(t, CreateInput{CustomerID: c.ID, Kind: "question", Subject: "q"})
		cp := b.create(t, CreateInput{CustomerID: c.ID, Kind: "complaint", Subject: "c", Assignee: "usr_a"})
		b.clk.Advance(time.Minute)
		df := b.create(t, CreateInput{CustomerID: c.ID, Kind: "defect", Subject: "d", Assignee: "usr_b"})
		ot := b.create(t, CreateInput{CustomerID: c.ID, Kind: "other", Subject: "o"})
		if _, err := b.svc.Update(b.ctx, b.shopID, ot.ID, UpdateInput{Status: ptr(StatusResolved)}); err != nil {
			t.Fatal(err)
		}
		ids := func(p ListParams) []string {
			t.Helper()
			p.ShopID, p.ByDue = b.shopID, true
			var out []string
			for range 10 {
				page, more, err := b.svc.List(b.ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, tk := range page {
					out = append(out, tk.ID)
				}
				if !more {
					return out
				}
				p.AfterDue, p.AfterID = page[len(page)-1].FirstResponseDueAt, page[len(page)-1].ID
			}
			t.Fatal("too many pages")
			return nil
		}
		for name, tc := range map[string]struct {
			p    ListParams
			want []string
		}{
			"by due, paged by 1": {ListParams{Limit: 1}, []string{cp.ID, df.ID, q.ID, ot.ID}},
			"unresolved":         {ListParams{Unresolved: true, Limit: 2}, []string{cp.ID, df.ID, q.ID}},
			"assignee":           {ListParams{Assignee: "usr_b"}, []string{df.ID}},
			"unassigned":         {ListParams{Unassigned: true, Unresolved: true}, []string{q.ID}},
			"kind and status":    {ListParams{Kind: "other", Status: StatusResolved}, []string{ot.ID}},
		} {
			if got := ids(tc.p); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", name, got, tc.want)
			}
		}
		overdue := []bool{}
		now := t0.Add(5 * time.Hour)
		for _, tk := range []Ticket{q, cp, df, ot} {
			got, _ := b.svc.ByID(b.ctx, b.shopID, tk.ID)
			overdue = append(overdue, got.Overdue(now))
		}
		if !slices.Equal(overdue, []bool{false, true, true, false}) {
			t.Errorf("overdue at +5h: %v", overdue)
		}
		if _, _, err := b.svc.List(b.ctx, ListParams{ShopID: b.shopID, Assignee: "a\x00"}); !slices.Equal(fieldsOf(err), []string{"assignee"}) {
			t.Errorf("bad assignee filter: %v", err)
		}
	})
}

// TestConversationErased: the APPI export holds the tickets'
// conversations, and erasing the customer blanks them.
func TestConversationErased(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.withReplies(t)
		c, _, err := b.customers.Upsert(b.ctx, b.shopID, customer.Input{ExternalID: "C1", Email: ptr("a@example.jp")})
		if err != nil {
			t.Fatal(err)
		}
		tk, _, _ := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelForm, CreateInput{CustomerID: c.ID, Kind: "question", Subject: "s"})
		if _, _, err := b.svc.OpenOrAppend(b.ctx, b.shopID, ChannelForm, CreateInput{CustomerID: c.ID, Kind: "question", Subject: "s",
			Body: "PII 090-1111-2222"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Reply(b.ctx, b.shopID, tk.ID, ReplyInput{Body: "PII 山田様"}); err != nil {
			t.Fatal(err)
		}
		x, err := b.customers.Export(b.ctx, b.shopID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Tickets) != 1 || len(x.Tickets[0].Conversation) != 2 || x.Tickets[0].Conversation[0].Body != "PII 090-1111-2222" ||
			x.Tickets[0].Conversation[1].Kind != EntryReply {
			t.Fatalf("export: %+v", x.Tickets)
		}
		if err := b.customers.Erase(b.ctx, b.shopID, c.ID); err != nil {
			t.Fatal(err)
		}
		got := b.detail(t, tk.ID)
		if len(got.Conversation) != 2 || got.Conversation[0].Body != "" || got.Conversation[1].Body != "" {
			t.Fatalf("after erasure: %+v", got.Conversation)
		}
		var n int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM ticket_entries WHERE body LIKE '%PII%'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("personal text left: %d %v", n, err)
		}
	})
}
