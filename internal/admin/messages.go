package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/message"
)

// messageRoutes are the messages pages: every message with its status and
// reason, the outbox, and one message. Everyone may read them; nothing
// here changes anything.
func (h *Handler) messageRoutes() []route {
	return []route{
		{"GET", "/admin/messages", anyRole, h.listMessages},
		{"GET", "/admin/messages/outbox", anyRole, h.outbox},
		{"GET", "/admin/messages/{id}", anyRole, h.showMessage},
	}
}

// messagePageSize is how many messages a list page shows.
const messagePageSize = 30

// messageReasons are the reasons a message records (policy, rendering and
// delivery), offered as a filter.
var messageReasons = []string{"no_consent", "unreachable", "open_ticket", "not_enough_care", "sales_share", "frequency_cap",
	"quiet_hours", "journey_paused", "template_error", "ambiguous", "delivery_failed"}

// messageChannels are the channels a message goes out on.
var messageChannels = []string{"line", "sms", "email", "postal"}

// msgOption is a choice of a filter.
type msgOption struct {
	Value, Label string
	Selected     bool
}

// messageRow is a message of a list with what the list shows of it.
type messageRow struct {
	message.Message
	Customer string // name; empty when unknown or erased
	At       time.Time
}

// messagesView is a page of messages: every message (filtered), or the outbox.
type messagesView struct {
	page
	Outbox   bool
	Items    []messageRow
	NextURL  string
	First    string
	Filtered bool
	Statuses []msgOption
	Purposes []msgOption
	Reasons  []msgOption
	Channels []msgOption
	// The outbox: the channels without a provider, and whether every one is.
	OutboxChannels []navItem
	NoProvider     bool
}

type msgCursor struct {
	ID string `json:"i"`
}

// messageFilter reads the list's filters from the query; an unknown value
// of a choice is a 400 (no form sends one).
func messageFilter(r *http.Request) (message.ListParams, error) {
	q := r.URL.Query()
	p := message.ListParams{Status: strings.TrimSpace(q.Get("status")), Purpose: strings.TrimSpace(q.Get("purpose")),
		Reason: strings.TrimSpace(q.Get("reason")), Channel: strings.TrimSpace(q.Get("channel"))}
	if len(p.Reason) > 100 {
		return p, errs.Malformed("invalid_filter", "the reason filter is too long")
	}
	return p, nil
}

func msgOptions(l Lang, prefix string, values []string, selected string) []msgOption {
	out := []msgOption{}
	for _, v := range values {
		out = append(out, msgOption{Value: v, Label: l.T(prefix + v), Selected: v == selected})
	}
	return out
}

// messageRows looks up the names of ms's customers in one read.
func (h *Handler) messageRows(r *http.Request, v *visit, ms []message.Message) ([]messageRow, error) {
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		if !slices.Contains(ids, m.CustomerID) {
			ids = append(ids, m.CustomerID)
		}
	}
	names, err := h.Customers.Names(r.Context(), v.Shop.ID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]messageRow, 0, len(ms))
	for _, m := range ms {
		name := names[m.CustomerID]
		at := m.DueAt
		if m.SentAt != nil {
			at = *m.SentAt
		}
		out = append(out, messageRow{Message: m, Customer: name, At: at})
	}
	return out, nil
}

// pageURLs sets the next and first page links of a list at path.
func (mv *messagesView) pageURLs(path string, keep url.Values, items []message.Message, more, onLater bool) {
	if more {
		next := url.Values{}
		for k, vs := range keep {
			next[k] = vs
		}
		next.Set("cursor", httpx.EncodeCursor(msgCursor{ID: items[len(items)-1].ID}))
		mv.NextURL = path + "?" + next.Encode()
	}
	if onLater {
		mv.First = path
		if len(keep) > 0 {
			mv.First += "?" + keep.Encode()
		}
	}
}

func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request, v *visit) error {
	var cur msgCursor
	onLater, err := httpx.DecodeCursor(r, &cur)
	if err != nil {
		return err
	}
	p, err := messageFilter(r)
	if err != nil {
		return err
	}
	p.ShopID, p.BeforeID, p.Limit = v.Shop.ID, cur.ID, messagePageSize
	ms, more, err := h.Messages.List(r.Context(), p)
	if err != nil {
		return err
	}
	l := v.L
	mv := messagesView{page: h.newPage(r, v, "messages.title", "nav.messages"),
		Statuses: msgOptions(l, "messages.status.", message.Statuses, p.Status), Purposes: msgOptions(l, "purpose.", message.Purposes, p.Purpose),
		Reasons: msgOptions(l, "messages.reason.", messageReasons, p.Reason), Channels: msgOptions(l, "channel.", messageChannels, p.Channel)}
	if p.Reason != "" && !slices.Contains(messageReasons, p.Reason) {
		mv.Reasons = append(mv.Reasons, msgOption{Value: p.Reason, Label: p.Reason, Selected: true})
	}
	if mv.Items, err = h.messageRows(r, v, ms); err != nil {
		return err
	}
	keep := url.Values{}
	for k, val := range map[string]string{"status": p.Status, "purpose": p.Purpose, "reason": p.Reason, "channel": p.Channel} {
		if val != "" {
			keep.Set(k, val)
		}
	}
	mv.Filtered = len(keep) > 0
	mv.pageURLs("/admin/messages", keep, ms, more, onLater)
	return h.render(w, http.StatusOK, "messages_list", mv)
}

