package ticket

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
)

// Kinds of ticket (SPEC §2).
var Kinds = []string{"question", "defect", "complaint", "return", "exchange", "other"}

// ComplaintKinds are the kinds that, open or pending, stop sales messages
// (SPEC §4 rule 2).
var ComplaintKinds = []string{"complaint", "defect", "return", "exchange"}

// The statuses of a ticket.
const (
	StatusOpen     = "open"
	StatusPending  = "pending"
	StatusResolved = "resolved"
	StatusClosed   = "closed"
)

// Statuses lists every status. Any status may follow any other: a resolved
// or closed ticket can be reopened.
var Statuses = []string{StatusOpen, StatusPending, StatusResolved, StatusClosed}

// Event types recorded by this package. Both carry {ticket_id, kind}.
const (
	EventOpened   = "ticket.opened"
	EventResolved = "ticket.resolved"
)

// Field limits, in characters.
const (
	MaxSubject  = 200
	MaxBody     = 20000
	maxAssignee = 200
	maxRef      = 100
)

// Ticket is an inbound matter of a customer (SPEC §7 ticket object).
type Ticket struct {
	ID                 string     `json:"id"`
	CustomerID         string     `json:"customer_id"`
	Kind               string     `json:"kind" doc:"question, defect, complaint, return, exchange or other"`
	Status             string     `json:"status" doc:"open, pending, resolved or closed"`
	Subject            string     `json:"subject"`
	Body               string     `json:"body"`
	Assignee           string     `json:"assignee" doc:"who handles it: a staff user ID (the admin UI sets these) or free text; empty when unassigned"`
	FirstResponseDueAt time.Time  `json:"first_response_due_at" doc:"created_at plus the policy's ticket_sla_hours (urgent_ticket_sla_hours for complaints and defects)"`
	FirstResponseAt    *time.Time `json:"first_response_at" doc:"when the first staff reply was written; null until then. The SLA is met when it is at or before first_response_due_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	ResolvedAt         *time.Time `json:"resolved_at" doc:"when it was last resolved; null while open or pending"`
}

// Overdue reports whether the first response is late at now: no staff
// reply yet, the ticket still open or pending, and its due time passed.
func (t Ticket) Overdue(now time.Time) bool {
	return t.FirstResponseAt == nil && (t.Status == StatusOpen || t.Status == StatusPending) && now.After(t.FirstResponseDueAt)
}

// SLAMet reports whether the first staff reply came in time; ok is false
// while there has been none.
func (t Ticket) SLAMet() (met, ok bool) {
	if t.FirstResponseAt == nil {
		return false, false
	}
	return !t.FirstResponseAt.After(t.FirstResponseDueAt), true
}

// CreateInput opens a ticket. The customer is named by customer_id or by
// customer_external_id.
type CreateInput struct {
	CustomerID         string `json:"customer_id,omitempty" doc:"the customer's ID; or send customer_external_id"`
	CustomerExternalID string `json:"customer_external_id,omitempty" doc:"the shop's own ID of the customer; or send customer_id"`
	Kind               string `json:"kind" openapi:"required" doc:"question, defect, complaint, return, exchange or other"`
	Subject            string `json:"subject" openapi:"required" doc:"1 to 200 characters"`
	Body               string `json:"body,omitempty" doc:"at most 20,000 characters"`
	Assignee           string `json:"assignee,omitempty" doc:"at most 200 characters"`
}

// Validate checks in and trims it in place; problems are reported by JSON
// field name.
func (in *CreateInput) Validate() error {
	var f errs.Fields
	in.CustomerID, in.CustomerExternalID = strings.TrimSpace(in.CustomerID), strings.TrimSpace(in.CustomerExternalID)
	in.Kind, in.Subject, in.Assignee = strings.TrimSpace(in.Kind), strings.TrimSpace(in.Subject), strings.TrimSpace(in.Assignee)
	switch {
	case in.CustomerID == "" && in.CustomerExternalID == "":
		f.Add("customer_id", "required: give customer_id or customer_external_id")
	case in.CustomerID != "" && in.CustomerExternalID != "":
		f.Add("customer_id", "give customer_id or customer_external_id, not both")
	}
	if !line(in.CustomerID, maxRef) {
		f.Add("customer_id", fmt.Sprintf("at most %d characters, no control characters", maxRef))
	}
	if !line(in.CustomerExternalID, maxRef) {
		f.Add("customer_external_id", fmt.Sprintf("at most %d characters, no control characters", maxRef))
	}
	if !slices.Contains(Kinds, in.Kind) {
		f.Add("kind", "one of "+strings.Join(Kinds, ", "))
	}
	switch {
	case in.Subject == "":
		f.Add("subject", "required")
	case !line(in.Subject, MaxSubject):
		f.Add("subject", fmt.Sprintf("at most %d characters, no control characters", MaxSubject))
	}
	if !text(in.Body, MaxBody) {
		f.Add("body", fmt.Sprintf("at most %d characters of text", MaxBody))
	}
	if !line(in.Assignee, maxAssignee) {
		f.Add("assignee", fmt.Sprintf("at most %d characters, no control characters", maxAssignee))
	}
	return f.Err()
}

// UpdateInput changes a ticket (PATCH): absent fields keep their value.
type UpdateInput struct {
	Status   *string `json:"status,omitempty" doc:"open, pending, resolved or closed; resolved records ticket.resolved, and a resolved or closed ticket may be reopened"`
	Assignee *string `json:"assignee,omitempty" doc:"at most 200 characters; empty to unassign"`
}

// Validate checks in and trims it in place.
func (in *UpdateInput) Validate() error {
	var f errs.Fields
	if in.Status != nil && !slices.Contains(Statuses, *in.Status) {
		f.Add("status", "one of "+strings.Join(Statuses, ", "))
	}
	if in.Assignee != nil {
		a := strings.TrimSpace(*in.Assignee)
		in.Assignee = &a
		if !line(a, maxAssignee) {
			f.Add("assignee", fmt.Sprintf("at most %d characters, no control characters", maxAssignee))
		}
	}
	return f.Err()
}

// line reports whether s is valid UTF-8 of at most n characters without
// control characters.
func line(s string, n int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= n && !strings.ContainsFunc(s, unicode.IsControl)
}

// text is line that allows line breaks and tabs.
func text(s string, n int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= n &&
		!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' })
}
