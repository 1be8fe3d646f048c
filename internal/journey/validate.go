package journey

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/product"
)

// Limits of a definition.
const (
	maxSteps     = 100
	maxExitRules = 10
	maxName      = 200
	maxTitle     = 200
	maxWait      = maxDays * 24 * time.Hour
)

var (
	stepIDRE   = regexp.MustCompile(`^[a-z0-9_]{1,50}$`)
	templateRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// Purposes a send step may have (SPEC §2 message).
var Purposes = []string{"transactional", "care", "info", "sales"}

// channels a send step may ask for; best lets the policy choose.
var channels = []string{"best", "email", "sms", "line", "postal"}

var (
	triggerTypes = []string{TriggerOrderPlaced, TriggerTicketResolved, TriggerSurveyAnswered, TriggerBandEntered,
		TriggerInvoiceOverdue, TriggerRecall, TriggerEvent}
	stepTypes   = []string{StepWait, StepWaitUntil, StepBranch, StepSend, StepTask, StepCoupon, StepExit}
	anchors     = []string{AnchorOrderedAt, AnchorConsumptionEnd, AnchorEventOccurred}
	bands       = []string{"fresh", "cooling", "stale", "lost"}
	ticketKinds = []string{"question", "defect", "complaint", "return", "exchange", "other"}
	ops         = []string{"eq", "ne", "gt", "gte", "lt", "lte"}
)

// factKind is the type of a branch fact's value.
type factKind int

const (
	factBool factKind = iota
	factNumber
	factString
	factAny
)

// facts are the branch facts and their types; event.data.<key> is factAny.
var facts = map[string]factKind{
	"order.has_consumable": factBool,
	"order.first_order":    factBool,
	"order.total":          factNumber,
	"order.line_count":     factNumber,
	"customer.locale":      factString,
	"customer.band":        factString,
	"event.type":           factString,
}

const eventDataFact = "event.data."

// Validate checks every rule of a definition and reports each problem by
// its JSON path (trigger.band, steps[3].duration, exit_on[0].event).
// Branches may only jump forward, so every run ends after at most
// len(steps) steps: a loop back would need a wait on it to be harmless,
// and a journey that repeats is better written as a new run per trigger.
func (d *Definition) Validate() error {
	var f errs.Fields
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" {
		f.Add("name", "required")
	} else if utf8.RuneCountInString(d.Name) > maxName || !printable(d.Name) {
		f.Add("name", "at most 200 characters, no control characters")
	}
	d.validateTrigger(&f)
	switch {
	case len(d.Steps) == 0:
		f.Add("steps", "at least one step")
	case len(d.Steps) > maxSteps:
		f.Add("steps", "at most 100 steps")
	default:
		seen := map[string]int{}
		for i := range d.Steps {
			s := &d.Steps[i]
			if j, dup := seen[s.ID]; dup && s.ID != "" {
				f.Add(stepField(i, "id"), fmt.Sprintf("the same as steps[%d].id", j))
			}
			seen[s.ID] = i
		}
		for i := range d.Steps {
			d.validateStep(&f, i)
		}
	}
	if len(d.ExitOn) > maxExitRules {
		f.Add("exit_on", "at most 10 rules")
	}
	for i, r := range d.ExitOn {
		field := fmt.Sprintf("exit_on[%d]", i)
		if !event.ValidType(r.Event) {
			f.Add(field+".event", "an event type such as order.placed")
		}
		if r.SameSKU && r.Event != event.OrderPlaced {
			f.Add(field+".same_sku", "applies only to order.placed")
		}
		if r.SameSKU && d.Trigger.Type != TriggerOrderPlaced {
			f.Add(field+".same_sku", "needs an order_placed trigger (the run's SKUs come from its order)")
		}
	}
	return f.Err()
}

