package pages_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/token"
)

type results struct {
	Responses int `json:"responses"`
	CSAT      struct {
		Count   int      `json:"count"`
		Average *float64 `json:"average"`
	} `json:"csat"`
	NPS struct {
		Count int      `json:"count"`
		Score *float64 `json:"score"`
	} `json:"nps"`
	Weeks []struct {
		WeekStart string `json:"week_start"`
		Responses int    `json:"responses"`
	} `json:"weeks"`
}

func surveyResults(t *testing.T, e *apptest.Env) results {
	t.Helper()
	res := e.Do("GET", "/api/v1/surveys/post_purchase/results", nil)
	if res.Status != 200 {
		t.Fatalf("results: %d %s", res.Status, res.Body)
	}
	var r results
	res.JSON(t, &r)
	return r
}

// timelineTypes counts the customer's events by type.
func timelineTypes(t *testing.T, e *apptest.Env, customerID string) map[string]int {
	t.Helper()
	res := e.Do("GET", "/api/v1/customers/"+customerID+"/timeline?limit=200", nil)
	var b struct {
		Items []struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"items"`
	}
	res.JSON(t, &b)
	out := map[string]int{}
	for _, it := range b.Items {
		out[it.Type]++
	}
	return out
}

type ticketItem struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Kind       string `json:"kind"`
	Subject    string `json:"subject"`
	Body       string `json:"body"`
}

func tickets(t *testing.T, e *apptest.Env) []ticketItem {
	t.Helper()
	var b struct {
		Items []ticketItem `json:"items"`
	}
	e.Do("GET", "/api/v1/tickets", nil).JSON(t, &b)
	return b.Items
}

func TestSurvey(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		path := "/s/" + f.sign(t, token.Survey, f.orderID)
		wantPage(t, "form", get(t, e, path), 200, "ご購入後のアンケート", `name="csat"`, `name="nps"`, `name="comment"`,
			"しっとり化粧水", `<label class="field" for="comment">`)
		wantPage(t, "form en", get(t, e, path+"?lang=en"), 200, "How was your purchase?", "Very satisfied")

		// Bad answers: 422 with the field named, nothing stored.
		bad := []struct {
			name string
			form url.Values
			want string
		}{
			{"no csat", url.Values{"nps": {"9"}}, "満足度を1〜5の中から"},
			{"csat 0", url.Values{"csat": {"0"}}, "満足度を1〜5の中から"},
			{"csat 6", url.Values{"csat": {"6"}}, "満足度を1〜5の中から"},
			{"csat text", url.Values{"csat": {"five"}}, "満足度を1〜5の中から"},
			{"csat twice", url.Values{"csat": {"5", "1"}}, "満足度を1〜5の中から"},
			{"nps 11", url.Values{"csat": {"5"}, "nps": {"11"}}, "0〜10の中から"},
			{"nps -1", url.Values{"csat": {"5"}, "nps": {"-1"}}, "0〜10の中から"},
			{"comment too long", url.Values{"csat": {"5"}, "comment": {strings.Repeat("あ", 2001)}}, "2,000文字以内"},
			{"comment control", url.Values{"csat": {"5"}, "comment": {"a\x00b"}}, "2,000文字以内"},
		}
		for _, tt := range bad {
			wantPage(t, tt.name, post(t, e, path, tt.form), 422, tt.want, "入力内容をご確認ください")
		}
		if r := surveyResults(t, e); r.Responses != 0 {
			t.Fatalf("bad answers stored: %+v", r)
		}

		// A good answer: 303 back to the page, which thanks; results count it.
		p := post(t, e, path, url.Values{"csat": {"5"}, "nps": {"9"}, "comment": {"とても使いやすいです"}})
		if p.Status != 303 || !strings.Contains(p.Location, "saved=1") {
			t.Fatalf("submit: %d %s", p.Status, p.Location)
		}
		wantPage(t, "thanks", get(t, e, p.Location), 200, "ご回答ありがとうございました", "とても使いやすいです", `value="5" checked`)
		r := surveyResults(t, e)
		if r.Responses != 1 || *r.CSAT.Average != 5 || *r.NPS.Score != 100 {
			t.Fatalf("results after one answer: %+v", r)
		}

		// A second submit edits: still one response, no ticket yet; then a
		// low edit opens one recovery ticket, and another edit opens no second.
		post(t, e, path, url.Values{"csat": {"4"}})
		r = surveyResults(t, e)
		if r.Responses != 1 || *r.CSAT.Average != 4 || r.NPS.Count != 0 {
			t.Fatalf("results after edit: %+v", r)
		}
		if n := len(tickets(t, e)); n != 0 {
			t.Fatalf("%d tickets for good scores", n)
		}
		p = post(t, e, path, url.Values{"csat": {"2"}, "nps": {"3"}, "comment": {"少し肌に合いませんでした"}})
		wantPage(t, "low thanks", get(t, e, p.Location), 200, "担当者より、あらためてご連絡")
		post(t, e, path, url.Values{"csat": {"1"}, "comment": {"苦情です"}})
		ts := tickets(t, e)
		if len(ts) != 1 || ts[0].Subject != "アンケートで低評価: 連絡してください" || ts[0].Kind != "other" || ts[0].CustomerID != f.customerID {
			t.Fatalf("recovery tickets: %+v", ts)
		}
		types := timelineTypes(t, e, f.customerID)
		if types["survey.answered"] != 1 || types["survey.updated"] != 3 {
			t.Fatalf("survey events: %v", types)
		}
		// The receipt now says thanks and offers to review the answer.
		wantPage(t, "receipt after survey", get(t, e, f.receipt), 200, "回答を見直す")
	})
}

func TestSurveyComplaintAndResultsAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		f := setup(t, e)
		post(t, e, "/s/"+f.sign(t, token.Survey, f.orderID), url.Values{"csat": {"1"}, "nps": {"0"}, "comment": {"これは苦情です。届いた箱が潰れていました"}})
		ts := tickets(t, e)
		if len(ts) != 1 || ts[0].Kind != "complaint" || !strings.Contains(ts[0].Body, "届いた箱が潰れていました") {
			t.Fatalf("complaint ticket: %+v", ts)
		}
		r := surveyResults(t, e)
		if r.Responses != 1 || *r.NPS.Score != -100 || len(r.Weeks) != 12 || r.Weeks[11].Responses != 1 || r.Weeks[11].WeekStart != "2026-11-23" {
			t.Fatalf("results: %+v", r)
		}
		for _, tt := range []struct {
			path   string
			status int
		}{
			{"/api/v1/surveys/nope/results", 404},
			{"/api/v1/surveys/post_purchase/results?from=yesterday", 400},
			{"/api/v1/surveys/post_purchase/results?to=2026-13-01T00:00:00Z", 400},
			{"/api/v1/surveys/post_purchase/results?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z", 422},
			{"/api/v1/surveys/post_purchase/results?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", 422},
			{"/api/v1/surveys/post_purchase/results?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z", 200},
		} {
			if res := e.Do("GET", tt.path, nil); res.Status != tt.status {
				t.Errorf("%s: %d, want %d: %s", tt.path, res.Status, tt.status, res.Body)
			}
		}
		// Another shop sees no answers.
		_, key := e.OtherShop("other-shop")
		var other results
		e.DoKey(key, "GET", "/api/v1/surveys/post_purchase/results", nil).JSON(t, &other)
		if other.Responses != 0 {
			t.Fatalf("other shop sees %d answers", other.Responses)
		}
	})
}
