package policy

import (
	"math"
	"slices"
	"strings"
	"time"
)

// Purpose is what a message is for (SPEC §2).
type Purpose string

// The purposes of a message.
const (
	Transactional Purpose = "transactional" // receipt, recall, dunning, ticket reply: needs only a contact point
	Care          Purpose = "care"          // thanks, help, satisfaction check, replenishment reminder
	Info          Purpose = "info"          // news, newsletter
	Sales         Purpose = "sales"         // offers
)

// ValidPurpose reports whether p is one of the four purposes.
func ValidPurpose(p string) bool {
	switch Purpose(p) {
	case Transactional, Care, Info, Sales:
		return true
	}
	return false
}

// Outcome is what Decide says to do with a message now.
type Outcome string

// The outcomes of Decide.
const (
	Send     Outcome = "send"     // send now on Decision.Channel
	Defer    Outcome = "defer"    // judge again at Decision.Until
	Suppress Outcome = "suppress" // never send; Decision.Reason says why
)

// The reasons recorded for every deferral and suppression.
const (
	ReasonNoConsent     = "no_consent"      // reachable, but not on a channel the customer opted in to
	ReasonUnreachable   = "unreachable"     // no contact point on any allowed channel
	ReasonOpenTicket    = "open_ticket"     // sales while a complaint, defect, return or exchange is open
	ReasonNotEnoughCare = "not_enough_care" // sales before enough care since the latest order
	ReasonSalesShare    = "sales_share"     // sales would exceed the shop's share of the last 90 days
	ReasonFrequencyCap  = "frequency_cap"   // over the weekly cap (deferred or suppressed)
	ReasonQuietHours    = "quiet_hours"     // deferred to the end of the shop's quiet hours
	ReasonJourneyPaused = "journey_paused"  // the message's journey is paused
)

// The windows over which the rules count sent messages.
const (
	SalesShareWindow   = 90 * 24 * time.Hour
	FrequencyCapWindow = 7 * 24 * time.Hour
)

// Message is what Decide needs to know of the message being judged.
type Message struct {
	Purpose Purpose
	// Channel is the requested channel: "" or "best" for the best channel,
	// else one of Channels.
	Channel string
	// JourneyPaused is true when the message belongs to a paused journey.
	JourneyPaused bool
	// StaffReplyExempt is true for a staff reply to a ticket the customer
	// wrote in the last hour: such a reply ignores quiet hours.
	StaffReplyExempt bool
}

// Customer is the customer's reachability as Decide needs it.
type Customer struct {
	Contacts  map[string]bool // channel → has a contact point (see Contacts)
	Consents  map[string]bool // channel → consent granted now
	Preferred string          // the customer's preferred channel, or ""
}

// Sent is one non-transactional message sent to the customer.
type Sent struct {
	At      time.Time
	Purpose Purpose
}

// History is what the customer has received and has open.
type History struct {
	OpenComplaint        bool // an open or pending complaint, defect, return or exchange ticket
	CareSinceLatestOrder int  // care messages sent since the latest order
	// Sent lists the non-transactional messages sent in the last 90 days
	// ("sent" meaning status sent, delivered, opened or clicked), in any
	// order. Older or transactional entries are ignored.
	Sent []Sent
}

// Decision is Decide's verdict. Channel is set once one was chosen (for
// send, defer and the later suppressions); Until only for a deferral.
type Decision struct {
	Outcome Outcome
	Reason  string
	Channel string
	Until   time.Time
}

