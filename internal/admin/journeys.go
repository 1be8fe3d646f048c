package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/message"
)

// journeyRoutes are the journeys pages. Every staff member may look at the
// journeys, their figures, templates and the care-first policy; owners and
// marketers run them (activate, pause, edit templates and the policy), as
// the API's journey, template and policy endpoints do.
func (h *Handler) journeyRoutes() []route {
	return []route{
		{"GET", "/admin/journeys", anyRole, h.listJourneys},
		{"GET", "/admin/journeys/policy", anyRole, h.policyPage}, // read-only unless owner or marketer
		{"POST", "/admin/journeys/policy", owner | marketer, h.savePolicy},
		{"GET", "/admin/journeys/{id}", anyRole, h.showJourney},
		{"POST", "/admin/journeys/{id}/activate", owner | marketer, h.activateJourney},
		{"POST", "/admin/journeys/{id}/pause", owner | marketer, h.pauseJourney},
		{"GET", "/admin/journeys/{id}/templates/{key}", anyRole, h.templatePage}, // read-only unless owner or marketer
		{"POST", "/admin/journeys/{id}/templates/{key}", owner | marketer, h.saveTemplate},
	}
}

// canRunJourneys reports whether the visitor may change journeys,
// templates and the policy.
func canRunJourneys(v *visit) bool { return (owner | marketer).allows(v.Session.User.Role) }

func journeyURL(id string) string { return "/admin/journeys/" + id }

// journeysView is the list of the shop's journeys with their figures.
type journeysView struct {
	page
	Items   []journeyRow
	NextURL string
	First   string
}

// journeyRow is a journey with its figures and page.
type journeyRow struct {
	journey.Details
	URL        string
	Trigger    string
	Suppressed []reasonCount
	OptOut     string // the rate as a percentage
}

// reasonCount is a suppression reason with its count.
type reasonCount struct {
	Reason string
	N      int
}

type journeyCursor struct {
	After string `json:"a"`
}

const journeyPageSize = 50

func (h *Handler) listJourneys(w http.ResponseWriter, r *http.Request, v *visit) error {
	var cur journeyCursor
	onLater, err := httpx.DecodeCursor(r, &cur)
	if err != nil {
		return err
	}
	js, more, err := h.Journeys.List(r.Context(), journey.ListParams{ShopID: v.Shop.ID, AfterID: cur.After, Limit: journeyPageSize})
	if err != nil {
		return err
	}
	jv := journeysView{page: h.newPage(r, v, "journeys.title", "nav.journeys")}
	for _, j := range js {
		d, err := h.Journeys.Details(r.Context(), v.Shop.ID, j.ID)
		if err != nil {
			return err
		}
		jv.Items = append(jv.Items, journeyRow{Details: d, URL: journeyURL(j.ID), Trigger: triggerText(v.L, d.Definition.Trigger),
			Suppressed: reasonCounts(d.Stats.SuppressedByReason), OptOut: percent(d.Stats.OptOutRate)})
	}
	if more {
		jv.NextURL = "/admin/journeys?cursor=" + httpx.EncodeCursor(journeyCursor{After: js[len(js)-1].ID})
	}
	if onLater {
		jv.First = "/admin/journeys"
	}
	return h.render(w, http.StatusOK, "journeys_list", jv)
}

// reasonCounts orders suppression counts as the policy applies its rules.
func reasonCounts(m map[string]int) []reasonCount {
	var out []reasonCount
	seen := map[string]bool{}
	for _, k := range suppressionReasons {
		if n := m[k]; n > 0 {
			out = append(out, reasonCount{k, n})
		}
		seen[k] = true
	}
	for k, n := range m {
		if !seen[k] && n > 0 {
			out = append(out, reasonCount{k, n})
		}
	}
	return out
}

// suppressionReasons are the reasons in the policy's order (SPEC §4).
var suppressionReasons = []string{"journey_paused", "unreachable", "no_consent", "open_ticket", "not_enough_care", "sales_share",
	"frequency_cap", "quiet_hours", "template_error", "delivery_failed", "ambiguous"}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// journeyView is one journey: its steps in words, its figures and the
// buttons that start or stop it.
type journeyView struct {
	page
	journey.Details
	Trigger    string
	Steps      []stepRow
	ExitOn     []string
	Runs       []reasonCount
	Messages   []reasonCount
	Suppressed []reasonCount
	OptOut     string
	CanRun     bool
	Errors     []string // why activation was refused
}

// stepRow is one step in words, with the template it sends (if any).
type stepRow struct {
	ID, Text    string
	TemplateURL string
}

