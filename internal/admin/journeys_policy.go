package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/policy"
)

// policyView is the shop's care-first policy (SPEC §4): every setting with
// what it does, editable by owners and marketers.
type policyView struct {
	page
	Form     map[string]string // as typed (or as stored)
	Ranks    []channelRank     // channel_order, one select each
	Channels []string
	Fields   []policyField
	Errors   map[string]string
	ReadOnly bool
}

// channelRank is one place of the channel order; Value "" for none.
type channelRank struct {
	N     int
	Value string
}

// policyField is one numeric or time setting of the form.
type policyField struct {
	Name, Type, Step, Value, Error string
}

// policyNumbers are the form's fields in the order the policy applies
// them (channel_order has its own selects), with their input type.
var policyNumbers = [][3]string{
	{"min_care_before_sales", "number", "1"}, {"max_sales_share", "number", "0.0001"}, {"max_per_week", "number", "1"},
	{"max_defer_days", "number", "1"}, {"quiet_start", "time", ""}, {"quiet_end", "time", ""},
	{"brake_opt_out_rate", "number", "0.001"}, {"brake_window", "number", "1"}, {"brake_min_sends", "number", "1"},
	{"sms_max_chars", "number", "1"}, {"ticket_sla_hours", "number", "1"}, {"urgent_ticket_sla_hours", "number", "1"},
}

func policyForm(p policy.Policy) (map[string]string, [4]string) {
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	m := map[string]string{
		"min_care_before_sales": strconv.Itoa(p.MinCareBeforeSales), "max_sales_share": f(p.MaxSalesShare),
		"max_per_week": strconv.Itoa(p.MaxPerWeek), "max_defer_days": strconv.Itoa(p.MaxDeferDays),
		"quiet_start": p.QuietStart, "quiet_end": p.QuietEnd, "brake_opt_out_rate": f(p.BrakeOptOutRate),
		"brake_window": strconv.Itoa(p.BrakeWindow), "brake_min_sends": strconv.Itoa(p.BrakeMinSends),
		"sms_max_chars": strconv.Itoa(p.SMSMaxChars), "ticket_sla_hours": strconv.Itoa(p.TicketSLAHours),
		"urgent_ticket_sla_hours": strconv.Itoa(p.UrgentTicketSLAHours),
	}
	var order [4]string
	copy(order[:], p.ChannelOrder)
	return m, order
}

func (h *Handler) newPolicyView(r *http.Request, v *visit, form map[string]string, order [4]string, problems map[string]string) policyView {
	pv := policyView{page: h.newPage(r, v, "policy.title", "nav.journeys"), Form: form, Channels: policy.Channels,
		Errors: problems, ReadOnly: !canRunJourneys(v)}
	for i, c := range order {
		pv.Ranks = append(pv.Ranks, channelRank{N: i + 1, Value: c})
	}
	for _, n := range policyNumbers {
		pv.Fields = append(pv.Fields, policyField{Name: n[0], Type: n[1], Step: n[2], Value: form[n[0]], Error: problems[n[0]]})
	}
	return pv
}

func (h *Handler) policyPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p, err := h.Policies.Get(r.Context(), h.DB, v.Shop.ID)
	if err != nil {
		return err
	}
	form, order := policyForm(p)
	return h.render(w, http.StatusOK, "policy", h.newPolicyView(r, v, form, order, nil))
}

// savePolicy replaces the shop's policy with the form, validated exactly
// as PUT /api/v1/policy (every bad field named, 422, nothing stored).
func (h *Handler) savePolicy(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	names := []string{"channel_order_1", "channel_order_2", "channel_order_3", "channel_order_4"}
	for _, n := range policyNumbers {
		names = append(names, n[0])
	}
	in, err := fields(f, names...)
	if err != nil {
		return err
	}
	p := policy.Defaults()
	var bad errs.Fields
	ints := map[string]*int{"min_care_before_sales": &p.MinCareBeforeSales, "max_per_week": &p.MaxPerWeek, "max_defer_days": &p.MaxDeferDays,
		"brake_window": &p.BrakeWindow, "brake_min_sends": &p.BrakeMinSends, "sms_max_chars": &p.SMSMaxChars,
		"ticket_sla_hours": &p.TicketSLAHours, "urgent_ticket_sla_hours": &p.UrgentTicketSLAHours}
	floats := map[string]*float64{"max_sales_share": &p.MaxSalesShare, "brake_opt_out_rate": &p.BrakeOptOutRate}
	for _, n := range policyNumbers {
		s := in[n[0]]
		switch {
		case ints[n[0]] != nil:
			x, err := strconv.Atoi(s)
			if err != nil {
				bad.Add(n[0], "a whole number")
				continue
			}
			*ints[n[0]] = x
		case floats[n[0]] != nil:
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				bad.Add(n[0], "a number")
				continue
			}
			*floats[n[0]] = x
		}
	}
	p.QuietStart, p.QuietEnd = in["quiet_start"], in["quiet_end"]
	var order [4]string
	p.ChannelOrder = nil
	for i := range order {
		order[i] = in[names[i]]
		if order[i] != "" {
			p.ChannelOrder = append(p.ChannelOrder, order[i])
		}
	}
	err = bad.Err()
	if err == nil {
		err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
			if err := h.Policies.PutTx(r.Context(), tx, v.Shop.ID, p); err != nil {
				return err
			}
			return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "policy.update", "policy", v.Shop.ID)
		})
	} else if e := (*errs.Error)(nil); errors.As(p.Validate(), &e) {
		// Report the domain's problems of the other fields too.
		for k, msg := range e.Fields {
			if _, dup := bad[k]; !dup {
				bad.Add(k, msg)
			}
		}
		err = bad.Err()
	}
	if fe, ok := fieldErrors(v.L, err); ok {
		form := map[string]string{}
		for _, n := range policyNumbers {
			form[n[0]] = strings.TrimSpace(in[n[0]])
		}
		return h.render(w, http.StatusUnprocessableEntity, "policy", h.newPolicyView(r, v, form, order, fe))
	}
	if err != nil {
		return err
	}
	h.flash(w, "flash.policy_saved")
	return seeOther(w, r, "/admin/journeys/policy")
}
