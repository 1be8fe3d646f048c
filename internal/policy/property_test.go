package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var allReasons = []string{ReasonNoConsent, ReasonUnreachable, ReasonOpenTicket, ReasonNotEnoughCare,
	ReasonSalesShare, ReasonFrequencyCap, ReasonQuietHours, ReasonJourneyPaused}

// randomCase draws a policy, message, customer and history that exercise
// every rule: small caps, few channels, histories dense around now.
func randomCase(r *rand.Rand) (Policy, *time.Location, Message, Customer, History, time.Time) {
	p := Defaults()
	p.MinCareBeforeSales = r.IntN(4)
	p.MaxSalesShare = []float64{0.25, 0.3333, 0.5, 1}[r.IntN(4)]
	p.MaxPerWeek = 1 + r.IntN(5)
	p.MaxDeferDays = r.IntN(5)
	hhmm := func() string { return fmt.Sprintf("%02d:%02d", r.IntN(24), []int{0, 15, 30, 59}[r.IntN(4)]) }
	p.QuietStart, p.QuietEnd = hhmm(), hhmm()
	p.ChannelOrder = slices.Clone(Channels)
	r.Shuffle(len(p.ChannelOrder), func(i, j int) { p.ChannelOrder[i], p.ChannelOrder[j] = p.ChannelOrder[j], p.ChannelOrder[i] })
	p.ChannelOrder = p.ChannelOrder[:1+r.IntN(4)]
	loc := []*time.Location{tokyo, nyc, time.UTC, mustLoad("Australia/Lord_Howe")}[r.IntN(4)]

	purposes := []Purpose{Transactional, Care, Info, Sales}
	m := Message{Purpose: purposes[r.IntN(4)], JourneyPaused: r.IntN(20) == 0, StaffReplyExempt: r.IntN(10) == 0}
	switch r.IntN(3) {
	case 0:
		m.Channel = "best"
	case 1:
		m.Channel = Channels[r.IntN(4)]
	}
	c := Customer{Contacts: map[string]bool{}, Consents: map[string]bool{}}
	for _, ch := range Channels {
		c.Contacts[ch] = r.IntN(3) > 0
		c.Consents[ch] = r.IntN(3) > 0
	}
	if r.IntN(2) == 0 {
		c.Preferred = append(Channels, "phone")[r.IntN(5)]
	}
	// now: any minute of 2026, including both DST changes of New York and
	// Lord Howe's half-hour ones.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(365*24*60)) * time.Minute)
	if r.IntN(4) == 0 { // near a New York transition
		base := []time.Time{time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)}[r.IntN(2)]
		now = base.Add(time.Duration(r.IntN(48*60)-24*60) * time.Minute)
	}
	h := History{OpenComplaint: r.IntN(5) == 0, CareSinceLatestOrder: r.IntN(5)}
	for range r.IntN(12) {
		age := time.Duration(r.Int64N(int64(100 * 24 * time.Hour)))
		if r.IntN(2) == 0 {
			age = time.Duration(r.Int64N(int64(8 * 24 * time.Hour)))
		}
		h.Sent = append(h.Sent, Sent{At: now.Add(-age), Purpose: purposes[r.IntN(4)]})
	}
	return p, loc, m, c, h, now
}

