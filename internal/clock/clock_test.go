package clock

import (
	"testing"
	"time"
)

func TestSimulated(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("JST", 9*3600))
	c := NewSimulated(start)
	if got := c.Now(); !got.Equal(start.Truncate(time.Microsecond)) || got.Location() != time.UTC {
		t.Fatalf("Now = %v, want %v in UTC", got, start)
	}
	if got := c.Advance(72 * time.Hour); !got.Equal(start.Add(72 * time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("Advance = %v", got)
	}
	if err := c.Set(start); err == nil {
		t.Fatal("Set to the past was accepted")
	}
	later := start.Add(100 * time.Hour)
	if err := c.Set(later); err != nil || !c.Now().Equal(later.Truncate(time.Microsecond)) {
		t.Fatalf("Set(later) = %v, now %v", err, c.Now())
	}
}

func TestRealIsUTC(t *testing.T) {
	t.Parallel()
	if loc := (Real{}).Now().Location(); loc != time.UTC {
		t.Fatalf("location = %v", loc)
	}
}
