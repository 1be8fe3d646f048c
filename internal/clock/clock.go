// Package clock is the only source of time for domain code.
//
// Domain packages never call time.Now: they hold a Clock and ask it. The real
// clock reads the system time; the simulated clock stands still until it is
// told to move, so weeks of after-follow run in milliseconds in tests and in
// `kizukai serve --clock simulated`. It imports nothing from the project.
package clock

import (
	"fmt"
	"sync"
	"time"
)

// Clock tells the current time. All times it returns are in UTC.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns the system time in UTC, truncated to microseconds (the
// precision both storage engines keep).
func (Real) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Simulated is a clock that moves only when told to. It never moves backwards.
type Simulated struct {
	mu  sync.Mutex
	now time.Time
}

// NewSimulated returns a simulated clock standing at start.
func NewSimulated(start time.Time) *Simulated {
	return &Simulated{now: start.UTC().Truncate(time.Microsecond)}
}

// Now returns the simulated time.
func (s *Simulated) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Set moves the clock to t. Moving backwards is refused, because jobs and
// messages already recorded at later times would then lie in the future.
func (s *Simulated) Set(t time.Time) error {
	t = t.UTC().Truncate(time.Microsecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.Before(s.now) {
		return fmt.Errorf("simulated clock cannot move back from %s to %s", s.now.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	s.now = t
	return nil
}

// Advance moves the clock forward by d, which must not be negative.
func (s *Simulated) Advance(d time.Duration) time.Time {
	if d < 0 {
		panic("clock: negative advance")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(d).Truncate(time.Microsecond)
	return s.now
}
