package admin_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/admin/audit"
	"github.com/kizukai/kizukai/internal/app/apptest"
	"github.com/kizukai/kizukai/internal/channel/sms"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
)

// journeyID returns the ID of the shop's built-in journey with key, read
// through the API.
func journeyID(t *testing.T, ae *apptest.Env, key string) string {
	t.Helper()
	for _, it := range ae.Do("GET", "/api/v1/journeys", nil).Map(t)["items"].([]any) {
		if j := it.(map[string]any); j["builtin_key"] == key {
			return j["id"].(string)
		}
	}
	t.Fatalf("no journey %s", key)
	return ""
}

// audited reports whether the shop's audit log has the action on id.
func audited(t *testing.T, e *env, action, id string) bool {
	t.Helper()
	es, _, err := audit.List(context.Background(), e.App.DB, audit.ListParams{ShopID: e.Shop.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(es, func(x audit.Entry) bool { return x.Action == action && x.ObjectID == id })
}

// TestJourneyPages: everyone sees the journeys with their figures and the
// steps in words; a viewer cannot pause; a marketer pauses and activates
// through the same functions as the API (the API sees it), audited; other
// shops' journeys are not found.
func TestJourneyPages(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		e.user(t, staff.Marketer, "marketer@example.jp")
		seed(t, ae)
		pp := journeyID(t, ae, journey.BuiltinPostPurchase)
		d := ae.Do("GET", "/api/v1/journeys/"+pp, nil).Map(t)
		stats := d["stats"].(map[string]any)
		if stats["sends"].(float64) == 0 {
			t.Fatalf("the seed sent nothing: %v", stats)
		}

		viewer := e.login(t, "viewer@example.jp")
		r := viewer.get("/admin/journeys")
		want(t, "list", r, http.StatusOK, "購入後のアフターフォロー", "ごぶさたのお声がけ", "稼働中", "停止中",
			html.EscapeString(journey.DunningPausedReason), "注文があったとき", "配信停止率")
		row := r.Body[strings.Index(r.Body, `id="jny-`+pp+`"`):]
		row = row[:strings.Index(row, "</tr>")]
		if cell := `<td class="num">` + strconv.Itoa(int(stats["sends"].(float64))) + `</td>`; !strings.Contains(row, cell) {
			t.Errorf("list row lacks the API's sends %s: %s", cell, row)
		}
		r = viewer.get("/admin/journeys/" + pp)
		want(t, "show", r, http.StatusOK, "注文があったとき", "3日 待つ", "11日 待つ", "ケア のメッセージ「", "分岐: 「注文に消耗品がある」が 次と等しい: はい なら 「until_refill」へ",
			"消耗品を使い切る日 の 7日 前まで待つ", "閲覧のみ", "バージョン 1", "文面を見る")
		if strings.Contains(r.Body, `action="/admin/journeys/`+pp+`/pause"`) {
			t.Error("a viewer is offered the pause button")
		}
		if r := viewer.post("/admin/journeys/"+pp+"/pause", nil); r.Status != http.StatusForbidden {
			t.Fatalf("viewer pause: %d", r.Status)
		}
		if s := ae.Do("GET", "/api/v1/journeys/"+pp, nil).Map(t)["status"]; s != "active" {
			t.Fatalf("after the viewer's try: %v", s)
		}

		m := e.login(t, "marketer@example.jp")
		r = m.post("/admin/journeys/"+pp+"/pause", nil)
		if r.Status != http.StatusSeeOther || r.Location != "/admin/journeys/"+pp {
			t.Fatalf("pause: %d %s", r.Status, r.Location)
		}
		j := ae.Do("GET", "/api/v1/journeys/"+pp, nil).Map(t)
		if j["status"] != "paused" || j["paused_reason"] != journey.PausedByStaff {
			t.Fatalf("API after pause: %v %v", j["status"], j["paused_reason"])
		}
		if !audited(t, e, "journey.pause", pp) {
			t.Error("pause not audited")
		}
		want(t, "paused page", m.get("/admin/journeys/"+pp), http.StatusOK, "ジャーニーを一時停止しました。", `id="journey-status">停止中`,
			html.EscapeString(journey.PausedByStaff), `action="/admin/journeys/`+pp+`/activate"`)
		if r := m.post("/admin/journeys/"+pp+"/activate", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("activate: %d\n%s", r.Status, r.Body)
		}
		j = ae.Do("GET", "/api/v1/journeys/"+pp, nil).Map(t)
		if j["status"] != "active" || j["paused_reason"] != "" || !audited(t, e, "journey.activate", pp) {
			t.Fatalf("API after activate: %v %v", j["status"], j["paused_reason"])
		}

		// Activation is refused as the API refuses it: a template the shop lacks.
		own := ae.Do("POST", "/api/v1/journeys", map[string]any{"name": "新商品のご案内", "trigger": map[string]any{"type": "order_placed", "sku": "LOTION"},
			"steps": []any{map[string]any{"id": "hello", "type": "send", "template": "lotion_hello", "purpose": "care"}}})
		if own.Status != http.StatusCreated {
			t.Fatalf("own journey: %d %s", own.Status, own.Body)
		}
		oid := own.Map(t)["id"].(string)
		want(t, "refused activation", m.post("/admin/journeys/"+oid+"/activate", nil), http.StatusUnprocessableEntity,
			"再開できませんでした。", "steps[0].template", "SKU LOTION を含む")
		if s := ae.Do("GET", "/api/v1/journeys/"+oid, nil).Map(t)["status"]; s != "draft" || audited(t, e, "journey.activate", oid) {
			t.Fatalf("refused activation changed the journey: %v", s)
		}

		// Another shop's journey is not found, for reading and writing.
		other, err := ae.App.CreateShop(context.Background(), shop.CreateParams{Slug: "other-shop", Name: "よその店"})
		if err != nil {
			t.Fatal(err)
		}
		ojs, _, err := ae.App.Journeys.List(context.Background(), journey.ListParams{ShopID: other.ID})
		if err != nil || len(ojs) == 0 {
			t.Fatalf("other shop's journeys: %v", err)
		}
		for _, r := range []res{m.get("/admin/journeys/" + ojs[0].ID), m.post("/admin/journeys/"+ojs[0].ID+"/pause", nil),
			m.get("/admin/journeys/" + ojs[0].ID + "/templates/care_thanks")} {
			if r.Status != http.StatusNotFound {
				t.Errorf("other shop's journey: %d", r.Status)
			}
		}
		if got, _ := ae.App.Journeys.ByID(context.Background(), other.ID, ojs[0].ID); got.Status != ojs[0].Status {
			t.Errorf("other shop's journey changed: %s", got.Status)
		}
	})
}

