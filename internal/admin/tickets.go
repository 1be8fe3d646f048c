package admin

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/staff"
	"github.com/kizukai/kizukai/internal/ticket"
)

// ticketRoutes are the support inbox (SPEC C7). Everyone may read it (a
// marketer checks what customers say before a campaign; a viewer looks);
// support and owners answer, note, move and assign tickets.
func (h *Handler) ticketRoutes() []route {
	return []route{
		{"GET", "/admin/tickets", anyRole, h.listTickets},
		{"GET", "/admin/tickets/{id}", anyRole, h.showTicket}, // read-only unless owner or support
		{"POST", "/admin/tickets/{id}/reply", owner | support, h.replyTicket},
		{"POST", "/admin/tickets/{id}/note", owner | support, h.noteTicket},
		{"POST", "/admin/tickets/{id}/status", owner | support, h.setTicketStatus},
		{"POST", "/admin/tickets/{id}/assignee", owner | support, h.assignTicket},
	}
}

// canAnswerTickets reports whether the visitor may write on tickets.
func canAnswerTickets(v *visit) bool { return (owner | support).allows(v.Session.User.Role) }

// canHandleTickets reports whether a staff user may be assigned tickets.
func canHandleTickets(u staff.User) bool {
	return u.DisabledAt == nil && (u.Role == staff.Owner || u.Role == staff.Support)
}

// ticketURL is the page of a ticket.
func ticketURL(id string) string { return "/admin/tickets/" + url.PathEscape(id) }

// ticketPageSize is how many tickets a list page shows.
const ticketPageSize = 50

// The list's status filter: the unresolved (open and pending) by default,
// "all", or one status.
const (
	statusUnresolved = "unresolved"
	statusAll        = "all"
)

// The assignee filter's special values besides a staff user's ID.
const (
	assigneeMe   = "me"
	assigneeNone = "none"
)

// ticketsView is a page of the inbox.
type ticketsView struct {
	page
	Items    []ticketRow
	Status   string
	Kind     string
	Assignee string
	Statuses []string // the status filter's options
	Kinds    []string
	Staff    []staff.User // who can be assigned, for the filter
	NextURL  string
	First    string
	Overdue  int // on this page
}

// ticketRow is a ticket as the list shows it.
type ticketRow struct {
	ticket.Ticket
	URL          string
	Overdue      bool
	AssigneeName string
}

type ticketDueCursor struct {
	Due time.Time `json:"d"`
	ID  string    `json:"i"`
}

// staffNames maps the shop's staff IDs to how they are shown.
func staffNames(us []staff.User) map[string]string {
	out := make(map[string]string, len(us))
	for _, u := range us {
		out[u.ID] = u.Email
		if u.Name != "" {
			out[u.ID] = u.Name
		}
	}
	return out
}

// assigneeName shows an assignee: a staff user's name, else the text as
// stored (the API may set free text).
func assigneeName(names map[string]string, a string) string {
	if n, ok := names[a]; ok {
		return n
	}
	return a
}

func (h *Handler) listTickets(w http.ResponseWriter, r *http.Request, v *visit) error {
	var cur ticketDueCursor
	onLater, err := httpx.DecodeCursor(r, &cur)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	tv := ticketsView{page: h.newPage(r, v, "tickets.title", "nav.tickets"), Status: q.Get("status"), Kind: q.Get("kind"),
		Assignee: q.Get("assignee"), Statuses: append([]string{statusUnresolved, statusAll}, ticket.Statuses...), Kinds: ticket.Kinds}
	if tv.Status == "" {
		tv.Status = statusUnresolved
	}
	p := ticket.ListParams{ShopID: v.Shop.ID, Kind: tv.Kind, ByDue: true, AfterDue: cur.Due, AfterID: cur.ID, Limit: ticketPageSize}
	switch tv.Status {
	case statusUnresolved:
		p.Unresolved = true
	case statusAll:
	default:
		if !slices.Contains(ticket.Statuses, tv.Status) {
			return errs.Malformed("invalid_filter", "unknown status filter")
		}
		p.Status = tv.Status
	}
	switch tv.Assignee {
	case "":
	case assigneeMe:
		p.Assignee = v.Session.User.ID
	case assigneeNone:
		p.Unassigned = true
	default:
		p.Assignee = tv.Assignee
	}
	items, more, err := h.Tickets.List(r.Context(), p)
	if err != nil {
		return err
	}
	us, err := staff.List(r.Context(), h.DB, v.Shop.ID)
	if err != nil {
		return err
	}
	names := staffNames(us)
	for _, u := range us {
		if canHandleTickets(u) {
			tv.Staff = append(tv.Staff, u)
		}
	}
	now := h.Clock.Now()
	for _, t := range items {
		row := ticketRow{Ticket: t, URL: ticketURL(t.ID), Overdue: t.Overdue(now), AssigneeName: assigneeName(names, t.Assignee)}
		if row.Overdue {
			tv.Overdue++
		}
		tv.Items = append(tv.Items, row)
	}
	filter := url.Values{}
	for k, val := range map[string]string{"status": q.Get("status"), "kind": tv.Kind, "assignee": tv.Assignee} {
		if val != "" {
			filter.Set(k, val)
		}
	}
	if more {
		last := items[len(items)-1]
		next := url.Values{"cursor": {httpx.EncodeCursor(ticketDueCursor{Due: last.FirstResponseDueAt, ID: last.ID})}}
		for k, vs := range filter {
			next[k] = vs
		}
		tv.NextURL = "/admin/tickets?" + next.Encode()
	}
	if onLater {
		tv.First = "/admin/tickets"
		if len(filter) > 0 {
			tv.First += "?" + filter.Encode()
		}
	}
	return h.render(w, http.StatusOK, "tickets_list", tv)
}
