package jobs

import (
	"context"
	"sync"
)

// gate lets the background loop's claims and jobs (shared holds, any number
// at once) exclude, and be excluded by, RunDue and AdvanceTo (one exclusive
// hold). Unlike sync.RWMutex, a shared hold may be handed to another
// goroutine (each claimed job releases its own), and waits end on ctx.
type gate struct {
	mu        sync.Mutex
	shared    int
	exclusive bool
	changed   chan struct{} // closed on the next state change; nil when nobody waits
}

// waitLocked returns a channel closed on the next state change.
func (g *gate) waitLocked() <-chan struct{} {
	if g.changed == nil {
		g.changed = make(chan struct{})
	}
	return g.changed
}

func (g *gate) notifyLocked() {
	if g.changed != nil {
		close(g.changed)
		g.changed = nil
	}
}

// acquireShared takes one shared hold, waiting while an exclusive hold is
// taken or wanted. It returns false if ctx or stop ended the wait.
func (g *gate) acquireShared(ctx context.Context, stop <-chan struct{}) bool {
	for {
		g.mu.Lock()
		if !g.exclusive {
			g.shared++
			g.mu.Unlock()
			return true
		}
		ch := g.waitLocked()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		}
	}
}

// addShared adds n shared holds; the caller must already hold one.
func (g *gate) addShared(n int) {
	g.mu.Lock()
	g.shared += n
	g.mu.Unlock()
}

// releaseShared gives back n shared holds.
func (g *gate) releaseShared(n int) {
	g.mu.Lock()
	g.shared -= n
	g.notifyLocked()
	g.mu.Unlock()
}

// acquireExclusive takes the exclusive hold: it stops new shared holds at
// once, then waits for the existing ones to be released.
func (g *gate) acquireExclusive(ctx context.Context) error {
	for {
		g.mu.Lock()
		if !g.exclusive {
			g.exclusive = true
			g.mu.Unlock()
			break
		}
		ch := g.waitLocked()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		g.mu.Lock()
		if g.shared == 0 {
			g.mu.Unlock()
			return nil
		}
		ch := g.waitLocked()
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			g.releaseExclusive()
			return ctx.Err()
		}
	}
}

func (g *gate) releaseExclusive() {
	g.mu.Lock()
	g.exclusive = false
	g.notifyLocked()
	g.mu.Unlock()
}
