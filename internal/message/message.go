package message

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/policy"
)

// Statuses of a message (SPEC §2).
const (
	StatusScheduled  = "scheduled"
	StatusDeferred   = "deferred"
	StatusSuppressed = "suppressed"
	StatusSending    = "sending"
	StatusSent       = "sent"
	StatusDelivered  = "delivered"
	StatusFailed     = "failed"
	StatusOpened     = "opened"
	StatusClicked    = "clicked"
)

// Statuses lists every status, for validating list filters.
var Statuses = []string{StatusScheduled, StatusDeferred, StatusSuppressed, StatusSending, StatusSent,
	StatusDelivered, StatusFailed, StatusOpened, StatusClicked}

// The statuses that count as "sent" for the policy's caps and shares are
// the docs' sent, delivered, opened and clicked, plus sending, a message the
// policy already released to a channel: leaving sending out would let a
// burst of messages waiting on a provider slip past the frequency cap. The
// history queries in store.go spell them out.

// Purposes of messages (SPEC §2).
var Purposes = []string{"transactional", "care", "info", "sales"}

// Channels a message may ask for; "best" lets the policy choose.
var Channels = []string{"best", "line", "sms", "email", "postal"}

// Events recorded on a customer's timeline when a message is judged. Their
// data is EventData: never the subject or body.
const (
	EventSent       = "message.sent"
	EventSuppressed = "message.suppressed"
	EventDeferred   = "message.deferred"
	EventFailed     = "message.failed"
)

// EventData is the data of a message.* event.
type EventData struct {
	MessageID string `json:"message_id"`
	Purpose   string `json:"purpose"`
	Reason    string `json:"reason,omitempty"`
	JourneyID string `json:"journey_id,omitempty"`
	Channel   string `json:"channel,omitempty"`
}

// Message is one message to one customer on one channel (SPEC §7 message).
type Message struct {
	ID               string         `json:"id"`
	ShopID           string         `json:"-"`
	CustomerID       string         `json:"customer_id"`
	Channel          string         `json:"channel" doc:"the channel chosen when the policy released it; empty before"`
	ChannelRequested string         `json:"channel_requested" doc:"best, line, sms, email or postal"`
	Purpose          policy.Purpose `json:"purpose" doc:"transactional, care, info or sales"`
	Status           string         `json:"status" doc:"scheduled, deferred, suppressed, sending, sent, delivered, failed, opened or clicked"`
	Reason           string         `json:"reason" doc:"why it was deferred, suppressed or failed, e.g. frequency_cap, quiet_hours, no_consent"`
	JourneyID        string         `json:"journey_id"`
	JourneyVersion   int            `json:"journey_version"`
	RunID            string         `json:"run_id"`
	StepID           string         `json:"step_id"`
	OrderID          string         `json:"order_id"`
	SKU              string         `json:"sku"`
	TemplateKey      string         `json:"template_key"`
	Locale           string         `json:"locale" doc:"of the rendered text; empty until rendered"`
	Subject          string         `json:"subject" doc:"rendered when sent; empty before"`
	Body             string         `json:"body" doc:"rendered when sent; empty before"`
	DedupeKey        string         `json:"dedupe_key"`
	OptedOut         bool           `json:"opted_out" doc:"the customer withdrew consent within 7 days of receiving it"`
	DueAt            time.Time      `json:"due_at"`
	ReleasedAt       *time.Time     `json:"released_at"`
	SentAt           *time.Time     `json:"sent_at"`
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
}

// CreateParams plans a message (see Service.CreateTx).
type CreateParams struct {
	ShopID         string
	CustomerID     string
	JourneyID      string
	JourneyVersion int
	RunID          string
	StepID         string
	OrderID        string
	SKU            string
	TemplateKey    string
	Purpose        policy.Purpose
	Channel        string    // "best" when empty
	DueAt          time.Time // the clock's now when zero
	DedupeKey      string    // e.g. run:<run>:<step>; one message per key and shop
	// Subject and Body are an inline text instead of a template (a staff
	// reply to a ticket): stored as planned and sent as written, on every
	// channel (the short channels send Body). TemplateKey is then empty.
	// Only CreateTx takes them.
	Subject string
	Body    string
}

const (
	maxRef = 200 // IDs, keys and SKUs referenced by a message

	// Bounds of an inline text (a ticket reply is at most 20,000
	// characters, 80,000 bytes of UTF-8).
	maxInlineSubject = 1000
	maxInlineBody    = 100000
)