// outboxChannels returns the channels whose messages go to the outbox (no
// provider; postal always) and whether no channel has a provider.
func (h *Handler) outboxChannels(r *http.Request, v *visit) ([]string, bool, error) {
	var out []string
	none := true
	for _, ch := range messageChannels {
		if !slices.Contains(delivery.Channels, ch) {
			out = append(out, ch)
			continue
		}
		cv, err := h.Delivery.Channel(r.Context(), v.Shop.ID, ch)
		if err != nil {
			return nil, false, err
		}
		if cv.Configured {
			none = false
		} else {
			out = append(out, ch)
		}
	}
	return out, none, nil
}

// outbox lists what went to the shop's outbox (SPEC §5): the messages
// sent on a channel that has no provider, with their text, so that a new
// shop sees what its customers would receive. With no provider at all,
// every sent message is in it; otherwise one channel at a time.
func (h *Handler) outbox(w http.ResponseWriter, r *http.Request, v *visit) error {
	var cur msgCursor
	onLater, err := httpx.DecodeCursor(r, &cur)
	if err != nil {
		return err
	}
	chans, none, err := h.outboxChannels(r, v)
	if err != nil {
		return err
	}
	ch := strings.TrimSpace(r.URL.Query().Get("channel"))
	switch {
	case ch != "" && !slices.Contains(chans, ch):
		return errs.NotFound("not_in_outbox", "this channel has a provider; its messages are not in the outbox")
	case ch == "" && !none:
		ch = chans[0]
	}
	ms, more, err := h.Messages.List(r.Context(), message.ListParams{ShopID: v.Shop.ID, Status: message.StatusSent, Channel: ch,
		BeforeID: cur.ID, Limit: messagePageSize})
	if err != nil {
		return err
	}
	mv := messagesView{page: h.newPage(r, v, "messages.outbox", "nav.messages"), Outbox: true, NoProvider: none}
	if mv.Items, err = h.messageRows(r, v, ms); err != nil {
		return err
	}
	if none {
		mv.OutboxChannels = append(mv.OutboxChannels, navItem{URL: "/admin/messages/outbox", Label: v.L.T("messages.outbox.all"), Current: ch == ""})
	}
	for _, c := range chans {
		mv.OutboxChannels = append(mv.OutboxChannels, navItem{URL: "/admin/messages/outbox?channel=" + c,
			Label: v.L.T("channel." + c), Current: c == ch})
	}
	keep := url.Values{}
	if ch != "" {
		keep.Set("channel", ch)
	}
	mv.pageURLs("/admin/messages/outbox", keep, ms, more, onLater)
	return h.render(w, http.StatusOK, "messages_list", mv)
}

// msgDetailView is one message with what caused it and what became of it.
type msgDetailView struct {
	page
	M         message.Message
	Customer  *customer.Customer // nil when erased
	Recipient string             // the address on its channel
	History   []msgHistoryItem
	Journey   string // the journey's name
	Campaign  *delivery.Campaign
	Preview   *message.Rendered // unsent: what it would say now
	InOutbox  bool
}

// msgHistoryItem is one step of a message's life.
type msgHistoryItem struct {
	At     time.Time
	Status string // a status key
	Reason string
}

// messageEventStatus maps the message.* events to the status they record.
var messageEventStatus = map[string]string{
	message.EventSent: message.StatusSent, message.EventSuppressed: message.StatusSuppressed,
	message.EventDeferred: message.StatusDeferred, message.EventFailed: message.StatusFailed,
	delivery.EventDelivered: message.StatusDelivered, delivery.EventOpened: message.StatusOpened, "message.clicked": message.StatusClicked,
}

// messageHistoryLimit bounds the customer's message events read for one
// message's history.
const messageHistoryLimit = 500