// TestJourneyTemplates: a template is validated exactly as the API does
// (unknown variable, SMS over the shop's limit: 422 naming the field,
// nothing stored), saved (audited, the API sees it), and previewed for a
// customer by the same renderer as the API's preview, with the SMS
// segment count; read-only staff preview the stored text.
func TestJourneyTemplates(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		e.user(t, staff.Marketer, "marketer@example.jp")
		seed(t, ae)
		pp := journeyID(t, ae, journey.BuiltinPostPurchase)
		page := "/admin/journeys/" + pp + "/templates/care_thanks"
		before := ae.Do("GET", "/api/v1/templates/care_thanks", nil).Map(t)
		m := e.login(t, "marketer@example.jp")
		want(t, "form", m.get(page), http.StatusOK, `id="body_ja"`, `id="sms_en"`, `name="do" value="preview"`, html.EscapeString(before["body_ja"].(string)))
		if r := m.get("/admin/journeys/" + pp + "/templates/winback_checkin"); r.Status != http.StatusNotFound {
			t.Fatalf("a template the journey does not send: %d", r.Status)
		}

		form := func(bodyJA, smsJA string) url.Values {
			return url.Values{"name": {"お礼とケア"}, "purpose": {"care"}, "subject_ja": {"ご購入ありがとうございます"}, "body_ja": {bodyJA},
				"sms_ja": {smsJA}, "subject_en": {"Thank you"}, "body_en": {"Dear {{ customer.name }}, thank you."}, "sms_en": {""},
				"customer": {"ca@example.jp"}, "locale": {""}, "do": {"save"}}
		}
		r := m.post(page, form("{{ customer.nmae }} 様", ""))
		want(t, "unknown variable", r, http.StatusUnprocessableEntity, `id="body_ja-error"`, "変数 customer.nmae はありません")
		if ae.Do("GET", "/api/v1/templates/care_thanks", nil).Map(t)["body_ja"] != before["body_ja"] {
			t.Fatal("a refused template was stored")
		}
		if r := ae.Do("PUT", "/api/v1/policy", map[string]any{"sms_max_chars": 70}); r.Status != http.StatusOK {
			t.Fatalf("policy: %d %s", r.Status, r.Body)
		}
		r = m.post(page, form("{{ customer.name }} 様、ありがとうございます。", strings.Repeat("あ", 71)))
		want(t, "sms too long", r, http.StatusUnprocessableEntity, `id="sms_ja-error"`, "SMSの上限 70 文字を超えます")
		if ae.Do("GET", "/api/v1/templates/care_thanks", nil).Map(t)["sms_ja"] != before["sms_ja"] {
			t.Fatal("a refused SMS text was stored")
		}

		// Preview what was typed, before saving: nothing is stored.
		body := "{{ customer.name }} 様\nご購入ありがとうございます。{{ shop.name }}より。"
		f := form(body, "{{ customer.name }} 様、ありがとうございます。{{ shop.name }}")
		f.Set("do", "preview")
		r = m.post(page, f)
		want(t, "draft preview", r, http.StatusOK, `id="preview-body"`, "顧客 様\nご購入ありがとうございます。テスト商店より。", `id="segments">UCS-2・`)
		if ae.Do("GET", "/api/v1/templates/care_thanks", nil).Map(t)["body_ja"] != before["body_ja"] {
			t.Fatal("a preview stored the template")
		}
		f.Set("customer", "nobody@example.jp")
		want(t, "unknown customer", m.post(page, f), http.StatusUnprocessableEntity, `id="customer-error"`, "このショップにそのお客様はいません")

		// Save, then the API has it and its preview is what the page shows.
		r = m.post(page, form(body, "{{ customer.name }} 様、ありがとうございます。{{ shop.name }}"))
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, page+"?") {
			t.Fatalf("save: %d %s\n%s", r.Status, r.Location, r.Body)
		}
		if got := ae.Do("GET", "/api/v1/templates/care_thanks", nil).Map(t); got["body_ja"] != body || got["subject_en"] != "Thank you" {
			t.Fatalf("stored: %v", got)
		}
		if !audited(t, e, "template.update", "care_thanks") {
			t.Error("template save not audited")
		}
		cid := ""
		for _, it := range ae.Do("GET", "/api/v1/customers?q=ca@example.jp", nil).Map(t)["items"].([]any) {
			cid = it.(map[string]any)["id"].(string)
		}
		api := ae.Do("POST", "/api/v1/templates/care_thanks/preview", map[string]any{"customer_id": cid, "locale": "en"}).Map(t)
		viewer := e.login(t, "viewer@example.jp")
		r = viewer.get(page + "?" + url.Values{"customer": {cid}, "locale": {"en"}}.Encode())
		enc, chars, segs := sms.Segments(api["sms"].(string))
		want(t, "viewer preview", r, http.StatusOK, "fieldset disabled", html.EscapeString(api["body"].(string)), html.EscapeString(api["subject"].(string)),
			`id="segments">`+enc+"・"+strconv.Itoa(chars)+"文字・"+strconv.Itoa(segs)+"通分")
		if enc != sms.UCS2 { // the customer's name is Japanese
			t.Errorf("encoding %s", enc)
		}
		if strings.Contains(r.Body, `name="do" value="save"`) {
			t.Error("a viewer is offered the save button")
		}
		if r := viewer.post(page, form(body, "")); r.Status != http.StatusForbidden {
			t.Fatalf("viewer save: %d", r.Status)
		}
		want(t, "bad locale", viewer.get(page+"?customer="+cid+"&locale=fr"), http.StatusUnprocessableEntity, `id="locale-error"`)
	})
}

