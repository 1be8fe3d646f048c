package pages_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/pages/engagement"
	"github.com/kizukai/kizukai/internal/token"
)

type messageItem struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Body   string `json:"body"`
}

// sentMessage runs the post-purchase journey's first step and returns the
// thanks message it sent.
func sentMessage(t *testing.T, e *apptest.Env, f *fixture) messageItem {
	t.Helper()
	advance(t, e, "1m")
	var b struct {
		Items []messageItem `json:"items"`
	}
	e.Do("GET", "/api/v1/messages?customer_id="+f.customerID+"&status=sent", nil).JSON(t, &b)
	if len(b.Items) == 0 {
		t.Fatal("no sent message")
	}
	return b.Items[len(b.Items)-1]
}

func messageByID(t *testing.T, e *apptest.Env, id string) messageItem {
	t.Helper()
	var m messageItem
	e.Do("GET", "/api/v1/messages/"+id, nil).JSON(t, &m)
	return m
}

func TestAcknowledge(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		m := sentMessage(t, e, f)
		path := "/a/" + f.sign(t, token.Ack, m.ID)
		wantPage(t, "notice", get(t, e, path), 200, "大切なお知らせ", "内容を確認しました", "山田 花子")
		if n := timelineTypes(t, e, f.customerID)["message.acknowledged"]; n != 0 {
			t.Fatal("GET acknowledged")
		}
		wantPage(t, "ack", post(t, e, path, url.Values{}), 200, "ご確認いただき、ありがとうございます", "確認日時")
		wantPage(t, "ack again", post(t, e, path, url.Values{}), 200)
		wantPage(t, "acked page", get(t, e, path+"?lang=en"), 200, "You have already confirmed this notice.")
		if n := timelineTypes(t, e, f.customerID)["message.acknowledged"]; n != 1 {
			t.Fatalf("%d message.acknowledged events", n)
		}
		// A message that never went out cannot be acknowledged.
		var all struct {
			Items []messageItem `json:"items"`
		}
		e.Do("GET", "/api/v1/messages?customer_id="+f.customerID+"&status=scheduled", nil).JSON(t, &all)
		if len(all.Items) > 0 {
			wantPage(t, "scheduled", get(t, e, "/a/"+f.sign(t, token.Ack, all.Items[0].ID)), 404)
		}
	})
}

func TestClickRedirect(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		m := sentMessage(t, e, f)
		links := engagement.Links(m.Body)
		if len(links) == 0 {
			t.Fatalf("the thanks message has no link:\n%s", m.Body)
		}
		p := get(t, e, "/k/"+f.sign(t, token.Click, engagement.ClickObject(m.ID, 1)))
		if p.Status != 302 || p.Location != links[0] {
			t.Fatalf("click: %d %q, want 302 %q", p.Status, p.Location, links[0])
		}
		if got := messageByID(t, e, m.ID); got.Status != "clicked" {
			t.Fatalf("status after click: %s", got.Status)
		}
		get(t, e, "/k/"+f.sign(t, token.Click, engagement.ClickObject(m.ID, 1)))
		if n := timelineTypes(t, e, f.customerID)["message.clicked"]; n != 1 {
			t.Fatalf("%d message.clicked events for one link", n)
		}
		for _, obj := range []string{m.ID + "." + "0", m.ID + ".999", m.ID, m.ID + ".01", m.ID + ".-1", "msg_other.1"} {
			wantPage(t, "click "+obj, get(t, e, "/k/"+f.sign(t, token.Click, obj)), 404)
		}
		// The click token of a message names only that message's links: a
		// URL in the query is ignored.
		p = get(t, e, "/k/"+f.sign(t, token.Click, engagement.ClickObject(m.ID, 1))+"?url=https://evil.example")
		if !strings.HasPrefix(p.Location, "http://kizukai.test/") {
			t.Fatalf("redirect went to %q", p.Location)
		}
	})
}