func (h *Handler) journeyPage(r *http.Request, v *visit, id string) (journeyView, error) {
	d, err := h.Journeys.Details(r.Context(), v.Shop.ID, id)
	if err != nil {
		return journeyView{}, err
	}
	names, err := h.templateNames(r, v)
	if err != nil {
		return journeyView{}, err
	}
	jv := journeyView{page: h.newPage(r, v, "journeys.title", "nav.journeys"), Details: d, Trigger: triggerText(v.L, d.Definition.Trigger),
		Suppressed: reasonCounts(d.Stats.SuppressedByReason), OptOut: percent(d.Stats.OptOutRate), CanRun: canRunJourneys(v)}
	jv.Title = d.Name
	for _, st := range d.Definition.Steps {
		if st.Type == journey.StepCoupon && st.CampaignID != "" && h.Coupons != nil {
			st.Title = h.campaignText(r, v, st)
		}
		row := stepRow{ID: st.ID, Text: stepText(v.L, st, names)}
		if st.Type == journey.StepSend {
			row.TemplateURL = journeyURL(d.ID) + "/templates/" + st.Template
		}
		jv.Steps = append(jv.Steps, row)
	}
	for _, x := range d.Definition.ExitOn {
		s := v.L.Tf("journeys.exit_on", x.Event)
		if x.SameSKU {
			s += v.L.T("journeys.exit_same_sku")
		}
		jv.ExitOn = append(jv.ExitOn, s)
	}
	for _, s := range []string{journey.RunActive, journey.RunCompleted, journey.RunExited} {
		jv.Runs = append(jv.Runs, reasonCount{s, d.Stats.RunsByStatus[s]})
	}
	for _, s := range []string{"scheduled", "deferred", "suppressed", "sending", "sent", "delivered", "opened", "clicked", "failed"} {
		if n := d.Stats.MessagesByStatus[s]; n > 0 {
			jv.Messages = append(jv.Messages, reasonCount{s, n})
		}
	}
	return jv, nil
}

// templateNames are the shop's template names by key.
func (h *Handler) templateNames(r *http.Request, v *visit) (map[string]message.Template, error) {
	ts, err := h.Messages.ListTemplates(r.Context(), v.Shop.ID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]message.Template, len(ts))
	for _, t := range ts {
		out[t.Key] = t
	}
	return out, nil
}

func (h *Handler) showJourney(w http.ResponseWriter, r *http.Request, v *visit) error {
	jv, err := h.journeyPage(r, v, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "journeys_show", jv)
}

// activateJourney starts the journey again, as POST
// /api/v1/journeys/{id}/activate does: a template it names that the shop
// lacks refuses it (422, the steps named on the page).
func (h *Handler) activateJourney(w http.ResponseWriter, r *http.Request, v *visit) error {
	id := r.PathValue("id")
	err := h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := h.Journeys.ActivateTx(r.Context(), tx, v.Shop.ID, id); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "journey.activate", "journey", id)
	})
	if fe, ok := fieldErrors(v.L, err); ok {
		jv, err := h.journeyPage(r, v, id)
		if err != nil {
			return err
		}
		for k, p := range fe {
			jv.Errors = append(jv.Errors, k+": "+p)
		}
		return h.render(w, http.StatusUnprocessableEntity, "journeys_show", jv)
	}
	if err != nil {
		return err
	}
	h.flash(w, "flash.journey_activated")
	return seeOther(w, r, journeyURL(id))
}

// pauseJourney stops the journey, as POST /api/v1/journeys/{id}/pause does.
func (h *Handler) pauseJourney(w http.ResponseWriter, r *http.Request, v *visit) error {
	id := r.PathValue("id")
	err := h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := h.Journeys.PauseTx(r.Context(), tx, v.Shop.ID, id); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "journey.pause", "journey", id)
	})
	if err != nil {
		return err
	}
	h.flash(w, "flash.journey_paused")
	return seeOther(w, r, journeyURL(id))
}

// triggerText says what starts a run, in words.
func triggerText(l Lang, t journey.Trigger) string {
	key := "journeys.trigger." + t.Type
	if !hasKey(key) {
		return t.Type
	}
	var parts []string
	switch t.Type {
	case journey.TriggerOrderPlaced:
		if t.FirstOrder {
			parts = append(parts, l.T("journeys.trigger.first_order"))
		}
		if t.SKU != "" {
			parts = append(parts, l.Tf("journeys.trigger.sku", t.SKU))
		}
		if t.Category != "" {
			parts = append(parts, l.Tf("journeys.trigger.category", t.Category))
		}
	case journey.TriggerTicketResolved:
		if len(t.Kinds) > 0 {
			var ks []string
			for _, k := range t.Kinds {
				ks = append(ks, l.T("kind."+k))
			}
			parts = append(parts, l.Tf("journeys.trigger.kinds", strings.Join(ks, l.T("journeys.list_sep"))))
		}
	case journey.TriggerSurveyAnswered:
		if t.MinScore != nil {
			parts = append(parts, l.Tf("journeys.trigger.min_score", *t.MinScore))
		}
		if t.MaxScore != nil {
			parts = append(parts, l.Tf("journeys.trigger.max_score", *t.MaxScore))
		}
	case journey.TriggerBandEntered:
		return l.Tf(key, l.T("band."+t.Band))
	case journey.TriggerEvent:
		return l.Tf(key, t.EventType)
	}
	s := l.T(key)
	if len(parts) > 0 {
		s += l.T("journeys.paren_open") + strings.Join(parts, l.T("journeys.list_sep")) + l.T("journeys.paren_close")
	}
	return s
}

