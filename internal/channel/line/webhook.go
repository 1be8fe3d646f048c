package line

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/line/line-bot-sdk-go/v8/linebot/webhook"

	"github.com/kizukai/kizukai/internal/errs"
)

// Event types ParseWebhook returns.
const (
	EventFollow   = "follow"   // the user added the account (or unblocked it)
	EventUnfollow = "unfollow" // the user blocked the account
	EventMessage  = "message"  // the user sent a message
)

// Event is one webhook event from a user in a one-to-one chat.
type Event struct {
	Type           string    // EventFollow, EventUnfollow or EventMessage
	UserID         string    // the LINE user ID: personal data
	Text           string    // a text message's text: personal data, never logged
	MessageType    string    // for messages: text, sticker, image, ...
	WebhookEventID string    // LINE's id of the event: dedupe on it
	Redelivery     bool      // LINE sent it before (deliveryContext.isRedelivery)
	Time           time.Time // when it happened, UTC
}

// Errors of ParseWebhook, as errs categories.
var (
	errTooLarge     = errs.New(errs.ErrTooLarge, "webhook_too_large", "the webhook body is too large")
	errBadSignature = errs.New(errs.ErrUnauthorized, "bad_signature", "the X-Line-Signature does not match the body")
	errMalformed    = errs.Malformed("malformed_webhook", "the webhook body is not a LINE webhook")
	errUnreadable   = errs.Malformed("unreadable_webhook", "the webhook body could not be read")
)

// ParseWebhook reads a LINE webhook request of at most maxBody bytes,
// verifies its X-Line-Signature with channelSecret and returns its follow,
// unfollow and message events from users (other events, and events from
// groups and rooms, are dropped). Errors are errs categories: ErrTooLarge
// (413), ErrUnauthorized (401: bad or missing signature, or no secret),
// ErrMalformed (400). No error text contains any of the body. It closes
// r.Body.
func ParseWebhook(channelSecret string, r *http.Request, maxBody int64) ([]Event, error) {
	if channelSecret == "" {
		_ = r.Body.Close()
		return nil, errBadSignature
	}
	// With a nil ResponseWriter the reader still stops at the limit; the
	// caller answers 413 from the error.
	body := &readRecorder{r: http.MaxBytesReader(nil, r.Body, maxBody)}
	r.Body = body
	cb, err := webhook.ParseRequest(channelSecret, r)
	if err != nil {
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(body.err, &tooLarge):
			return nil, errTooLarge
		case body.err != nil:
			return nil, errUnreadable
		case errors.Is(err, webhook.ErrInvalidSignature):
			return nil, errBadSignature
		}
		// The SDK's text quotes the whole body: drop it.
		return nil, errMalformed
	}
	events := make([]Event, 0, len(cb.Events))
	for _, e := range cb.Events {
		if ev, ok := convert(e); ok {
			events = append(events, ev)
		}
	}
	return events, nil
}

// readRecorder remembers the first read error, so a failure to read the
// body is told apart from a body that does not parse.
type readRecorder struct {
	r   io.ReadCloser
	err error
}

func (x *readRecorder) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	if err != nil && err != io.EOF && x.err == nil {
		x.err = err
	}
	return n, err
}

func (x *readRecorder) Close() error { return x.r.Close() }

// convert maps an SDK event to an Event, or false to drop it.
func convert(e webhook.EventInterface) (Event, bool) {
	var (
		ev     Event
		source webhook.SourceInterface
		ts     int64
		dc     *webhook.DeliveryContext
	)
	switch x := e.(type) {
	case webhook.FollowEvent:
		ev.Type, source, ts, dc, ev.WebhookEventID = EventFollow, x.Source, x.Timestamp, x.DeliveryContext, x.WebhookEventId
	case webhook.UnfollowEvent:
		ev.Type, source, ts, dc, ev.WebhookEventID = EventUnfollow, x.Source, x.Timestamp, x.DeliveryContext, x.WebhookEventId
	case webhook.MessageEvent:
		ev.Type, source, ts, dc, ev.WebhookEventID = EventMessage, x.Source, x.Timestamp, x.DeliveryContext, x.WebhookEventId
		switch msg := x.Message.(type) {
		case webhook.TextMessageContent:
			ev.MessageType, ev.Text = "text", msg.Text
		case nil:
			ev.MessageType = "unknown"
		default:
			ev.MessageType = msg.GetType()
		}
	default:
		return Event{}, false
	}
	user, ok := source.(webhook.UserSource)
	if !ok || user.UserId == "" {
		return Event{}, false
	}
	ev.UserID = user.UserId
	ev.Time = time.UnixMilli(ts).UTC()
	ev.Redelivery = dc != nil && dc.IsRedelivery
	return ev, true
}
