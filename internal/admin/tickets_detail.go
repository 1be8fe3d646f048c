package admin

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/staff"
	"github.com/kizukai/kizukai/internal/ticket"
)

// ticketView is a ticket with its conversation and, for those who may
// answer, the reply, note, status and assignee forms.
type ticketView struct {
	page
	T            ticket.Ticket
	URL          string
	Customer     *customer.Customer // nil once erased
	Entries      []entryRow
	Overdue      bool
	SLAMet       bool
	Responded    bool
	AssigneeName string
	ReplyChannel string // "" when the customer cannot be reached
	CanWrite     bool
	Staff        []staff.User // who can be assigned
	Statuses     []string
	Reply        string // the reply's text, kept when it is refused
	Note         string
	Errors       map[string]string // by form: reply, note, status, assignee
}

// entryRow is one step of the conversation as shown.
type entryRow struct {
	ticket.Entry
	Author string
}

// ticketPage builds the ticket's page; a ticket of another shop is the
// 404 page.
func (h *Handler) ticketPage(r *http.Request, v *visit) (ticketView, error) {
	d, err := h.Tickets.Detail(r.Context(), v.Shop.ID, r.PathValue("id"))
	if err != nil {
		return ticketView{}, err
	}
	us, err := staff.List(r.Context(), h.DB, v.Shop.ID)
	if err != nil {
		return ticketView{}, err
	}
	names := staffNames(us)
	now := h.Clock.Now()
	tv := ticketView{page: h.newPage(r, v, "tickets.ticket", "nav.tickets"), T: d.Ticket, URL: ticketURL(d.ID),
		Overdue: d.Overdue(now), AssigneeName: assigneeName(names, d.Assignee), CanWrite: canAnswerTickets(v),
		Statuses: ticket.Statuses, Errors: map[string]string{}}
	tv.Title = d.Subject
	if tv.Title == "" {
		tv.Title = v.L.T("tickets.ticket")
	}
	tv.SLAMet, tv.Responded = d.SLAMet()
	for _, u := range us {
		if canHandleTickets(u) {
			tv.Staff = append(tv.Staff, u)
		}
	}
	for _, e := range d.Conversation {
		row := entryRow{Entry: e}
		switch {
		case e.Kind == ticket.EntryCustomer:
			row.Author = v.L.T("tickets.entry.customer")
		case e.AuthorID != "":
			row.Author = assigneeName(names, e.AuthorID)
		default:
			row.Author = v.L.T("tickets.entry.api")
		}
		tv.Entries = append(tv.Entries, row)
	}
	c, err := h.Customers.ByID(r.Context(), v.Shop.ID, d.CustomerID)
	switch {
	case err == nil:
		tv.Customer = &c
	case !errors.Is(err, errs.ErrNotFound):
		return ticketView{}, err
	}
	if tv.ReplyChannel, err = h.Tickets.ReplyChannel(r.Context(), v.Shop.ID, d.ID); err != nil {
		return ticketView{}, err
	}
	return tv, nil
}

func (h *Handler) showTicket(w http.ResponseWriter, r *http.Request, v *visit) error {
	tv, err := h.ticketPage(r, v)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "tickets_show", tv)
}

// ticketProblem translates a domain problem for a ticket form.
func ticketProblem(l Lang, err error) (string, bool) {
	if ticket.IsUnreachable(err) {
		return l.T("tickets.unreachable"), true
	}
	var e *errs.Error
	if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) {
		return "", false
	}
	var out []string
	for _, p := range e.Fields {
		if s, ok := catalogue[l.Code]["tickets.problem."+p]; ok {
			out = append(out, s)
		} else {
			out = append(out, l.Problem(p))
		}
	}
	slices.Sort(out)
	return strings.Join(out, " "), true
}

// ticketWrite runs one staff action on the ticket with its audit entry in
// one transaction, then redirects with a flash; a refused input shows the
// ticket again with the problem by the form (422), keeping what was typed.
func (h *Handler) ticketWrite(w http.ResponseWriter, r *http.Request, v *visit, form, action, flash string,
	keep func(*ticketView), do func(tx db.DBTX) error) error {
	id := r.PathValue("id")
	err := h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if err := do(tx); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, action, "ticket", id)
	})
	if problem, ok := ticketProblem(v.L, err); ok {
		tv, err := h.ticketPage(r, v)
		if err != nil {
			return err
		}
		tv.Errors[form] = problem
		keep(&tv)
		return h.render(w, http.StatusUnprocessableEntity, "tickets_show", tv)
	}
	if err != nil {
		return err
	}
	h.flash(w, flash)
	return seeOther(w, r, ticketURL(id)+"#"+form)
}

func (h *Handler) replyTicket(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "body")
	if err != nil {
		return err
	}
	return h.ticketWrite(w, r, v, "reply", "ticket.reply", "flash.ticket_replied", func(tv *ticketView) { tv.Reply = in["body"] },
		func(tx db.DBTX) error {
			_, err := h.Tickets.ReplyTx(r.Context(), tx, v.Shop.ID, r.PathValue("id"),
				ticket.ReplyInput{Body: in["body"], AuthorID: v.Session.User.ID})
			return err
		})
}

func (h *Handler) noteTicket(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "body")
	if err != nil {
		return err
	}
	return h.ticketWrite(w, r, v, "note", "ticket.note", "flash.ticket_noted", func(tv *ticketView) { tv.Note = in["body"] },
		func(tx db.DBTX) error {
			_, err := h.Tickets.AddNoteTx(r.Context(), tx, v.Shop.ID, r.PathValue("id"),
				ticket.NoteInput{Body: in["body"], AuthorID: v.Session.User.ID})
			return err
		})
}

func (h *Handler) setTicketStatus(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "status")
	if err != nil {
		return err
	}
	status := in["status"]
	return h.ticketWrite(w, r, v, "status", "ticket.status_change", "flash.ticket_status", func(*ticketView) {},
		func(tx db.DBTX) error {
			_, err := h.Tickets.UpdateTx(r.Context(), tx, v.Shop.ID, r.PathValue("id"), ticket.UpdateInput{Status: &status})
			return err
		})
}

// assignTicket gives the ticket to a staff user of the shop who answers
// tickets (owner or support), or to no one.
func (h *Handler) assignTicket(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	in, err := fields(f, "assignee")
	if err != nil {
		return err
	}
	assignee := in["assignee"]
	return h.ticketWrite(w, r, v, "assignee", "ticket.assign", "flash.ticket_assigned", func(*ticketView) {},
		func(tx db.DBTX) error {
			if assignee != "" {
				u, err := staff.ByID(r.Context(), tx, v.Shop.ID, assignee)
				if errors.Is(err, errs.ErrNotFound) || err == nil && !canHandleTickets(u) {
					return errs.Invalid("assignee", "not a staff member who answers tickets")
				}
				if err != nil {
					return err
				}
			}
			_, err := h.Tickets.UpdateTx(r.Context(), tx, v.Shop.ID, r.PathValue("id"), ticket.UpdateInput{Assignee: &assignee})
			return err
		})
}