// campaignText names a coupon step's campaign with its discount (and the
// step's note); a campaign that is gone shows its ID.
func (h *Handler) campaignText(r *http.Request, v *visit, st journey.Step) string {
	c, err := h.Coupons.Campaign(r.Context(), v.Shop.ID, st.CampaignID)
	if err != nil {
		return v.L.Tf("journeys.coupon.missing", st.CampaignID)
	}
	off := v.L.Tf("journeys.coupon.yen", v.L.Num(int(c.DiscountValue)))
	if c.DiscountType == "percent" {
		off = v.L.Tf("journeys.coupon.percent", c.DiscountValue)
	}
	text := v.L.Tf("journeys.coupon.campaign", c.Name, off)
	if st.Title != "" {
		text += " — " + st.Title
	}
	return text
}

// stepText says what a step does, in words: wait 3 days, send care
// "thanks", branch ...
func stepText(l Lang, st journey.Step, names map[string]message.Template) string {
	switch st.Type {
	case journey.StepWait:
		return l.Tf("journeys.step.wait", durationText(l, st.Duration))
	case journey.StepWaitUntil:
		anchor := l.T("journeys.anchor." + st.Anchor)
		d, ok := stepDuration(st.Offset)
		switch {
		case st.Offset == "" || ok && d == 0:
			return l.Tf("journeys.step.wait_until", anchor)
		case !ok:
			return l.Tf("journeys.step.wait_until_after", anchor, st.Offset)
		case d < 0:
			return l.Tf("journeys.step.wait_until_before", anchor, durText(l, -d))
		}
		return l.Tf("journeys.step.wait_until_after", anchor, durText(l, d))
	case journey.StepSend:
		name := st.Template
		if t, ok := names[st.Template]; ok && t.Name != "" {
			name = t.Name
		}
		ch := st.Channel
		if ch == "" {
			ch = "best"
		}
		s := l.Tf("journeys.step.send", l.T("purpose."+st.Purpose), name, channelName(l, ch))
		if st.SKU == journey.SKUConsumable {
			s += l.T("journeys.step.sku_consumable")
		} else if st.SKU != "" {
			s += l.Tf("journeys.step.sku", st.SKU)
		}
		return s
	case journey.StepBranch:
		cond := ""
		if st.If != nil {
			fact := st.If.Fact
			if hasKey("journeys.fact." + fact) {
				fact = l.T("journeys.fact." + fact)
			}
			cond = l.Tf("journeys.cond", fact, l.T("journeys.op."+st.If.Op), valueText(l, st.If.Value))
		}
		return l.Tf("journeys.step.branch", cond, nextText(l, st.Then), nextText(l, st.Else))
	case journey.StepTask:
		return l.Tf("journeys.step.task", st.Title)
	case journey.StepCoupon:
		return l.Tf("journeys.step.coupon", st.Title)
	case journey.StepExit:
		return l.T("journeys.step.exit")
	}
	return st.Type
}

func nextText(l Lang, id string) string {
	if id == "" {
		return l.T("journeys.next_step")
	}
	return l.Tf("journeys.goto", id)
}

func valueText(l Lang, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return l.T("journeys.yes")
		}
		return l.T("journeys.no")
	case string:
		return "「" + x + "」"
	case nil:
		return "-"
	}
	return fmt.Sprint(v)
}

// durationText reads a step duration ("72h", "14d", "90m") as days,
// hours or minutes; one it cannot read is shown as written.
func durationText(l Lang, s string) string {
	d, ok := stepDuration(s)
	if !ok {
		return s
	}
	return durText(l, d)
}

// stepDuration reads a Go duration or a whole number of days ("14d"), the
// two forms a journey definition accepts.
func stepDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		return time.Duration(days) * 24 * time.Hour, err == nil
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

func durText(l Lang, d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d != 0:
		return l.Tf("journeys.days", int(d/(24*time.Hour)))
	case d%time.Hour == 0:
		return l.Tf("journeys.hours", int(d/time.Hour))
	}
	return l.Tf("journeys.minutes", int(d/time.Minute))
}
