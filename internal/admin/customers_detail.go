package admin

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/ticket"
)

// timelinePageSize is how many events a customer page shows at once.
const timelinePageSize = 30

// customerView is one customer: profile, freshness, consents and a page
// of the timeline.
type customerView struct {
	page
	C          customer.Customer
	URL        string
	Attributes []attribute
	Consents   []consentState
	History    []customer.ConsentRecord // newest first
	Timeline   []timelineEntry
	NextURL    string
	First      string
}

// attribute is one free attribute, its value as JSON text unless a string.
type attribute struct{ Key, Value string }

// consentState is a channel's current consent.
type consentState struct {
	Channel string
	State   string // granted, withdrawn or none
	At      time.Time
	Source  string
}

// timelineEntry is one event of the timeline, in words.
type timelineEntry struct {
	ID          string
	At          time.Time
	Kind        string // order, message, ticket, survey, consent, band, task, other: its mark
	Title       string
	Detail      string
	Status      string // a message's status, translated
	StatusClass string
	Reason      string // why a message was suppressed, deferred or failed, in words
	URL         string // the page of what the event is about
}

type timelineCursor struct {
	Before   time.Time `json:"t"`
	BeforeID string    `json:"i"`
}

func (h *Handler) showCustomer(w http.ResponseWriter, r *http.Request, v *visit) error {
	var cur timelineCursor
	onLater, err := httpx.DecodeCursor(r, &cur)
	if err != nil {
		return err
	}
	cid := r.PathValue("id")
	c, err := h.Customers.ByID(r.Context(), v.Shop.ID, cid)
	if err != nil {
		return err
	}
	evs, more, err := h.Customers.Timeline(r.Context(), customer.TimelineParams{ShopID: v.Shop.ID, CustomerID: cid,
		Before: cur.Before, BeforeID: cur.BeforeID, Limit: timelinePageSize})
	if err != nil {
		return err
	}
	hist, err := h.Customers.ConsentHistory(r.Context(), v.Shop.ID, cid)
	if err != nil {
		return err
	}
	slices.Reverse(hist)
	name := c.Name
	if name == "" {
		name = c.ExternalID
	}
	cv := customerView{page: h.newPage(r, v, "customers.detail", "nav.customers"), C: c, URL: customerURL(c.ID), History: hist}
	cv.Title = name
	for _, k := range slices.Sorted(maps.Keys(c.Attributes)) {
		val, ok := c.Attributes[k].(string)
		if !ok {
			b, _ := json.Marshal(c.Attributes[k])
			val = string(b)
		}
		cv.Attributes = append(cv.Attributes, attribute{Key: k, Value: val})
	}
	for _, ch := range customer.Channels {
		st := consentState{Channel: ch, State: customer.ConsentNone}
		if cs, ok := c.Consents[ch]; ok {
			st.State, st.At, st.Source = customer.ConsentWithdrawn, cs.At, cs.Source
			if cs.Granted {
				st.State = customer.ConsentGranted
			}
		}
		cv.Consents = append(cv.Consents, st)
	}
	for _, e := range evs {
		cv.Timeline = append(cv.Timeline, timelineOf(v.L, e))
	}
	if more {
		last := evs[len(evs)-1]
		cv.NextURL = cv.URL + "?" + url.Values{"cursor": {httpx.EncodeCursor(timelineCursor{Before: last.OccurredAt, BeforeID: last.ID})}}.Encode() + "#timeline"
	}
	if onLater {
		cv.First = cv.URL + "#timeline"
	}
	return h.render(w, http.StatusOK, "customers_show", cv)
}

