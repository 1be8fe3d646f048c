package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
	"unicode/utf8"
)

// Job is one claimed job as a Worker sees it.
type Job struct {
	ID          int64
	Kind        string
	ShopID      string // "" for instance-wide jobs
	Args        json.RawMessage
	Attempt     int // 1 on the first run
	MaxAttempts int
	RunAt       time.Time // when it was due (domain time)
}

// Decode unmarshals the job's JSON arguments into v.
func (j *Job) Decode(v any) error {
	if err := json.Unmarshal(j.Args, v); err != nil {
		return fmt.Errorf("decode %s job %d args: %w", j.Kind, j.ID, err)
	}
	return nil
}

// Worker does one kind of job. Work must be safe to run again: delivery is
// at least once. A Worker may also implement Timeout() time.Duration to
// override the runner's JobTimeout for its kind.
type Worker interface {
	Kind() string
	Work(ctx context.Context, j *Job) error
}

// WorkerFunc is the body of a Worker made with Func.
type WorkerFunc func(ctx context.Context, j *Job) error

// Func returns a Worker of the given kind that calls f.
func Func(kind string, f WorkerFunc) Worker { return funcWorker{kind: kind, workFunc: f} }

type funcWorker struct {
	kind     string
	workFunc WorkerFunc
}

func (w funcWorker) Kind() string                           { return w.kind }
func (w funcWorker) Work(ctx context.Context, j *Job) error { return w.workFunc(ctx, j) }

// timeouter is the optional per-kind timeout of a Worker.
type timeouter interface{ Timeout() time.Duration }

type cancelError struct{ err error }

func (e *cancelError) Error() string { return "job cancelled: " + e.err.Error() }
func (e *cancelError) Unwrap() error { return e.err }

// Cancel marks err as permanent: returned from Work, it sends the job to
// state 'failed' at once, with no retry.
func Cancel(err error) error {
	if err == nil {
		err = errors.New("cancelled by worker")
	}
	return &cancelError{err: err}
}

type snoozeError struct{ d time.Duration }

func (e *snoozeError) Error() string { return fmt.Sprintf("job snoozed for %s", e.d) }

// minSnooze keeps a snoozing job from spinning: RunDue and AdvanceTo run
// everything due at a clock that stands still, so a snooze of zero would
// make the same job due again for ever.
const minSnooze = time.Second

// Snooze, returned from Work, runs the job again after d (domain time)
// without counting the attempt. d below one second counts as one second.
func Snooze(d time.Duration) error {
	return &snoozeError{d: max(d, minSnooze)}
}

// maxErrorBytes bounds jobs.last_error.
const maxErrorBytes = 500

// truncateError returns the error text cut to maxErrorBytes at a character
// boundary (messages may be Japanese).
func truncateError(err error) string {
	s := err.Error()
	if len(s) <= maxErrorBytes {
		return s
	}
	s = s[:maxErrorBytes]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// maxBackoff caps the retry delay.
const maxBackoff = 6 * time.Hour

// backoff is the delay before retrying after the given failed attempt:
// attempt⁴ seconds (1 s, 16 s, 81 s, 256 s, ...) capped at six hours, ±10 %
// jitter so that jobs failing together do not retry together.
func backoff(attempt int) time.Duration {
	secs := math.Pow(float64(max(attempt, 1)), 4)
	d := maxBackoff
	if secs < maxBackoff.Seconds() {
		d = time.Duration(secs * float64(time.Second))
	}
	jitter := 0.9 + 0.2*rand.Float64() //nolint:gosec // jitter needs no cryptographic randomness
	return time.Duration(float64(d) * jitter).Truncate(time.Microsecond)
}
