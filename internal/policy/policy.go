package policy

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
)

// Channels are the channels a message can go out on, in the default order
// of the best-channel choice.
var Channels = []string{"line", "sms", "email", "postal"}

// Policy is a shop's care-first rules (SPEC §4). PUT /policy replaces it
// whole; absent fields take their defaults.
type Policy struct {
	MinCareBeforeSales   int      `json:"min_care_before_sales" doc:"care messages needed since the latest order before a sales message (0 to 50, default 2)"`
	MaxSalesShare        float64  `json:"max_sales_share" doc:"largest share of sales among non-transactional messages of the last 90 days, counting the new one (over 0, at most 1, default 0.3333; compared at 4 decimals, so 0.3333 allows exactly one third)"`
	MaxPerWeek           int      `json:"max_per_week" doc:"non-transactional messages per customer in any rolling 7 days (1 to 100, default 3)"`
	MaxDeferDays         int      `json:"max_defer_days" doc:"a care or info message over the weekly cap is deferred at most this many days, else suppressed (0 to 30, default 3)"`
	QuietStart           string   `json:"quiet_start" doc:"HH:MM in the shop's time zone (default 21:00); equal to quiet_end means no quiet hours"`
	QuietEnd             string   `json:"quiet_end" doc:"HH:MM in the shop's time zone (default 09:00)"`
	ChannelOrder         []string `json:"channel_order" doc:"the best-channel order: 1 to 4 of line, sms, email, postal without repeats (default line, sms, email, postal)"`
	BrakeOptOutRate      float64  `json:"brake_opt_out_rate" doc:"a journey is paused when opt-outs among its last brake_window sends exceed this share (0 to 1, default 0.02)"`
	BrakeWindow          int      `json:"brake_window" doc:"sends looked at by the annoyance brake (10 to 100000, default 500)"`
	BrakeMinSends        int      `json:"brake_min_sends" doc:"sends a journey needs before the brake can pause it (1 to brake_window, default 50)"`
	SMSMaxChars          int      `json:"sms_max_chars" doc:"longest SMS text a template may have (70 to 1600, default 660)"`
	TicketSLAHours       int      `json:"ticket_sla_hours" doc:"hours to the first response of a ticket (1 to 720, default 24)"`
	UrgentTicketSLAHours int      `json:"urgent_ticket_sla_hours" doc:"hours to the first response of a complaint or defect ticket (1 to ticket_sla_hours, default 4)"`
}

// Defaults returns the policy of a shop that has not set one.
func Defaults() Policy {
	return Policy{
		MinCareBeforeSales: 2, MaxSalesShare: 0.3333, MaxPerWeek: 3, MaxDeferDays: 3,
		QuietStart: "21:00", QuietEnd: "09:00", ChannelOrder: slices.Clone(Channels),
		BrakeOptOutRate: 0.02, BrakeWindow: 500, BrakeMinSends: 50, SMSMaxChars: 660,
		TicketSLAHours: 24, UrgentTicketSLAHours: 4,
	}
}

// Validate checks every field and reports each bad one by its JSON name.
func (p Policy) Validate() error {
	var f errs.Fields
	intRange := func(field string, v, lo, hi int) {
		if v < lo || v > hi {
			f.Add(field, fmt.Sprintf("a whole number from %d to %d", lo, hi))
		}
	}
	intRange("min_care_before_sales", p.MinCareBeforeSales, 0, 50)
	if math.IsNaN(p.MaxSalesShare) || p.MaxSalesShare <= 0 || p.MaxSalesShare > 1 {
		f.Add("max_sales_share", "a number over 0 and at most 1")
	}
	intRange("max_per_week", p.MaxPerWeek, 1, 100)
	intRange("max_defer_days", p.MaxDeferDays, 0, 30)
	if _, ok := parseHHMM(p.QuietStart); !ok {
		f.Add("quiet_start", `a time of day as "HH:MM", 00:00 to 23:59`)
	}
	if _, ok := parseHHMM(p.QuietEnd); !ok {
		f.Add("quiet_end", `a time of day as "HH:MM", 00:00 to 23:59`)
	}
	if len(p.ChannelOrder) == 0 || len(p.ChannelOrder) > len(Channels) {
		f.Add("channel_order", "1 to 4 of line, sms, email, postal")
	}
	for i, c := range p.ChannelOrder {
		switch {
		case !slices.Contains(Channels, c):
			f.Add("channel_order", fmt.Sprintf("%q is not one of line, sms, email, postal", c))
		case slices.Index(p.ChannelOrder, c) != i:
			f.Add("channel_order", fmt.Sprintf("%q appears twice", c))
		}
	}
	if math.IsNaN(p.BrakeOptOutRate) || p.BrakeOptOutRate < 0 || p.BrakeOptOutRate > 1 {
		f.Add("brake_opt_out_rate", "a number from 0 to 1")
	}
	intRange("brake_window", p.BrakeWindow, 10, 100000)
	intRange("brake_min_sends", p.BrakeMinSends, 1, max(p.BrakeWindow, 1))
	intRange("sms_max_chars", p.SMSMaxChars, 70, 1600)
	intRange("ticket_sla_hours", p.TicketSLAHours, 1, 720)
	intRange("urgent_ticket_sla_hours", p.UrgentTicketSLAHours, 1, max(p.TicketSLAHours, 1))
	return f.Err()
}

// TicketSLA returns how long the shop has to answer a ticket of kind first:
// UrgentTicketSLAHours for complaints and defects, TicketSLAHours otherwise.
func (p Policy) TicketSLA(kind string) time.Duration {
	if kind == "complaint" || kind == "defect" {
		return time.Duration(p.UrgentTicketSLAHours) * time.Hour
	}
	return time.Duration(p.TicketSLAHours) * time.Hour
}

// parseHHMM reads "HH:MM" (exactly five characters) as minutes after midnight.
func parseHHMM(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	digit := func(b byte) (int, bool) { return int(b - '0'), b >= '0' && b <= '9' }
	h1, ok1 := digit(s[0])
	h2, ok2 := digit(s[1])
	m1, ok3 := digit(s[3])
	m2, ok4 := digit(s[4])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, false
	}
	h, m := h1*10+h2, m1*10+m2
	if h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}
