// Package channeltest is a recording fake of channel.Sender for the
// delivery pipeline's tests: it records every attempt, delivers (records as
// accepted) what succeeds, and fails on a script.
//
// It simulates a provider faithfully enough to count duplicates: an
// Ambiguous failure is scripted as "accepted, but the reply was lost", and
// a Recorder that Dedupes accepts a message id at most once, as LINE or the
// generic SMS gateway would. Deliveries(id) > 1 is then a test failure.
//
// It imports only channel and the standard library, and is for tests only.
package channeltest

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/kizukai/kizukai/internal/channel"
)

// Scripted failures, ready to pass to Fail or FailID.
var (
	ErrRetryable = channel.Retryable(errors.New("channeltest: scripted temporary failure"))
	ErrPermanent = channel.Permanent(errors.New("channeltest: scripted permanent failure"))
	// ErrAmbiguous is scripted as "the provider accepted the message and the
	// reply was lost": the message counts as delivered (once, if the
	// Recorder Dedupes) and Send still returns this error.
	ErrAmbiguous = channel.Ambiguous(errors.New("channeltest: scripted lost reply"))
)

// Recorder is a channel.Sender that records messages. The zero value is
// not usable; call NewRecorder.
type Recorder struct {
	name    string
	dedupes bool

	mu         sync.Mutex
	attempts   []channel.Message
	delivered  []channel.Message
	deliveries map[string]int
	script     []error
	scriptByID map[string][]error
	hook       func(ctx context.Context, m channel.Message) error
	changed    chan struct{}
}

var _ channel.Sender = (*Recorder)(nil)

// NewRecorder returns a Recorder with the given provider name that Dedupes
// when dedupes is true.
func NewRecorder(name string, dedupes bool) *Recorder {
	return &Recorder{name: name, dedupes: dedupes, deliveries: map[string]int{},
		scriptByID: map[string][]error{}, changed: make(chan struct{})}
}

// Name returns the name given to NewRecorder.
func (r *Recorder) Name() string { return r.name }

// Dedupes returns the value given to NewRecorder.
func (r *Recorder) Dedupes() bool { return r.dedupes }

// Fail queues outcomes for the next sends of any message, in order; a nil
// entry is a success. Per-message scripts (FailID) take precedence.
func (r *Recorder) Fail(outcomes ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script = append(r.script, outcomes...)
}

// FailID queues outcomes for the next sends of message id, in order.
func (r *Recorder) FailID(id string, outcomes ...error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scriptByID[id] = append(r.scriptByID[id], outcomes...)
}

// SetHook installs f, called at the start of every Send outside the lock
// (to block a send until a test releases it, or to cancel a context). A
// non-nil error from f is returned as the send's outcome, nothing delivered.
func (r *Recorder) SetHook(f func(ctx context.Context, m channel.Message) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hook = f
}

// Send records m and returns the next scripted outcome.
func (r *Recorder) Send(ctx context.Context, m channel.Message) (channel.Receipt, error) {
	r.mu.Lock()
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, m); err != nil {
			r.record(m, false)
			return channel.Receipt{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		r.record(m, false)
		return channel.Receipt{}, channel.Retryable(err)
	}
	r.mu.Lock()
	var outcome error
	if s := r.scriptByID[m.ID]; len(s) > 0 {
		outcome, r.scriptByID[m.ID] = s[0], s[1:]
	} else if len(r.script) > 0 {
		outcome, r.script = r.script[0], r.script[1:]
	}
	r.mu.Unlock()
	accepted := outcome == nil || channel.IsAmbiguous(outcome)
	r.record(m, accepted)
	if outcome != nil {
		return channel.Receipt{}, outcome
	}
	return channel.Receipt{ProviderID: r.name + ":" + m.ID}, nil
}

// record stores an attempt and, when accepted, a delivery (at most one per
// id when the Recorder Dedupes), then wakes waiters.
func (r *Recorder) record(m channel.Message, accepted bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, m)
	if accepted && !(r.dedupes && r.deliveries[m.ID] > 0) {
		r.deliveries[m.ID]++
		r.delivered = append(r.delivered, m)
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// Attempts returns every message passed to Send, in order.
func (r *Recorder) Attempts() []channel.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts)
}

// Delivered returns the messages the fake provider accepted, in order: one
// per delivery the customer would see.
func (r *Recorder) Delivered() []channel.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.delivered)
}

// Deliveries returns how many times message id reached the customer.
func (r *Recorder) Deliveries(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.deliveries[id]
}

// Wait blocks until at least n messages were delivered or ctx is done.
func (r *Recorder) Wait(ctx context.Context, n int) error {
	for {
		r.mu.Lock()
		got, ch := len(r.delivered), r.changed
		r.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
