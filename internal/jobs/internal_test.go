package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		attempt int
		want    time.Duration
	}{
		{"first", 1, time.Second},
		{"second", 2, 16 * time.Second},
		{"fifth", 5, 625 * time.Second},
		{"tenth", 10, 10000 * time.Second},
		{"capped", 20, 6 * time.Hour},
		{"huge", 1000, 6 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 100 {
				got := backoff(tt.attempt)
				lo, hi := time.Duration(float64(tt.want)*0.9), time.Duration(float64(tt.want)*1.1)
				if got < lo || got > hi {
					t.Fatalf("backoff(%d) = %s, want %s ± 10 %%", tt.attempt, got, tt.want)
				}
			}
		})
	}
}

func TestTruncateError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  string
		want int // bytes kept
	}{
		{"short", "boom", 4},
		{"exact", strings.Repeat("a", 500), 500},
		{"ascii", strings.Repeat("a", 600), 500},
		{"japanese", strings.Repeat("あ", 200), 498}, // 3 bytes each: 166 whole characters
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := truncateError(errors.New(tt.msg))
			if len(got) != tt.want || !utf8.ValidString(got) || !strings.HasPrefix(tt.msg, got) {
				t.Errorf("kept %d bytes (valid %v), want %d", len(got), utf8.ValidString(got), tt.want)
			}
		})
	}
}

func TestSnoozeHasAFloor(t *testing.T) {
	t.Parallel()
	var s *snoozeError
	if !errors.As(Snooze(0), &s) || s.d != time.Second {
		t.Errorf("Snooze(0) = %v", Snooze(0))
	}
}

func TestGateExclusiveWaitsForShared(t *testing.T) {
	t.Parallel()
	var g gate
	ctx := context.Background()
	if !g.acquireShared(ctx, nil) {
		t.Fatal("shared hold refused")
	}
	g.addShared(1) // handed to a second job
	got := make(chan error, 1)
	go func() { got <- g.acquireExclusive(ctx) }()
	g.releaseShared(1)
	select {
	case err := <-got:
		t.Fatalf("exclusive granted (%v) with a shared hold left", err)
	default:
	}
	g.releaseShared(1)
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("exclusive hold never granted")
	}
	// While it is held, shared holds wait and give up with their context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if g.acquireShared(cctx, nil) {
		t.Error("shared hold granted during an exclusive hold")
	}
	g.releaseExclusive()
	if !g.acquireShared(ctx, nil) {
		t.Error("shared hold refused after release")
	}
}

func TestGateExclusiveGivesUpWithContext(t *testing.T) {
	t.Parallel()
	var g gate
	if !g.acquireShared(context.Background(), nil) {
		t.Fatal("shared hold refused")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.acquireExclusive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquireExclusive = %v", err)
	}
	// The failed attempt must not block shared holds.
	if !g.acquireShared(context.Background(), nil) {
		t.Error("shared hold refused after a cancelled exclusive attempt")
	}
}
