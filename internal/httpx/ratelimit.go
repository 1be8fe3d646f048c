package httpx

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a set of token buckets, one per key (an API key, an IP), each
// forgotten after it has been idle a while. It is per process: limits that
// must hold across several nodes belong in the database.
type Limiter struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*entry
	last  time.Time
}

type entry struct {
	l    *rate.Limiter
	seen time.Time
}

// NewLimiter allows perSecond requests a second per key, with bursts of burst.
func NewLimiter(perSecond float64, burst int) *Limiter {
	return &Limiter{rate: rate.Limit(perSecond), burst: burst, m: map[string]*entry{}}
}

// Allow reports whether a request for key may go ahead now.
// It reads the wall clock: rate limits guard the process, not the domain.
func (l *Limiter) Allow(key string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.last) > time.Minute {
		for k, e := range l.m {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(l.m, k)
			}
		}
		l.last = now
	}
	e, ok := l.m[key]
	if !ok {
		e = &entry{l: rate.NewLimiter(l.rate, l.burst)}
		l.m[key] = e
	}
	e.seen = now
	return e.l.AllowN(now, 1)
}
