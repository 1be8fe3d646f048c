package admin

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/event"
)

// TestTimelineOf: every kind of event reads as words in both languages,
// with the link to what it is about.
func TestTimelineOf(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name, typ, data string
		lang            string
		want            timelineEntry
	}{
		{"order", "order.placed", `{"order_id":"ord_1","external_id":"R-1","total":12800,"currency":"JPY","skus":["A","B"],"channel":"online","store":""}`, "ja",
			timelineEntry{Kind: "order", Title: "ご注文 R-1", Detail: "¥12,800 · オンライン · A, B"}},
		{"order in dollars", "order.placed", `{"external_id":"R-2","total":50,"currency":"USD","channel":"store","store":"NY"}`, "en",
			timelineEntry{Kind: "order", Title: "Order R-2", Detail: "50 USD · NY"}},
		{"message suppressed", "message.suppressed", `{"message_id":"msg_1","purpose":"care","reason":"quiet_hours","channel":"sms"}`, "ja",
			timelineEntry{Kind: "message", Title: "メッセージ", Status: "見送り", StatusClass: "st-suppressed", Detail: "ケア · SMS", Reason: "配信しない時間帯",
				URL: "/admin/messages/msg_1"}},
		{"message deferred", "message.deferred", `{"message_id":"msg_2","purpose":"sales","reason":"frequency_cap"}`, "en",
			timelineEntry{Kind: "message", Title: "Message", Status: "Deferred", StatusClass: "st-waiting", Detail: "Sales", Reason: "Weekly cap",
				URL: "/admin/messages/msg_2"}},
		{"message failed, unknown reason", "message.failed", `{"message_id":"msg_3","purpose":"care","reason":"provider said no","channel":"email"}`, "en",
			timelineEntry{Kind: "message", Title: "Message", Status: "Failed", StatusClass: "st-failed", Detail: "Care · Email", Reason: "provider said no",
				URL: "/admin/messages/msg_3"}},
		{"message acknowledged", "message.acknowledged", `{"message_id":"msg_4","purpose":"transactional","channel":"line"}`, "ja",
			timelineEntry{Kind: "message", Title: "メッセージ", Status: "確認済み", Detail: "取引 · LINE", URL: "/admin/messages/msg_4"}},
		{"ticket", "ticket.resolved", `{"ticket_id":"tkt_1","kind":"defect"}`, "ja",
			timelineEntry{Kind: "ticket", Title: "問い合わせの解決", Detail: "不具合", URL: "/admin/tickets/tkt_1"}},
		{"survey", "survey.answered", `{"survey_id":"srv_1","order_id":"ord_1","csat":2,"nps":3,"score":2}`, "ja",
			timelineEntry{Kind: "survey", Title: "アンケートの回答", Detail: "満足度 2/5 · おすすめ度 3/10"}},
		{"survey without nps", "survey.updated", `{"csat":5,"nps":null}`, "en",
			timelineEntry{Kind: "survey", Title: "Survey answer changed", Detail: "Satisfaction 5/5"}},
		{"consent withdrawn", "consent.changed", `{"channel":"email","granted":false,"source":"unsubscribe_link"}`, "ja",
			timelineEntry{Kind: "consent", Title: "同意の変更: メール 撤回", Detail: "取得元: unsubscribe_link"}},
		{"band", "freshness.band_entered", `{"band":"cooling","previous":"fresh"}`, "en",
			timelineEntry{Kind: "band", Title: "Became Cooling", Detail: "Was Fresh"}},
		{"task", "task.created", `{"task":"お電話する","journey_id":"jny_1"}`, "ja",
			timelineEntry{Kind: "task", Title: "スタッフ作業", Detail: "お電話する"}},
		{"custom", "pos.visit", `{"store":"渋谷"}`, "ja",
			timelineEntry{Kind: "other", Title: "出来事: pos.visit", Detail: `{"store":"渋谷"}`}},
		{"custom without data", "pos.visit", `{}`, "en", timelineEntry{Kind: "other", Title: "Event: pos.visit"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := timelineOf(Lang{Code: tt.lang}, event.Event{ID: "evt_1", Type: tt.typ, OccurredAt: at, Data: json.RawMessage(tt.data)})
			tt.want.ID, tt.want.At = "evt_1", at
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