// TestPolicyPage: every setting is shown with its explanation; viewers
// read it; a bad value is a 422 naming each field and keeps the stored
// policy; a good one is stored as PUT /api/v1/policy would, audited.
func TestPolicyPage(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, ae *apptest.Env) {
		e := newEnv(t, ae)
		e.user(t, staff.Viewer, "viewer@example.jp")
		e.user(t, staff.Support, "support@example.jp")
		e.user(t, staff.Owner, "owner@example.jp")
		names := []string{"min_care_before_sales", "max_sales_share", "max_per_week", "max_defer_days", "quiet_start", "quiet_end",
			"brake_opt_out_rate", "brake_window", "brake_min_sends", "sms_max_chars", "ticket_sla_hours", "urgent_ticket_sla_hours"}
		for _, who := range []string{"viewer@example.jp", "support@example.jp"} {
			c := e.login(t, who)
			r := c.get("/admin/journeys/policy")
			want(t, who+" policy", r, http.StatusOK, "ケアの方針", "fieldset disabled", "販売の前に必要なケアの数", `id="channel_order_4"`)
			for _, n := range names {
				if !strings.Contains(r.Body, `id="`+n+`"`) || !strings.Contains(r.Body, `id="`+n+`-hint"`) {
					t.Errorf("%s: field %s or its explanation missing", who, n)
				}
			}
			if r := c.post("/admin/journeys/policy", url.Values{"max_per_week": {"5"}}); r.Status != http.StatusForbidden {
				t.Fatalf("%s writes the policy: %d", who, r.Status)
			}
		}
		good := url.Values{"min_care_before_sales": {"3"}, "max_sales_share": {"0.25"}, "max_per_week": {"2"}, "max_defer_days": {"5"},
			"quiet_start": {"22:00"}, "quiet_end": {"08:30"}, "brake_opt_out_rate": {"0.05"}, "brake_window": {"200"}, "brake_min_sends": {"20"},
			"sms_max_chars": {"320"}, "ticket_sla_hours": {"12"}, "urgent_ticket_sla_hours": {"2"},
			"channel_order_1": {"email"}, "channel_order_2": {"line"}, "channel_order_3": {""}, "channel_order_4": {""}}
		bad := url.Values{}
		for k, v := range good {
			bad[k] = v
		}
		bad.Set("max_per_week", "0")
		bad.Set("quiet_start", "25:00")
		bad.Set("brake_opt_out_rate", "lots")
		bad.Set("channel_order_2", "email")
		o := e.login(t, "owner@example.jp")
		before := ae.Do("GET", "/api/v1/policy", nil).Body
		r := o.post("/admin/journeys/policy", bad)
		want(t, "bad policy", r, http.StatusUnprocessableEntity, `id="max_per_week-error"`, "1〜100の整数で入力してください", `id="quiet_start-error"`,
			`id="brake_opt_out_rate-error"`, "数値で入力してください", `id="channel_order-error"`, `value="lots"`)
		if after := ae.Do("GET", "/api/v1/policy", nil).Body; string(after) != string(before) {
			t.Fatalf("a refused policy changed the stored one:\n%s\n%s", before, after)
		}
		r = o.post("/admin/journeys/policy", good)
		if r.Status != http.StatusSeeOther || r.Location != "/admin/journeys/policy" {
			t.Fatalf("save: %d\n%s", r.Status, r.Body)
		}
		p := ae.Do("GET", "/api/v1/policy", nil).Map(t)
		if p["max_per_week"] != float64(2) || p["quiet_end"] != "08:30" || p["max_sales_share"] != 0.25 || p["urgent_ticket_sla_hours"] != float64(2) ||
			len(p["channel_order"].([]any)) != 2 || p["channel_order"].([]any)[0] != "email" {
			t.Fatalf("stored: %v", p)
		}
		if !audited(t, e, "policy.update", e.Shop.ID) {
			t.Error("policy save not audited")
		}
		want(t, "saved policy", o.get("/admin/journeys/policy"), http.StatusOK, "ケアの方針を保存しました。", `value="08:30"`, `value="0.25"`)
	})
}