func (d *Definition) validateTrigger(f *errs.Fields) {
	t := &d.Trigger
	if !slices.Contains(triggerTypes, t.Type) {
		f.Add("trigger.type", "one of "+strings.Join(triggerTypes, ", "))
		return
	}
	only := func(field, typ string, set bool) {
		if set && t.Type != typ {
			f.Add("trigger."+field, "applies only to the "+typ+" trigger")
		}
	}
	only("first_order", TriggerOrderPlaced, t.FirstOrder)
	only("sku", TriggerOrderPlaced, t.SKU != "")
	only("category", TriggerOrderPlaced, t.Category != "")
	only("kinds", TriggerTicketResolved, len(t.Kinds) > 0)
	only("min_score", TriggerSurveyAnswered, t.MinScore != nil)
	only("max_score", TriggerSurveyAnswered, t.MaxScore != nil)
	only("band", TriggerBandEntered, t.Band != "")
	only("event_type", TriggerEvent, t.EventType != "")
	if t.SKU != "" && !product.ValidSKU(t.SKU) {
		f.Add("trigger.sku", "a SKU: 1 to 64 letters, digits, '-', '_' or '.'")
	}
	if utf8.RuneCountInString(t.Category) > 100 || !printable(t.Category) {
		f.Add("trigger.category", "at most 100 characters")
	}
	for i, k := range t.Kinds {
		if !slices.Contains(ticketKinds, k) {
			f.Add(fmt.Sprintf("trigger.kinds[%d]", i), "one of "+strings.Join(ticketKinds, ", "))
		}
	}
	for name, v := range map[string]*int{"min_score": t.MinScore, "max_score": t.MaxScore} {
		if v != nil && (*v < 0 || *v > 10) {
			f.Add("trigger."+name, "0 to 10")
		}
	}
	if t.MinScore != nil && t.MaxScore != nil && *t.MinScore > *t.MaxScore {
		f.Add("trigger.max_score", "at least min_score")
	}
	switch t.Type {
	case TriggerBandEntered:
		if !slices.Contains(bands, t.Band) {
			f.Add("trigger.band", "one of "+strings.Join(bands, ", "))
		}
	case TriggerEvent:
		switch {
		case !event.ValidType(t.EventType):
			f.Add("trigger.event_type", "an event type such as app.member_joined")
		case engineEvent(t.EventType):
			f.Add("trigger.event_type", "events the engine writes (message.*, journey.*, task.created, coupon.requested, coupon.issued) cannot start a journey")
		case triggerOf[t.EventType] != "":
			f.Add("trigger.event_type", "use the "+triggerOf[t.EventType]+" trigger for this event")
		}
	}
}

func stepField(i int, name string) string { return fmt.Sprintf("steps[%d].%s", i, name) }

// stepFields tells which optional fields a step sets, for "does not apply".
func stepFields(s *Step) map[string]bool {
	return map[string]bool{
		"duration": s.Duration != "", "anchor": s.Anchor != "", "offset": s.Offset != "", "if": s.If != nil,
		"then": s.Then != "", "else": s.Else != "", "template": s.Template != "", "purpose": s.Purpose != "",
		"channel": s.Channel != "", "sku": s.SKU != "", "title": s.Title != "", "campaign_id": s.CampaignID != "",
	}
}

// allowed lists the optional fields of each step type.
var allowed = map[string][]string{
	StepWait:      {"duration"},
	StepWaitUntil: {"anchor", "offset"},
	StepBranch:    {"if", "then", "else"},
	StepSend:      {"template", "purpose", "channel", "sku"},
	StepTask:      {"title"},
	StepCoupon:    {"title", "campaign_id"},
	StepExit:      {},
}