// Decide judges message m for customer c at time now under policy p, the
// shop's time zone being loc. The rules apply in this order (SPEC §4,
// docs/journeys.md):
//
//  0. a paused journey's message is suppressed (journey_paused);
//  1. channel: the requested one, or for "best" the preferred channel (when
//     it is in p.ChannelOrder) then p.ChannelOrder, among channels with a
//     contact point and, unless transactional, consent; none reachable at
//     all → unreachable, reachable but without consent → no_consent;
//  2. sales with an open complaint → open_ticket;
//  3. sales with fewer than MinCareBeforeSales care messages since the
//     latest order → not_enough_care;
//  4. sales that, counted, would make more than MaxSalesShare of the last 90
//     days' non-transactional messages sales → sales_share;
//  5. non-transactional with MaxPerWeek already sent in the rolling 7 days:
//     sales suppressed, care and info deferred to the first free slot (past
//     quiet hours), or suppressed if the slot is more than MaxDeferDays away
//     (frequency_cap);
//  6. in quiet hours (QuietStart ≤ local time < QuietEnd, wrapping midnight)
//     deferred to the next QuietEnd (quiet_hours), unless StaffReplyExempt.
//
// A purpose Decide does not know is judged as sales, the strictest.
func Decide(p Policy, loc *time.Location, m Message, c Customer, h History, now time.Time) Decision {
	if m.JourneyPaused {
		return Decision{Outcome: Suppress, Reason: ReasonJourneyPaused}
	}
	purpose := m.Purpose
	if !ValidPurpose(string(purpose)) {
		purpose = Sales
	}
	ch, reason := chooseChannel(p, m.Channel, purpose == Transactional, c)
	if ch == "" {
		return Decision{Outcome: Suppress, Reason: reason}
	}
	stop := func(reason string) Decision { return Decision{Outcome: Suppress, Reason: reason, Channel: ch} }
	if purpose == Sales {
		if h.OpenComplaint {
			return stop(ReasonOpenTicket)
		}
		if h.CareSinceLatestOrder < p.MinCareBeforeSales {
			return stop(ReasonNotEnoughCare)
		}
		if salesShareExceeded(p, h.Sent, now) {
			return stop(ReasonSalesShare)
		}
	}
	if purpose != Transactional {
		if slot, over := freeSlot(p, h.Sent, now); over {
			if purpose == Sales || slot.Sub(now) > time.Duration(p.MaxDeferDays)*24*time.Hour {
				return stop(ReasonFrequencyCap)
			}
			if q, ok := quietEnd(p, loc, slot); ok {
				slot = q
			}
			return Decision{Outcome: Defer, Reason: ReasonFrequencyCap, Channel: ch, Until: slot}
		}
	}
	if !m.StaffReplyExempt {
		if until, quiet := quietEnd(p, loc, now); quiet {
			return Decision{Outcome: Defer, Reason: ReasonQuietHours, Channel: ch, Until: until}
		}
	}
	return Decision{Outcome: Send, Channel: ch}
}

// chooseChannel returns the channel to use, or "" and the reason none fits.
func chooseChannel(p Policy, requested string, transactional bool, c Customer) (string, string) {
	var candidates []string
	if requested == "" || requested == "best" {
		if slices.Contains(p.ChannelOrder, c.Preferred) {
			candidates = append(candidates, c.Preferred)
		}
		candidates = append(candidates, p.ChannelOrder...)
	} else {
		candidates = []string{requested}
	}
	reachable := false
	for _, ch := range candidates {
		if !c.Contacts[ch] {
			continue
		}
		reachable = true
		if transactional || c.Consents[ch] {
			return ch, ""
		}
	}
	if reachable {
		return "", ReasonNoConsent
	}
	return "", ReasonUnreachable
}

// counted reports whether s counts toward caps and shares at now: a
// non-transactional message sent within window before now. Entries stamped
// a little after now (clock skew between nodes) count too.
func counted(s Sent, window time.Duration, now time.Time) bool {
	return s.Purpose != Transactional && s.At.After(now.Add(-window))
}