// validate checks p and fills defaults in place.
func (p *CreateParams) validate() error {
	var f errs.Fields
	if p.ShopID == "" {
		f.Add("shop_id", "required")
	}
	if p.CustomerID == "" {
		f.Add("customer_id", "required")
	}
	if !slices.Contains(Purposes, string(p.Purpose)) {
		f.Add("purpose", "must be one of "+strings.Join(Purposes, ", "))
	}
	if p.Channel == "" {
		p.Channel = "best"
	}
	if !slices.Contains(Channels, p.Channel) {
		f.Add("channel", "must be one of "+strings.Join(Channels, ", "))
	}
	switch {
	case p.Body != "" && p.TemplateKey != "":
		f.Add("template_key", "empty for a message with an inline body")
	case p.Body != "":
		if len(p.Subject) > maxInlineSubject || len(p.Body) > maxInlineBody {
			f.Add("body", "inline subject at most 1,000 bytes and body at most 100,000 bytes")
		}
	case p.Subject != "":
		f.Add("body", "required with an inline subject")
	case !validKey(p.TemplateKey):
		f.Add("template_key", "lower-case letters, digits and _ (at most 64)")
	}
	if p.DedupeKey == "" {
		f.Add("dedupe_key", "required")
	}
	for name, v := range map[string]string{"journey_id": p.JourneyID, "run_id": p.RunID, "step_id": p.StepID,
		"order_id": p.OrderID, "sku": p.SKU, "dedupe_key": p.DedupeKey, "customer_id": p.CustomerID} {
		if len(v) > maxRef {
			f.Add(name, "at most 200 bytes")
		}
	}
	return f.Err()
}

// maxCreateMany bounds the messages of one INSERT in CreateManyTx (15
// parameters each, far below both engines' limits).
const maxCreateMany = 500

// CreateManyTx is CreateTx for many messages, with one INSERT for the
// messages and one for their message.due jobs per 500 messages: for
// callers that plan many at once (the journey engine's batched steps).
// It returns the messages in the order of ps and whether each was created;
// a dedupe key already used (also earlier in ps) returns that message,
// created false, as CreateTx does. Any invalid p fails the whole call
// before anything is written.
func (s *Service) CreateManyTx(ctx context.Context, tx db.DBTX, ps []CreateParams) ([]Message, []bool, error) {
	now := s.Clock.Now()
	ps = slices.Clone(ps)
	for i := range ps {
		if err := ps[i].validate(); err != nil {
			return nil, nil, err
		}
		if ps[i].Body != "" {
			return nil, nil, errs.Invalid("body", "an inline text is planned one at a time (CreateTx)")
		}
		if ps[i].DueAt.IsZero() {
			ps[i].DueAt = now
		}
	}
	out := make([]Message, len(ps))
	created := make([]bool, len(ps))
	var due []jobs.EnqueueParams
	for from := 0; from < len(ps); from += maxCreateMany {
		chunk := ps[from:min(from+maxCreateMany, len(ps))]
		ids := make([]string, len(chunk))
		for i := range ids {
			ids[i] = id.New("msg")
		}
		got, err := insertMany(ctx, tx, ids, chunk, now)
		if err != nil {
			return nil, nil, err
		}
		for i, p := range chunk {
			m, ok := got[[2]string{p.ShopID, p.DedupeKey}]
			if ok && m.ID == ids[i] {
				out[from+i], created[from+i] = m, true
				due = append(due, dueJob(m))
				continue
			}
			if out[from+i], err = byDedupeKey(ctx, tx, p.ShopID, p.DedupeKey); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(due) > 0 {
		if _, err := s.Queue.EnqueueMany(ctx, tx, due); err != nil {
			return nil, nil, err
		}
	}
	return out, created, nil
}

// ListParams selects a page of a shop's messages, newest first. Empty
// filters match everything.
type ListParams struct {
	ShopID     string
	CustomerID string
	Status     string
	Purpose    string
	JourneyID  string
	Reason     string
	Channel    string // the channel it went out on (line, sms, email or postal)
	BeforeID   string // keyset cursor: the ID of the previous page's last message
	Limit      int    // default 50
}

func (p *ListParams) validate() error {
	f := errs.Fields{}
	if p.Status != "" && !slices.Contains(Statuses, p.Status) {
		f.Add("status", "must be one of "+strings.Join(Statuses, ", "))
	}
	if p.Purpose != "" && !slices.Contains(Purposes, p.Purpose) {
		f.Add("purpose", "must be one of "+strings.Join(Purposes, ", "))
	}
	if p.Channel != "" && (p.Channel == "best" || !slices.Contains(Channels, p.Channel)) {
		f.Add("channel", "must be one of line, sms, email, postal")
	}
	if len(f) > 0 {
		return &errs.Error{Kind: errs.ErrMalformed, Code: "invalid_filter", Message: "a list filter has a value that cannot match", Fields: f}
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	return nil
}

// dueJob is the message.due job of m, as CreateTx enqueues it.
func dueJob(m Message) jobs.EnqueueParams {
	return jobs.EnqueueParams{Kind: DueKind, ShopID: m.ShopID, Args: dueArgs{MessageID: m.ID}, RunAt: m.DueAt}
}
