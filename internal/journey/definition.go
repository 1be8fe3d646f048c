package journey

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Trigger types (docs/journeys.md).
const (
	TriggerOrderPlaced    = "order_placed"
	TriggerTicketResolved = "ticket_resolved"
	TriggerSurveyAnswered = "survey_answered"
	TriggerBandEntered    = "band_entered"
	TriggerInvoiceOverdue = "invoice_overdue"
	TriggerRecall         = "recall"
	TriggerEvent          = "event"
)

// Step types (docs/journeys.md).
const (
	StepWait      = "wait"
	StepWaitUntil = "wait_until"
	StepBranch    = "branch"
	StepSend      = "send"
	StepTask      = "task"
	StepCoupon    = "coupon"
	StepExit      = "exit"
)

// Anchors of a wait_until step.
const (
	AnchorOrderedAt      = "order.ordered_at"
	AnchorConsumptionEnd = "consumption_end"
	AnchorEventOccurred  = "event.occurred_at"
)

// SKUConsumable in a send step's sku names the order's consumable whose
// consumption ends first.
const SKUConsumable = "consumable"

// Definition is one version of a journey, stored as JSON exactly as shown
// in docs/journeys.md. A version is immutable once stored.
type Definition struct {
	Name    string     `json:"name" openapi:"required" doc:"at most 200 characters"`
	Trigger Trigger    `json:"trigger" openapi:"required"`
	Steps   []Step     `json:"steps" openapi:"required" doc:"1 to 100 steps, executed in order; a branch jumps forward only"`
	ExitOn  []ExitRule `json:"exit_on,omitempty" doc:"events that end a run in flight"`
}

// Trigger is what starts a run. Only the fields of its type apply.
type Trigger struct {
	Type       string   `json:"type" openapi:"required" doc:"order_placed, ticket_resolved, survey_answered, band_entered, invoice_overdue, recall or event"`
	FirstOrder bool     `json:"first_order,omitempty" doc:"order_placed: only the customer's first order"`
	SKU        string   `json:"sku,omitempty" doc:"order_placed: only orders containing this SKU"`
	Category   string   `json:"category,omitempty" doc:"order_placed: only orders containing a product of this category"`
	Kinds      []string `json:"kinds,omitempty" doc:"ticket_resolved: only tickets of these kinds (default all)"`
	MinScore   *int     `json:"min_score,omitempty" doc:"survey_answered: only scores at least this"`
	MaxScore   *int     `json:"max_score,omitempty" doc:"survey_answered: only scores at most this"`
	Band       string   `json:"band,omitempty" doc:"band_entered: fresh, cooling, stale or lost"`
	EventType  string   `json:"event_type,omitempty" doc:"event: the custom event type, such as app.member_joined"`
}

// Step is one step of a journey. Only the fields of its type apply.
type Step struct {
	ID       string     `json:"id" openapi:"required" doc:"unique in the journey: lower-case letters, digits and _ (at most 50)"`
	Type     string     `json:"type" openapi:"required" doc:"wait, wait_until, branch, send, task, coupon or exit"`
	Duration string     `json:"duration,omitempty" doc:"wait: how long, such as 72h or 14d"`
	Anchor   string     `json:"anchor,omitempty" doc:"wait_until: order.ordered_at, consumption_end or event.occurred_at"`
	Offset   string     `json:"offset,omitempty" doc:"wait_until: added to the anchor, such as -168h (default 0)"`
	If       *Condition `json:"if,omitempty" doc:"branch: the condition"`
	Then     string     `json:"then,omitempty" doc:"branch: the step to go to when the condition holds (default the next step)"`
	Else     string     `json:"else,omitempty" doc:"branch: the step to go to otherwise (default the next step)"`
	Template string     `json:"template,omitempty" doc:"send: the template key"`
	Purpose  string     `json:"purpose,omitempty" doc:"send: transactional, care, info or sales"`
	Channel  string     `json:"channel,omitempty" doc:"send: best (default), email, sms, line or postal"`
	SKU      string     `json:"sku,omitempty" doc:"send: consumable (the order's consumable that runs out first) or a SKU"`
	Title    string     `json:"title,omitempty" doc:"task: what the staff should do (at most 200 characters); coupon: an optional note for staff"`
	// CampaignID is a coupon step's campaign (POST /coupon-campaigns). A
	// coupon step stored before campaigns existed has none: it only
	// records coupon.requested with its title.
	CampaignID string `json:"campaign_id,omitempty" doc:"coupon: the campaign whose code the step issues to the run's customer (linked to the run's order)"`
}

// Condition is a branch's test of one fact.
type Condition struct {
	Fact  string `json:"fact" openapi:"required" doc:"order.has_consumable, order.first_order, order.total, order.line_count, customer.locale, customer.band, event.type or event.data.<key>"`
	Op    string `json:"op" openapi:"required" doc:"eq, ne, gt, gte, lt or lte"`
	Value any    `json:"value" doc:"a boolean, number or string"`
}

// ExitRule ends a run when the customer's event of this type is recorded.
type ExitRule struct {
	Event   string `json:"event" openapi:"required" doc:"an event type such as order.placed"`
	SameSKU bool   `json:"same_sku,omitempty" doc:"order.placed: only an order containing one of the run's SKUs"`
}

// MaxDefinition bounds the JSON of one definition.
const MaxDefinition = 64 << 10

// ParseDefinition decodes a definition (unknown fields rejected) and
// validates it. A body that is not JSON is a malformed error naming the
// problem; a definition that breaks a rule is a validation error naming
// the field (steps[3].duration).
func ParseDefinition(b []byte) (Definition, error) {
	var d Definition
	if len(b) > MaxDefinition {
		return d, errInvalidField("definition", "at most 64 KiB of JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Definition{}, errMalformed(err)
	}
	if dec.More() {
		return Definition{}, errMalformed(errors.New("data after the JSON object"))
	}
	if err := d.Validate(); err != nil {
		return Definition{}, err
	}
	return d, nil
}

// parseDuration reads a Go duration ("72h", "-168h", "90m") or a whole
// number of days ("14d", "-7d").
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > maxDays || n < -maxDays {
			return 0, fmt.Errorf("bad day count %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// maxDays bounds a wait or an offset: ten years.
const maxDays = 3650

// stepIndex returns the index of the step with the given ID, or -1.
func (d *Definition) stepIndex(id string) int {
	for i, s := range d.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// Templates returns the template keys the send steps use, by step index.
func (d *Definition) Templates() map[int]string {
	out := map[int]string{}
	for i, s := range d.Steps {
		if s.Type == StepSend {
			out[i] = s.Template
		}
	}
	return out
}

// marshal returns the stored JSON of d.
func (d *Definition) marshal() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("marshal journey definition: %w", err)
	}
	return string(b), nil
}