// salesShareExceeded reports whether one more sales message would make
// sales more than p.MaxSalesShare of the non-transactional messages of the
// last 90 days. The share is rounded to 4 decimals first, so the default
// 0.3333 allows exactly one third.
func salesShareExceeded(p Policy, sent []Sent, now time.Time) bool {
	total, sales := 1, 1
	for _, s := range sent {
		if counted(s, SalesShareWindow, now) {
			total++
			if s.Purpose == Sales || !ValidPurpose(string(s.Purpose)) {
				sales++
			}
		}
	}
	share := math.Round(float64(sales)/float64(total)*10000) / 10000
	return share > p.MaxSalesShare
}

// freeSlot reports whether one more message would exceed p.MaxPerWeek in
// the rolling 7 days and, if so, the first time it would not: when enough
// of the oldest messages of the window have left it. A message sent at t
// leaves the window at t + 7 days exactly.
func freeSlot(p Policy, sent []Sent, now time.Time) (time.Time, bool) {
	var in []time.Time
	for _, s := range sent {
		if counted(s, FrequencyCapWindow, now) {
			in = append(in, s.At)
		}
	}
	if len(in)+1 <= p.MaxPerWeek {
		return time.Time{}, false
	}
	slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
	leave := len(in) - p.MaxPerWeek + 1 // how many must leave the window
	return in[leave-1].Add(FrequencyCapWindow), true
}

// quietEnd reports whether t is in the quiet hours in loc and, if so, the
// end of those quiet hours: the first instant after t at which the shop's
// wall clock is out of them, normally the next QuietEnd. Days are stepped
// with time.Date, never by adding 24 hours, so a DST change inside the quiet
// hours moves nothing; when a time-zone transition lies between t and that
// QuietEnd (QuietEnd skipped or repeated), the end is found by scanning
// minute by minute instead, which is rare and bounded: 50 hours, since a
// transition can skip the whole of one night's window out of quiet hours
// (quiet hours of nearly a day), never two nights' in a row.
func quietEnd(p Policy, loc *time.Location, t time.Time) (time.Time, bool) {
	start, ok1 := parseHHMM(p.QuietStart)
	end, ok2 := parseHHMM(p.QuietEnd)
	if !ok1 || !ok2 || start == end {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	if !inQuiet(start, end, t.In(loc)) {
		return time.Time{}, false
	}
	lt := t.In(loc)
	y, mo, d := lt.Date()
	if timeOfDay(lt) >= time.Duration(end)*time.Minute { // the end is tomorrow
		d++
	}
	until := time.Date(y, mo, d, end/60, end%60, 0, 0, loc)
	_, zoneEnd := lt.ZoneBounds()
	if h, m, _ := until.Clock(); until.After(t) && h*60+m == end && (zoneEnd.IsZero() || zoneEnd.After(until)) {
		return until.UTC(), true
	}
	c := t.Truncate(time.Minute)
	for range 50 * 60 {
		c = c.Add(time.Minute)
		if !inQuiet(start, end, c.In(loc)) {
			return c.UTC(), true
		}
	}
	return until.UTC(), true // unreachable for real time zones
}

// inQuiet reports whether the wall-clock time of lt lies in the quiet hours
// from start to end (minutes after midnight; start > end wraps midnight).
func inQuiet(start, end int, lt time.Time) bool {
	tod := timeOfDay(lt)
	s, e := time.Duration(start)*time.Minute, time.Duration(end)*time.Minute
	if start < end {
		return tod >= s && tod < e
	}
	return tod >= s || tod < e
}

// timeOfDay is the wall-clock time of lt as a duration after midnight.
func timeOfDay(lt time.Time) time.Duration {
	h, m, s := lt.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(lt.Nanosecond())
}

// Contacts returns which channels a customer has a contact point on:
// email; phone → sms; line_user_id → line; postal_address → postal.
func Contacts(email, phone, lineUserID, postalAddress string) map[string]bool {
	return map[string]bool{
		"email":  strings.TrimSpace(email) != "",
		"sms":    strings.TrimSpace(phone) != "",
		"line":   strings.TrimSpace(lineUserID) != "",
		"postal": strings.TrimSpace(postalAddress) != "",
	}
}