func (h *Handler) showMessage(w http.ResponseWriter, r *http.Request, v *visit) error {
	m, err := h.Messages.ByID(r.Context(), v.Shop.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	mv := msgDetailView{page: h.newPage(r, v, "messages.detail", "nav.messages"), M: m}
	if c, err := h.Customers.ByID(r.Context(), v.Shop.ID, m.CustomerID); err == nil {
		mv.Customer = &c
		switch m.Channel {
		case "email":
			mv.Recipient = c.Email
		case "sms":
			mv.Recipient = c.Phone
		case "line":
			mv.Recipient = c.LineUserID
		case "postal":
			mv.Recipient = c.PostalAddress
		}
	} else if !errors.Is(err, errs.ErrNotFound) {
		return err
	}
	if mv.History, err = h.messageHistory(r, v, m); err != nil {
		return err
	}
	if m.JourneyID != "" {
		j, err := h.Journeys.ByID(r.Context(), v.Shop.ID, m.JourneyID)
		if err != nil && !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		mv.Journey = j.Name
	}
	if kind, id, ok := campaignOf(m.DedupeKey); ok {
		c, err := h.Delivery.Campaign(r.Context(), v.Shop.ID, kind, id)
		if err != nil && !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		if err == nil {
			mv.Campaign = &c
		}
	}
	if m.Body == "" && mv.Customer != nil {
		// Not rendered (yet, or never: suppressed): show what it would say
		// now (nothing is written).
		if p, err := h.Messages.Preview(r.Context(), v.Shop.ID, m.TemplateKey, message.PreviewParams{CustomerID: m.CustomerID,
			OrderID: m.OrderID, SKU: m.SKU}); err == nil {
			mv.Preview = &p
		}
	}
	if m.Status == message.StatusSent && m.Channel != "" {
		chans, _, err := h.outboxChannels(r, v)
		if err != nil {
			return err
		}
		mv.InOutbox = slices.Contains(chans, m.Channel)
	}
	return h.render(w, http.StatusOK, "messages_detail", mv)
}

// campaignOf reads the recall or broadcast of a message from its dedupe
// key (<kind>:<campaign>:<customer>, as the fan-out plans them).
func campaignOf(key string) (kind, id string, ok bool) {
	parts := strings.Split(key, ":")
	if len(parts) != 3 || (parts[0] != "recall" && parts[0] != "broadcast") || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// messageHistory is the message's life: planned, then every message.*
// event of the customer's timeline that names it, oldest first.
func (h *Handler) messageHistory(r *http.Request, v *visit, m message.Message) ([]msgHistoryItem, error) {
	out := []msgHistoryItem{{At: m.CreatedAt, Status: message.StatusScheduled}}
	types := make([]string, 0, len(messageEventStatus))
	for t := range messageEventStatus {
		types = append(types, t)
	}
	slices.Sort(types)
	es, err := event.List(r.Context(), h.DB, event.ListParams{ShopID: v.Shop.ID, CustomerID: m.CustomerID, Types: types, Limit: messageHistoryLimit})
	if err != nil {
		return nil, err
	}
	var found []msgHistoryItem
	for _, e := range es {
		var d message.EventData
		if err := json.Unmarshal(e.Data, &d); err != nil || d.MessageID != m.ID {
			continue
		}
		found = append(found, msgHistoryItem{At: e.OccurredAt, Status: messageEventStatus[e.Type], Reason: d.Reason})
	}
	slices.Reverse(found) // the timeline is newest first
	out = append(out, found...)
	if len(found) == 0 && m.Status != message.StatusScheduled {
		// No event (yet): the message's own status stands for its history.
		out = append(out, msgHistoryItem{At: m.UpdatedAt, Status: m.Status, Reason: m.Reason})
	}
	return out, nil
}

// msgStatusName is the translated name of a status.
func msgStatusName(l Lang, s string) string { return l.T("messages.status." + s) }

// msgReasonName is the translated reason, or the reason itself when unknown.
func msgReasonName(l Lang, reason string) string {
	if reason != "" && hasKey("messages.reason."+reason) {
		return l.T("messages.reason." + reason)
	}
	return reason
}

// msgStatusClass is the pill class of a status.
func msgStatusClass(s string) string {
	for _, g := range statusGroups {
		if slices.Contains(g.statuses, s) {
			return g.class
		}
	}
	return ""
}

// The names the messages pages show, as view methods.

func (mv messagesView) StatusName(s string) string   { return msgStatusName(mv.L, s) }
func (mv messagesView) ReasonName(s string) string   { return msgReasonName(mv.L, s) }
func (mv messagesView) ChannelName(s string) string  { return channelName(mv.L, s) }
func (mv messagesView) StatusClass(s string) string  { return msgStatusClass(s) }
func (mv msgDetailView) StatusName(s string) string  { return msgStatusName(mv.L, s) }
func (mv msgDetailView) ReasonName(s string) string  { return msgReasonName(mv.L, s) }
func (mv msgDetailView) ChannelName(s string) string { return channelName(mv.L, s) }
func (mv msgDetailView) StatusClass(s string) string { return msgStatusClass(s) }
