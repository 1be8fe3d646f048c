// Package engagement records what a customer does with a message on the
// public pages: a recall (or any) notice acknowledged on /a/{token}, and a
// link followed through /k/{token}. It also finds the links of a message,
// so that the click redirect only ever goes to a URL the shop's own message
// contains (no open redirect).
//
// The messages table belongs to package message; acknowledged_at and
// clicked_at are this package's columns (migration 00008), and the status
// change to clicked is the one message status that the public pages set.
// The rows are read and written here directly, like customer's export reads
// them, because message exports no method for it yet.
//
// Invariants: every query is scoped by shop ID; only a message that went
// out (sending, sent, delivered, opened, clicked) can be acknowledged or
// clicked; message.acknowledged is recorded once per message and
// message.clicked once per link (external IDs), so reloads and link
// scanners do not inflate counts; the event data never holds the URL or
// the text.
//
// It imports message, event, db, errs and clock; never net/http.
package engagement

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/message"
)

// Event types recorded by this package. Their data is message.EventData
// (plus the link's number for clicks).
const (
	EventAcknowledged = "message.acknowledged"
	EventClicked      = "message.clicked"
)

// ClickData is the data of message.clicked.
type ClickData struct {
	message.EventData
	Link int `json:"link" doc:"1-based number of the link in the message"`
}

// Service records acknowledgements and clicks.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	events *event.Recorder
}

// NewService returns a Service.
func NewService(d *db.DB, clk clock.Clock, events *event.Recorder) *Service {
	return &Service{db: d, clock: clk, events: events}
}

// outStatuses are the statuses of a message that went out.
var outStatuses = []string{message.StatusSending, message.StatusSent, message.StatusDelivered, message.StatusOpened, message.StatusClicked}

var errNotFound = errs.NotFound("message_not_found", "message not found")

// Message returns the shop's message if it went out; else not found.
func (s *Service) Message(ctx context.Context, shopID, messageID string) (Message, error) {
	m, err := byID(ctx, s.db, shopID, messageID)
	if err != nil {
		return Message{}, err
	}
	if !slices.Contains(outStatuses, m.Status) {
		return Message{}, errNotFound
	}
	return m, nil
}

// Acknowledge records that the customer acknowledged the message: sets
// acknowledged_at and records message.acknowledged, both once. It returns
// the message as it now stands.
func (s *Service) Acknowledge(ctx context.Context, shopID, messageID string) (Message, error) {
	var m Message
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		if m, err = byID(ctx, tx, shopID, messageID); err != nil {
			return err
		}
		if !slices.Contains(outStatuses, m.Status) {
			return errNotFound
		}
		if m.AcknowledgedAt != nil {
			return nil
		}
		now := s.clock.Now()
		if err := setAcknowledged(ctx, tx, shopID, messageID, now); err != nil {
			return err
		}
		m.AcknowledgedAt = &now
		_, _, err = s.events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: m.CustomerID,
			Type: EventAcknowledged, ExternalID: "ack:" + m.ID, OccurredAt: now, Now: now, Data: m.eventData()})
		return err
	})
	return m, err
}

// Click resolves the n-th (1-based) http(s) link of the message and
// records the click: status clicked (from any status that went out),
// clicked_at once, message.clicked once per link. A message that did not go
// out, or has no such link, is not found.
func (s *Service) Click(ctx context.Context, shopID, messageID string, n int) (string, error) {
	var target string
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		m, err := byID(ctx, tx, shopID, messageID)
		if err != nil {
			return err
		}
		links := Links(m.Body)
		if !slices.Contains(outStatuses, m.Status) || n < 1 || n > len(links) {
			return errNotFound
		}
		target = links[n-1]
		now := s.clock.Now()
		if err := setClicked(ctx, tx, shopID, messageID, now); err != nil {
			return err
		}
		_, _, err = s.events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: m.CustomerID,
			Type: EventClicked, ExternalID: "click:" + m.ID + "." + strconv.Itoa(n), OccurredAt: now, Now: now,
			Data: ClickData{EventData: m.eventData(), Link: n}})
		return err
	})
	return target, err
}

// ParseClickObject splits a click token's object "<message id>.<n>".
func ParseClickObject(obj string) (messageID string, n int, ok bool) {
	i := strings.LastIndexByte(obj, '.')
	if i <= 0 || i == len(obj)-1 || len(obj)-i > 5 {
		return "", 0, false
	}
	n, err := strconv.Atoi(obj[i+1:])
	if err != nil || n < 1 || strconv.Itoa(n) != obj[i+1:] {
		return "", 0, false
	}
	return obj[:i], n, true
}

// ClickObject is the object of a click token for the n-th link of a message.
func ClickObject(messageID string, n int) string { return messageID + "." + strconv.Itoa(n) }

// linkRE finds URLs in plain text; trailing punctuation is trimmed after.
var linkRE = regexp.MustCompile(`https?://[^\s<>"'\x60「」『』（）【】、。]+`)

// MaxLinks bounds how many links of one message are considered.
const MaxLinks = 100

// Links returns the http and https URLs of a plain-text body in order,
// each an absolute URL with a host; anything else is skipped.
func Links(body string) []string {
	var out []string
	for _, raw := range linkRE.FindAllString(body, MaxLinks) {
		raw = strings.TrimRight(raw, ".,;:!?)]}")
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			continue
		}
		out = append(out, u.String())
	}
	return out
}

// Message is what the public pages need of a message.
type Message struct {
	ID             string
	CustomerID     string
	Purpose        string
	Status         string
	Channel        string
	JourneyID      string
	Subject        string
	Body           string
	AcknowledgedAt *time.Time
}

func (m Message) eventData() message.EventData {
	return message.EventData{MessageID: m.ID, Purpose: m.Purpose, JourneyID: m.JourneyID, Channel: m.Channel}
}

func wrap(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
