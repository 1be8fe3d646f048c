package policy

import (
	"testing"
	"time"
)

var (
	tokyo = mustLoad("Asia/Tokyo")
	nyc   = mustLoad("America/New_York")
	// noon is Monday 2026-11-23 12:00 in Tokyo: outside quiet hours.
	noon = time.Date(2026, 11, 23, 12, 0, 0, 0, tokyo)
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// reachable is a customer with every channel's contact point and consent.
func reachable() Customer {
	all := map[string]bool{"line": true, "sms": true, "email": true, "postal": true}
	consents := map[string]bool{"line": true, "sms": true, "email": true, "postal": true}
	return Customer{Contacts: all, Consents: consents}
}

func only(contacts, consents []string) Customer {
	c := Customer{Contacts: map[string]bool{}, Consents: map[string]bool{}}
	for _, ch := range contacts {
		c.Contacts[ch] = true
	}
	for _, ch := range consents {
		c.Consents[ch] = true
	}
	return c
}

// sent makes history entries: purpose p at each of the given ages before at.
func sent(at time.Time, p Purpose, ages ...time.Duration) []Sent {
	out := make([]Sent, len(ages))
	for i, a := range ages {
		out[i] = Sent{At: at.Add(-a), Purpose: p}
	}
	return out
}

func cat(lists ...[]Sent) []Sent {
	var out []Sent
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// careOK is a history in which sales passes rules 2 to 4: enough care since
// the latest order and two care messages within 90 days (share 1/3).
var careOK = History{CareSinceLatestOrder: 2, Sent: sent(noon, Care, 20*day, 10*day)}

func TestDecide(t *testing.T) {
	t.Parallel()
	def := Defaults()
	with := func(f func(*Policy)) Policy { p := Defaults(); f(&p); return p }
	send := func(ch string) Decision { return Decision{Outcome: Send, Channel: ch} }
	stop := func(reason, ch string) Decision { return Decision{Outcome: Suppress, Reason: reason, Channel: ch} }
	deferTo := func(reason, ch string, until time.Time) Decision {
		return Decision{Outcome: Defer, Reason: reason, Channel: ch, Until: until.UTC()}
	}
	at := func(loc *time.Location, y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, loc)
	}
	tests := []struct {
		name string
		p    Policy
		loc  *time.Location
		m    Message
		c    Customer
		h    History
		now  time.Time
		want Decision
	}{
		// 0. Journey paused comes first, before reachability.
		{name: "paused journey", m: Message{Purpose: Care, JourneyPaused: true}, c: Customer{}, want: stop(ReasonJourneyPaused, "")},
		{name: "paused journey transactional", m: Message{Purpose: Transactional, JourneyPaused: true}, c: reachable(), want: stop(ReasonJourneyPaused, "")},

		// 1. Channel, reachability and consent.
		{name: "best is first of channel order", m: Message{Purpose: Care}, c: reachable(), want: send("line")},
		{name: "best spelled out", m: Message{Purpose: Care, Channel: "best"}, c: reachable(), want: send("line")},
		{name: "preferred channel first", m: Message{Purpose: Care}, c: func() Customer { c := reachable(); c.Preferred = "email"; return c }(), want: send("email")},
		{name: "preferred without consent falls back to order", m: Message{Purpose: Care},
			c: func() Customer { c := only([]string{"email", "sms"}, []string{"sms"}); c.Preferred = "email"; return c }(), want: send("sms")},
		{name: "preferred outside channel order ignored", p: with(func(p *Policy) { p.ChannelOrder = []string{"email", "sms"} }),
			m: Message{Purpose: Care}, c: func() Customer { c := reachable(); c.Preferred = "line"; return c }(), want: send("email")},
		{name: "preferred phone ignored", m: Message{Purpose: Care}, c: func() Customer { c := reachable(); c.Preferred = "phone"; return c }(), want: send("line")},
		{name: "shop's order", p: with(func(p *Policy) { p.ChannelOrder = []string{"postal", "email"} }), m: Message{Purpose: Info}, c: reachable(), want: send("postal")},
		{name: "skips channel without contact", m: Message{Purpose: Care}, c: only([]string{"email"}, []string{"line", "email"}), want: send("email")},
		{name: "skips channel without consent", m: Message{Purpose: Care}, c: only([]string{"line", "email"}, []string{"email"}), want: send("email")},
		{name: "no contact point at all", m: Message{Purpose: Care}, c: Customer{}, want: stop(ReasonUnreachable, "")},
		{name: "consent without contact is unreachable", m: Message{Purpose: Care}, c: only(nil, []string{"email", "line"}), want: stop(ReasonUnreachable, "")},
		{name: "contact without consent", m: Message{Purpose: Care}, c: only([]string{"email", "sms"}, nil), want: stop(ReasonNoConsent, "")},
		{name: "withdrawn consent everywhere, sales", m: Message{Purpose: Sales}, c: only([]string{"line"}, nil), h: careOK, want: stop(ReasonNoConsent, "")},
		{name: "contact outside channel order is unreachable", p: with(func(p *Policy) { p.ChannelOrder = []string{"line"} }),
			m: Message{Purpose: Care}, c: only([]string{"email"}, []string{"email"}), want: stop(ReasonUnreachable, "")},
		{name: "transactional needs only a contact point", m: Message{Purpose: Transactional}, c: only([]string{"sms", "email"}, nil), want: send("sms")},
		{name: "transactional unreachable", m: Message{Purpose: Transactional}, c: only(nil, []string{"email"}), want: stop(ReasonUnreachable, "")},
		{name: "requested channel", m: Message{Purpose: Care, Channel: "email"}, c: reachable(), want: send("email")},
		{name: "requested channel outside shop's order", p: with(func(p *Policy) { p.ChannelOrder = []string{"line"} }),
			m: Message{Purpose: Care, Channel: "postal"}, c: reachable(), want: send("postal")},
		{name: "requested channel without contact", m: Message{Purpose: Care, Channel: "postal"}, c: only([]string{"email"}, []string{"email", "postal"}), want: stop(ReasonUnreachable, "")},
		{name: "requested channel without consent", m: Message{Purpose: Info, Channel: "sms"}, c: only([]string{"sms", "email"}, []string{"email"}), want: stop(ReasonNoConsent, "")},
		{name: "requested channel transactional without consent", m: Message{Purpose: Transactional, Channel: "postal"}, c: only([]string{"postal"}, nil), want: send("postal")},
		{name: "unknown requested channel", m: Message{Purpose: Transactional, Channel: "fax"}, c: reachable(), want: stop(ReasonUnreachable, "")},

		// 2. Open complaint stops sales only.
		{name: "sales with open complaint", m: Message{Purpose: Sales}, c: reachable(), h: History{OpenComplaint: true, CareSinceLatestOrder: 5, Sent: careOK.Sent}, want: stop(ReasonOpenTicket, "line")},
		{name: "care with open complaint", m: Message{Purpose: Care}, c: reachable(), h: History{OpenComplaint: true}, want: send("line")},
		{name: "info with open complaint", m: Message{Purpose: Info}, c: reachable(), h: History{OpenComplaint: true}, want: send("line")},
		{name: "transactional with open complaint", m: Message{Purpose: Transactional}, c: reachable(), h: History{OpenComplaint: true}, want: send("line")},
		{name: "open complaint before not enough care", m: Message{Purpose: Sales}, c: reachable(), h: History{OpenComplaint: true}, want: stop(ReasonOpenTicket, "line")},

		// 3. Care before sales.
		{name: "sales without care", m: Message{Purpose: Sales}, c: reachable(), want: stop(ReasonNotEnoughCare, "line")},
		{name: "sales one care short", m: Message{Purpose: Sales}, c: reachable(), h: History{CareSinceLatestOrder: 1, Sent: careOK.Sent}, want: stop(ReasonNotEnoughCare, "line")},
		{name: "sales with exactly enough care", m: Message{Purpose: Sales}, c: reachable(), h: careOK, want: send("line")},
		{name: "min care zero", p: with(func(p *Policy) { p.MinCareBeforeSales = 0; p.MaxSalesShare = 1 }), m: Message{Purpose: Sales}, c: reachable(), want: send("line")},
		{name: "unknown purpose judged as sales", m: Message{Purpose: "promo"}, c: reachable(), want: stop(ReasonNotEnoughCare, "line")},
		{name: "care needs no care", m: Message{Purpose: Care}, c: reachable(), want: send("line")},

		// 4. Sales share, counting the new message.
		{name: "sales share exactly one third", m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 2, Sent: cat(sent(noon, Care, 30*day, 20*day, 12*day, 11*day), sent(noon, Sales, 25*day))}, want: send("line")},
		{name: "sales share just over", m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 2, Sent: cat(sent(noon, Care, 30*day, 20*day, 10*day), sent(noon, Sales, 25*day))}, want: stop(ReasonSalesShare, "line")},
		{name: "sales share first sales after one care", p: with(func(p *Policy) { p.MinCareBeforeSales = 1 }), m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 1, Sent: sent(noon, Care, 10*day)}, want: stop(ReasonSalesShare, "line")},
		{name: "sales share half allowed at 0.5", p: with(func(p *Policy) { p.MinCareBeforeSales = 1; p.MaxSalesShare = 0.5 }), m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 1, Sent: sent(noon, Care, 10*day)}, want: send("line")},
		{name: "sales share counts info", m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 2, Sent: cat(sent(noon, Info, 40*day, 30*day), sent(noon, Sales, 50*day), sent(noon, Care, 20*day, 10*day))}, want: send("line")},
		{name: "sales share ignores transactional", m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 2, Sent: cat(sent(noon, Care, 20*day), sent(noon, Transactional, 15*day, 14*day, 13*day))}, want: stop(ReasonSalesShare, "line")},
		{name: "sales exactly 90 days ago has left the window", m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 2, Sent: cat(careOK.Sent, sent(noon, Sales, 90*day))}, want: send("line")},
		{name: "sales a second inside 90 days counts", m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 2, Sent: cat(careOK.Sent, sent(noon, Sales, 90*day-time.Second))}, want: stop(ReasonSalesShare, "line")},
		{name: "share 1 allows only sales", p: with(func(p *Policy) { p.MinCareBeforeSales = 0; p.MaxSalesShare = 1 }), m: Message{Purpose: Sales}, c: reachable(),
			h: History{Sent: sent(noon, Sales, 30*day, 20*day)}, want: send("line")},

		// 5. Frequency cap over the rolling 7 days.
		{name: "two in 7 days, third allowed", m: Message{Purpose: Care}, c: reachable(), h: History{Sent: sent(noon, Care, 6*day, hour)}, want: send("line")},
		{name: "three in 7 days, care deferred to first free slot", m: Message{Purpose: Care}, c: reachable(),
			h: History{Sent: sent(noon, Care, 6*day, day, hour)}, want: deferTo(ReasonFrequencyCap, "line", noon.Add(day))},
		{name: "three in 7 days, info deferred", m: Message{Purpose: Info}, c: reachable(),
			h: History{Sent: sent(noon, Care, 5*day, 2*day, hour)}, want: deferTo(ReasonFrequencyCap, "line", noon.Add(2*day))},
		{name: "three in 7 days, sales suppressed", m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 3, Sent: sent(noon, Care, 2*day, day, hour)}, want: stop(ReasonFrequencyCap, "line")},
		{name: "sent exactly 7 days ago has left the window", m: Message{Purpose: Care}, c: reachable(),
			h: History{Sent: sent(noon, Care, 7*day, day, hour)}, want: send("line")},
		{name: "sent 7 days less a second ago still counts", m: Message{Purpose: Care}, c: reachable(),
			h: History{Sent: sent(noon, Care, 7*day-time.Second, day, hour)}, want: deferTo(ReasonFrequencyCap, "line", noon.Add(time.Second))},
		{name: "free slot exactly max_defer_days away", m: Message{Purpose: Care}, c: reachable(),
			h: History{Sent: sent(noon, Care, 4*day, day, hour)}, want: deferTo(ReasonFrequencyCap, "line", noon.Add(3*day))},
		{name: "free slot a second past max_defer_days", m: Message{Purpose: Care}, c: reachable(),
			h: History{Sent: sent(noon, Care, 4*day-time.Second, day, hour)}, want: stop(ReasonFrequencyCap, "line")},
		{name: "max_defer_days zero suppresses", p: with(func(p *Policy) { p.MaxDeferDays = 0 }), m: Message{Purpose: Care}, c: reachable(),
			h: History{Sent: sent(noon, Care, 6*day, day, hour)}, want: stop(ReasonFrequencyCap, "line")},
		{name: "over the cap by two waits for two to leave", p: with(func(p *Policy) { p.MaxPerWeek = 2 }), m: Message{Purpose: Care}, c: reachable(),
			h: History{Sent: sent(noon, Care, hour, 6*day, 5*day)}, want: deferTo(ReasonFrequencyCap, "line", noon.Add(2*day))},
		{name: "free slot in quiet hours moves to quiet end", m: Message{Purpose: Care}, c: reachable(),
			h:    History{Sent: sent(noon, Care, 5*day-11*hour, day, hour)}, // slot: 2 days later at 23:00
			want: deferTo(ReasonFrequencyCap, "line", time.Date(2026, 11, 26, 9, 0, 0, 0, tokyo))},
		{name: "transactional ignores the cap", m: Message{Purpose: Transactional}, c: reachable(),
			h: History{Sent: sent(noon, Sales, hour, 2*hour, 3*hour, 4*hour, 5*hour)}, want: send("line")},
		{name: "transactional history does not count", m: Message{Purpose: Care}, c: reachable(),
			h: History{Sent: cat(sent(noon, Care, day, hour), sent(noon, Transactional, 2*hour, 3*hour))}, want: send("line")},
		{name: "cap checked after care rules", m: Message{Purpose: Sales}, c: reachable(),
			h: History{CareSinceLatestOrder: 1, Sent: sent(noon, Care, 2*day, day, hour)}, want: stop(ReasonNotEnoughCare, "line")},

		// 6. Quiet hours in the shop's time zone.
		{name: "quiet start instant", m: Message{Purpose: Care}, c: reachable(), now: at(tokyo, 2026, 11, 23, 21, 0, 0),
			want: deferTo(ReasonQuietHours, "line", at(tokyo, 2026, 11, 24, 9, 0, 0))},
		{name: "a second before quiet start", m: Message{Purpose: Care}, c: reachable(), now: at(tokyo, 2026, 11, 23, 20, 59, 59), want: send("line")},
		{name: "quiet end instant", m: Message{Purpose: Care}, c: reachable(), now: at(tokyo, 2026, 11, 23, 9, 0, 0), want: send("line")},
		{name: "a nanosecond before quiet end", m: Message{Purpose: Care}, c: reachable(), now: at(tokyo, 2026, 11, 23, 9, 0, 0).Add(-1),
			want: deferTo(ReasonQuietHours, "line", at(tokyo, 2026, 11, 23, 9, 0, 0))},
		{name: "after midnight", m: Message{Purpose: Info}, c: reachable(), now: at(tokyo, 2026, 11, 23, 3, 0, 0),
			want: deferTo(ReasonQuietHours, "line", at(tokyo, 2026, 11, 23, 9, 0, 0))},
		{name: "before midnight, month end", m: Message{Purpose: Care}, c: reachable(), now: at(tokyo, 2026, 11, 30, 23, 30, 0),
			want: deferTo(ReasonQuietHours, "line", at(tokyo, 2026, 12, 1, 9, 0, 0))},
		{name: "transactional obeys quiet hours", m: Message{Purpose: Transactional}, c: reachable(), now: at(tokyo, 2026, 11, 23, 22, 0, 0),
			want: deferTo(ReasonQuietHours, "line", at(tokyo, 2026, 11, 24, 9, 0, 0))},
		{name: "staff reply exempt", m: Message{Purpose: Transactional, StaffReplyExempt: true}, c: reachable(), now: at(tokyo, 2026, 11, 23, 22, 0, 0), want: send("line")},
		{name: "sales in quiet hours deferred", m: Message{Purpose: Sales}, c: reachable(), h: careOK, now: at(tokyo, 2026, 11, 23, 23, 0, 0),
			want: deferTo(ReasonQuietHours, "line", at(tokyo, 2026, 11, 24, 9, 0, 0))},
		{name: "shop time zone, not UTC", m: Message{Purpose: Care}, c: reachable(), now: time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC), // 22:00 JST
			want: deferTo(ReasonQuietHours, "line", at(tokyo, 2026, 11, 24, 9, 0, 0))},
		{name: "daytime quiet hours", p: with(func(p *Policy) { p.QuietStart, p.QuietEnd = "12:00", "13:30" }), m: Message{Purpose: Care}, c: reachable(),
			now: at(tokyo, 2026, 11, 23, 12, 0, 0), want: deferTo(ReasonQuietHours, "line", at(tokyo, 2026, 11, 23, 13, 30, 0))},
		{name: "daytime quiet hours, evening", p: with(func(p *Policy) { p.QuietStart, p.QuietEnd = "12:00", "13:30" }), m: Message{Purpose: Care}, c: reachable(),
			now: at(tokyo, 2026, 11, 23, 22, 0, 0), want: send("line")},
		{name: "equal start and end: no quiet hours", p: with(func(p *Policy) { p.QuietStart, p.QuietEnd = "00:00", "00:00" }), m: Message{Purpose: Care}, c: reachable(),
			now: at(tokyo, 2026, 11, 23, 3, 0, 0), want: send("line")},
		{name: "nil location is UTC", loc: time.UTC, m: Message{Purpose: Care}, c: reachable(), now: time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC),
			want: deferTo(ReasonQuietHours, "line", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))},
		// DST: New York springs forward on 2026-03-08 at 02:00 and falls back on 2026-11-01 at 02:00.
		{name: "DST spring forward", loc: nyc, m: Message{Purpose: Care}, c: reachable(), now: at(nyc, 2026, 3, 7, 22, 0, 0),
			want: deferTo(ReasonQuietHours, "line", time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC))}, // 09:00 EDT
		{name: "DST fall back", loc: nyc, m: Message{Purpose: Care}, c: reachable(), now: at(nyc, 2026, 10, 31, 22, 0, 0),
			want: deferTo(ReasonQuietHours, "line", time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC))}, // 09:00 EST
		{name: "DST quiet end in the repeated hour, first pass", loc: nyc, p: with(func(p *Policy) { p.QuietStart, p.QuietEnd = "00:30", "01:30" }),
			m: Message{Purpose: Care}, c: reachable(), now: time.Date(2026, 11, 1, 5, 10, 0, 0, time.UTC), // 01:10 EDT
			want: deferTo(ReasonQuietHours, "line", time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC))},
		{name: "DST quiet end in the repeated hour, second pass", loc: nyc, p: with(func(p *Policy) { p.QuietStart, p.QuietEnd = "00:30", "01:30" }),
			m: Message{Purpose: Care}, c: reachable(), now: time.Date(2026, 11, 1, 6, 10, 0, 0, time.UTC), // 01:10 EST
			want: deferTo(ReasonQuietHours, "line", time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC))},
		{name: "DST quiet end in the skipped hour", loc: nyc, p: with(func(p *Policy) { p.QuietStart, p.QuietEnd = "01:00", "02:30" }),
			m: Message{Purpose: Care}, c: reachable(), now: at(nyc, 2026, 3, 8, 1, 30, 0),
			want: deferTo(ReasonQuietHours, "line", time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC))}, // 03:00 EDT: 02:30 never comes that night
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.p
			if p.ChannelOrder == nil {
				p = def
			}
			loc := tt.loc
			if loc == nil {
				loc = tokyo
			}
			now := tt.now
			if now.IsZero() {
				now = noon
			}
			got := Decide(p, loc, tt.m, tt.c, tt.h, now)
			if got.Outcome != tt.want.Outcome || got.Reason != tt.want.Reason || got.Channel != tt.want.Channel || !got.Until.Equal(tt.want.Until) {
				t.Errorf("Decide = %+v\n           want %+v", got, tt.want)
			}
		})
	}
}

func TestContacts(t *testing.T) {
	t.Parallel()
	got := Contacts("a@example.jp", "", " ", "東京都")
	want := map[string]bool{"email": true, "sms": false, "line": false, "postal": true}
	for ch, v := range want {
		if got[ch] != v {
			t.Errorf("%s = %v, want %v", ch, got[ch], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("channels: %v", got)
	}
	if c := Contacts("", "+819012345678", "U123", ""); !c["sms"] || !c["line"] || c["email"] {
		t.Errorf("phone and LINE: %v", c)
	}
}

func TestValidPurpose(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"transactional", "care", "info", "sales"} {
		if !ValidPurpose(p) {
			t.Errorf("%s not valid", p)
		}
	}
	for _, p := range []string{"", "Sales", "promo", "care "} {
		if ValidPurpose(p) {
			t.Errorf("%q valid", p)
		}
	}
}