// TestDecideProperties checks invariants of Decide over many random inputs,
// each computed independently of Decide's own code where it matters.
func TestDecideProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(20261123, 4))
	seen := map[string]int{}
	for i := range 20000 {
		p, loc, m, c, h, now := randomCase(r)
		d := Decide(p, loc, m, c, h, now)
		seen[string(d.Outcome)+"/"+d.Reason]++
		fail := func(format string, args ...any) {
			t.Helper()
			in, _ := json.Marshal(map[string]any{"policy": p, "loc": loc.String(), "message": m, "customer": c, "history": h, "now": now})
			t.Fatalf("case %d: %s\ndecision %+v\ninput %s", i, fmt.Sprintf(format, args...), d, in)
		}
		switch d.Outcome {
		case Send:
			if d.Reason != "" || !d.Until.IsZero() {
				fail("send with a reason or a time")
			}
		case Defer, Suppress:
			if !slices.Contains(allReasons, d.Reason) {
				fail("no known reason")
			}
		default:
			fail("unknown outcome")
		}
		if m.JourneyPaused != (d.Reason == ReasonJourneyPaused) {
			fail("journey_paused iff the journey is paused")
		}
		if d.Outcome == Defer {
			if !d.Until.After(now) {
				fail("deferred to the past")
			}
			if d.Reason != ReasonFrequencyCap && d.Reason != ReasonQuietHours {
				fail("deferred for a reason that suppresses")
			}
			// Under a day, or two when a DST change skips the one moment
			// out of nearly day-long quiet hours (Lord Howe's 02:00 → 02:30).
			if d.Reason == ReasonQuietHours && d.Until.Sub(now) > 49*time.Hour {
				fail("quiet hours longer than two days")
			}
			if d.Reason == ReasonFrequencyCap && d.Until.Sub(now) > time.Duration(p.MaxDeferDays)*24*time.Hour+49*time.Hour {
				fail("deferred past max_defer_days and a night")
			}
			if m.Purpose == Sales && d.Reason == ReasonFrequencyCap {
				fail("sales deferred by the cap")
			}
			// Judged again when it is due (nothing else sent meanwhile), it
			// is not held by quiet hours again.
			again := Decide(p, loc, m, c, h, d.Until)
			if again.Reason == ReasonQuietHours {
				fail("deferred into quiet hours: again %+v", again)
			}
			if d.Reason == ReasonFrequencyCap && again.Reason == ReasonFrequencyCap {
				fail("deferred to a slot that is not free: again %+v", again)
			}
		}
		if d.Outcome == Suppress && d.Reason == ReasonQuietHours {
			fail("suppressed for quiet hours")
		}
		if d.Outcome != Send {
			continue
		}
		if !c.Contacts[d.Channel] {
			fail("sent without a contact point")
		}
		if m.Purpose != Transactional && !c.Consents[d.Channel] {
			fail("sent without consent")
		}
		if m.Channel != "" && m.Channel != "best" && d.Channel != m.Channel {
			fail("not the requested channel")
		}
		if quietAt(p, now.In(loc)) && !m.StaffReplyExempt {
			fail("sent in quiet hours")
		}
		if m.Purpose == Transactional {
			continue
		}
		week, ninety, sales := 0, 0, 0
		for _, s := range h.Sent {
			if s.Purpose == Transactional {
				continue
			}
			if now.Sub(s.At) < 7*24*time.Hour {
				week++
			}
			if now.Sub(s.At) < 90*24*time.Hour {
				ninety++
				if s.Purpose == Sales {
					sales++
				}
			}
		}
		if week+1 > p.MaxPerWeek {
			fail("over the weekly cap: %d already this week", week)
		}
		if m.Purpose == Sales {
			if h.OpenComplaint {
				fail("sales with an open complaint")
			}
			if h.CareSinceLatestOrder < p.MinCareBeforeSales {
				fail("sales before enough care")
			}
			if float64(sales+1)/float64(ninety+1) > p.MaxSalesShare+0.0001 {
				fail("sales share %d/%d over %v", sales+1, ninety+1, p.MaxSalesShare)
			}
		}
	}
	for _, want := range []string{"send/", "defer/frequency_cap", "defer/quiet_hours", "suppress/frequency_cap", "suppress/journey_paused",
		"suppress/no_consent", "suppress/unreachable", "suppress/open_ticket", "suppress/not_enough_care", "suppress/sales_share"} {
		if seen[want] < 20 {
			t.Errorf("only %d cases ended %s: the generator does not exercise it", seen[want], want)
		}
	}
}

// quietAt is an independent statement of the quiet-hours rule.
func quietAt(p Policy, lt time.Time) bool {
	var sh, sm, eh, em int
	if _, err := fmt.Sscanf(p.QuietStart+" "+p.QuietEnd, "%d:%d %d:%d", &sh, &sm, &eh, &em); err != nil {
		panic(err)
	}
	cur := lt.Hour()*60 + lt.Minute()
	s, e := sh*60+sm, eh*60+em
	switch {
	case s < e:
		return cur >= s && cur < e
	case s > e:
		return cur >= s || cur < e
	}
	return false
}

func FuzzParseHHMM(f *testing.F) {
	for _, s := range []string{"21:00", "09:00", "00:00", "23:59", "24:00", "9:00", "12:60", "ab:cd", "", "12:345", "１２:００"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, ok := parseHHMM(s)
		if !ok {
			return
		}
		if m < 0 || m >= 24*60 || fmt.Sprintf("%02d:%02d", m/60, m%60) != s {
			t.Fatalf("%q parsed as %d minutes", s, m)
		}
	})
}

// FuzzPolicyJSON feeds arbitrary PUT /policy bodies through decoding and
// Validate; a policy that passes must judge any message without panicking
// and defer only to the future.
func FuzzPolicyJSON(f *testing.F) {
	seeds := []string{`{}`, `{"quiet_start":"22:00","quiet_end":"22:00"}`, `{"channel_order":["email","email"]}`,
		`{"max_sales_share":0,"max_per_week":0}`, `{"quiet_start":"23:59","quiet_end":"00:00","max_defer_days":30}`,
		`{"channel_order":[]}`, `{"brake_window":10,"brake_min_sends":11}`, `{"max_sales_share":1e309}`}
	for _, s := range seeds {
		f.Add([]byte(s), int64(0))
	}
	f.Fuzz(func(t *testing.T, body []byte, seed int64) {
		p := Defaults()
		if json.Unmarshal(body, &p) != nil || p.Validate() != nil {
			return
		}
		r := rand.New(rand.NewPCG(uint64(seed), 1))
		_, loc, m, c, h, now := randomCase(r)
		d := Decide(p, loc, m, c, h, now)
		if d.Outcome == Defer && !d.Until.After(now) {
			t.Fatalf("deferred to the past: %+v", d)
		}
	})
}