func (d *Definition) validateStep(f *errs.Fields, i int) {
	s := &d.Steps[i]
	field := func(name string) string { return stepField(i, name) }
	if !stepIDRE.MatchString(s.ID) {
		f.Add(field("id"), "lower-case letters, digits and _ (1 to 50)")
	}
	if !slices.Contains(stepTypes, s.Type) {
		f.Add(field("type"), "unknown step type; one of "+strings.Join(stepTypes, ", "))
		return
	}
	for name, set := range stepFields(s) {
		if set && !slices.Contains(allowed[s.Type], name) {
			f.Add(field(name), "does not apply to a "+s.Type+" step")
		}
	}
	orderTrigger := d.Trigger.Type == TriggerOrderPlaced
	switch s.Type {
	case StepWait:
		dur, err := parseDuration(s.Duration)
		switch {
		case s.Duration == "":
			f.Add(field("duration"), "required, such as 72h or 14d")
		case err != nil:
			f.Add(field("duration"), "a duration such as 72h, 90m or 14d")
		case dur <= 0 || dur > maxWait:
			f.Add(field("duration"), "more than 0 and at most 3650 days")
		}
	case StepWaitUntil:
		if !slices.Contains(anchors, s.Anchor) {
			f.Add(field("anchor"), "one of "+strings.Join(anchors, ", "))
		} else if s.Anchor != AnchorEventOccurred && !orderTrigger {
			f.Add(field("anchor"), "needs an order_placed trigger")
		}
		if s.Offset != "" {
			if off, err := parseDuration(s.Offset); err != nil || off > maxWait || off < -maxWait {
				f.Add(field("offset"), "a duration such as -168h or -7d, within 3650 days")
			}
		}
	case StepBranch:
		d.validateBranch(f, i)
	case StepSend:
		if !templateRE.MatchString(s.Template) {
			f.Add(field("template"), "a template key: lower-case letters, digits and _, starting with a letter")
		}
		if !slices.Contains(Purposes, s.Purpose) {
			f.Add(field("purpose"), "one of "+strings.Join(Purposes, ", "))
		}
		if s.Channel != "" && !slices.Contains(channels, s.Channel) {
			f.Add(field("channel"), "one of "+strings.Join(channels, ", "))
		}
		switch {
		case s.SKU == "":
		case s.SKU == SKUConsumable && !orderTrigger:
			f.Add(field("sku"), "consumable needs an order_placed trigger")
		case s.SKU != SKUConsumable && !product.ValidSKU(s.SKU):
			f.Add(field("sku"), "consumable or a SKU")
		}
	case StepTask:
		if strings.TrimSpace(s.Title) == "" {
			f.Add(field("title"), "required")
		}
		if utf8.RuneCountInString(s.Title) > maxTitle || !printable(s.Title) {
			f.Add(field("title"), "at most 200 characters, no control characters")
		}
	case StepCoupon:
		if !coupon.ValidCampaignID(s.CampaignID) {
			f.Add(field("campaign_id"), "required: the ID of a coupon campaign (POST /coupon-campaigns)")
		}
		if utf8.RuneCountInString(s.Title) > maxTitle || !printable(s.Title) {
			f.Add(field("title"), "at most 200 characters, no control characters")
		}
	}
}

func (d *Definition) validateBranch(f *errs.Fields, i int) {
	s := &d.Steps[i]
	field := func(name string) string { return stepField(i, name) }
	for name, target := range map[string]string{"then": s.Then, "else": s.Else} {
		if target == "" {
			continue
		}
		switch j := d.stepIndex(target); {
		case j < 0:
			f.Add(field(name), "no step with this id")
		case j <= i:
			f.Add(field(name), "a branch may only jump forward (to a later step), so that no run can loop for ever")
		}
	}
	c := s.If
	if c == nil {
		f.Add(field("if"), "required: {\"fact\": ..., \"op\": ..., \"value\": ...}")
		return
	}
	kind, ok := facts[c.Fact]
	if strings.HasPrefix(c.Fact, eventDataFact) && len(c.Fact) > len(eventDataFact) && len(c.Fact) <= 100 {
		kind, ok = factAny, true
	}
	if !ok {
		f.Add(field("if.fact"), "one of order.has_consumable, order.first_order, order.total, order.line_count, customer.locale, customer.band, event.type, event.data.<key>")
		return
	}
	if strings.HasPrefix(c.Fact, "order.") && d.Trigger.Type != TriggerOrderPlaced {
		f.Add(field("if.fact"), "order facts need an order_placed trigger")
	}
	if !slices.Contains(ops, c.Op) {
		f.Add(field("if.op"), "one of "+strings.Join(ops, ", "))
		return
	}
	ordered := c.Op != "eq" && c.Op != "ne"
	switch v := c.Value.(type) {
	case bool:
		if kind != factBool && kind != factAny || ordered {
			f.Add(field("if.value"), "a boolean needs a boolean fact and eq or ne")
		}
	case float64:
		if kind != factNumber && kind != factAny {
			f.Add(field("if.value"), "this fact is not a number")
		}
	case string:
		if kind != factString && kind != factAny || ordered {
			f.Add(field("if.value"), "a string needs a text fact and eq or ne")
		}
		if utf8.RuneCountInString(v) > 200 {
			f.Add(field("if.value"), "at most 200 characters")
		}
	default:
		f.Add(field("if.value"), "a boolean, number or string")
	}
}

// printable reports whether s has no control characters and is UTF-8.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func errMalformed(err error) error {
	return errs.New(errs.ErrMalformed, "malformed_json", "the definition is not valid JSON of the documented shape: "+err.Error())
}

func errInvalidField(field, problem string) error { return errs.Invalid(field, problem) }