// timelineOf puts an event into words. The event's data is what its
// package records (order.PlacedData, message.EventData, ...); a custom
// event posted by an integrator shows its type and data as they are.
func timelineOf(l Lang, e event.Event) timelineEntry {
	t := timelineEntry{ID: e.ID, At: e.OccurredAt}
	var d map[string]any
	_ = json.Unmarshal(e.Data, &d) // data that is not an object shows as a custom event's
	str := func(k string) string { s, _ := d[k].(string); return s }
	num := func(k string) (int, bool) { f, ok := d[k].(float64); return int(f), ok }
	switch {
	case e.Type == event.OrderPlaced:
		t.Kind, t.Title = "order", l.Tf("customers.ev.order", str("external_id"))
		total, _ := num("total")
		money := yen(l, int64(total))
		if c := str("currency"); c != "" && c != "JPY" {
			money = l.Num(total) + " " + c
		}
		parts := []string{money}
		if store := str("store"); store != "" {
			parts = append(parts, store)
		} else if ch := str("channel"); ch != "" && hasKey("customers.order_channel."+ch) {
			parts = append(parts, l.T("customers.order_channel."+ch))
		}
		if skus, ok := d["skus"].([]any); ok && len(skus) > 0 {
			names := make([]string, 0, len(skus))
			for _, s := range skus {
				if s, ok := s.(string); ok {
					names = append(names, s)
				}
			}
			parts = append(parts, strings.Join(names, ", "))
		}
		t.Detail = strings.Join(parts, " · ")
	case strings.HasPrefix(e.Type, "message."):
		t.Kind = "message"
		status, ok := messageEventStatus[e.Type]
		if ok {
			t.Status, t.StatusClass = msgStatusName(l, status), msgStatusClass(status)
		} else if hasKey("customers.ev." + e.Type) {
			t.Status = l.T("customers.ev." + e.Type)
		} else {
			t.Status = e.Type
		}
		t.Title = l.T("customers.ev.message")
		var parts []string
		if p := str("purpose"); p != "" && hasKey("purpose."+p) {
			parts = append(parts, l.T("purpose."+p))
		}
		if ch := str("channel"); ch != "" {
			parts = append(parts, channelName(l, ch))
		}
		t.Detail = strings.Join(parts, " · ")
		t.Reason = msgReasonName(l, str("reason"))
		if id := str("message_id"); id != "" {
			t.URL = "/admin/messages/" + url.PathEscape(id)
		}
	case e.Type == ticket.EventOpened || e.Type == ticket.EventResolved:
		t.Kind, t.Title = "ticket", l.T("customers.ev."+e.Type)
		if k := str("kind"); hasKey("kind." + k) {
			t.Detail = l.T("kind." + k)
		}
		if id := str("ticket_id"); id != "" {
			t.URL = ticketURL(id)
		}
	case e.Type == survey.EventAnswered || e.Type == survey.EventUpdated:
		t.Kind, t.Title = "survey", l.T("customers.ev."+e.Type)
		var parts []string
		if n, ok := num("csat"); ok && n > 0 {
			parts = append(parts, l.Tf("customers.ev.csat", n))
		}
		if n, ok := num("nps"); ok {
			parts = append(parts, l.Tf("customers.ev.nps", n))
		}
		t.Detail = strings.Join(parts, " · ")
	case e.Type == event.ConsentChanged:
		t.Kind = "consent"
		state := "customers.consent." + customer.ConsentWithdrawn
		if g, _ := d["granted"].(bool); g {
			state = "customers.consent." + customer.ConsentGranted
		}
		t.Title = l.Tf("customers.ev.consent", channelName(l, str("channel")), l.T(state))
		if s := str("source"); s != "" {
			t.Detail = l.Tf("customers.source", s)
		}
	case e.Type == customer.BandEntered:
		t.Kind, t.Title = "band", l.Tf("customers.ev.band", bandName(l, str("band")))
		if p := str("previous"); p != "" {
			t.Detail = l.Tf("customers.ev.band.from", bandName(l, p))
		}
	case e.Type == "coupon.issued" || e.Type == "coupon.redeemed":
		t.Kind, t.Title = "task", l.T("customers.ev."+e.Type)
		t.Detail = l.Tf("customers.ev.coupon.code", str("code"))
		if ref := str("reference"); ref != "" {
			t.Detail += " · " + ref
		}
	case e.Type == "task.created" || e.Type == "coupon.requested":
		t.Kind, t.Title = "task", l.T("customers.ev."+e.Type)
		t.Detail = str("task") + str("campaign")
	default:
		t.Kind, t.Title = "other", l.Tf("customers.ev.other", e.Type)
		if len(e.Data) > 0 && string(e.Data) != "null" && string(e.Data) != "{}" {
			t.Detail = truncate(string(e.Data), 300)
		}
	}
	return t
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// exportCustomer downloads everything held on the customer (APPI 開示),
// the JSON of GET /api/v1/customers/{id}/export; the download is audited.
func (h *Handler) exportCustomer(w http.ResponseWriter, r *http.Request, v *visit) error {
	x, err := h.Customers.Export(r.Context(), v.Shop.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return fmt.Errorf("customer export: %w", err)
	}
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "customer.export", "customer", x.Customer.ID)
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customer-`+safeFileName(x.Customer.ID)+`.json"`)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// safeFileName keeps the letters, digits, - and _ of s (IDs are made of
// them; nothing else reaches the header).
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}

// eraseView asks to confirm an erasure by typing the customer's ID.
type eraseView struct {
	page
	C       customer.Customer
	URL     string
	Confirm string
	Errors  map[string]string
}

func (h *Handler) eraseView(r *http.Request, v *visit) (eraseView, error) {
	c, err := h.Customers.ByID(r.Context(), v.Shop.ID, r.PathValue("id"))
	if err != nil {
		return eraseView{}, err
	}
	return eraseView{page: h.newPage(r, v, "customers.erase.title", "nav.customers"), C: c, URL: customerURL(c.ID)}, nil
}

func (h *Handler) eraseCustomerForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	ev, err := h.eraseView(r, v)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "customers_erase", ev)
}

// eraseCustomer erases the customer's personal data (APPI 削除) once the
// owner has typed the customer's ID, with its audit entry in the same
// transaction.
func (h *Handler) eraseCustomer(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "confirm")
	if err != nil {
		return err
	}
	ev, err := h.eraseView(r, v)
	if err != nil {
		return err
	}
	if in["confirm"] != ev.C.ExternalID {
		ev.Confirm = in["confirm"]
		key := "customers.erase.mismatch"
		if in["confirm"] == "" {
			key = "customers.erase.required"
		}
		ev.Errors = map[string]string{"confirm": v.L.T(key)}
		return h.render(w, http.StatusUnprocessableEntity, "customers_erase", ev)
	}
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := h.Customers.EraseTx(r.Context(), tx, v.Shop.ID, ev.C.ID); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "customer.erase", "customer", ev.C.ID)
	})
	if err != nil {
		return err
	}
	h.flash(w, "flash.customer_erased")
	return seeOther(w, r, "/admin/customers")
}

// The names the customer page shows, as view methods.

func (cv customerView) BandName(b string) string     { return bandName(cv.L, b) }
func (cv customerView) ChannelName(ch string) string { return channelName(cv.L, ch) }

// Days is an interval in whole days (at least 1).
func (cv customerView) Days(d time.Duration) int { return max(1, int((d+12*time.Hour)/(24*time.Hour))) }
