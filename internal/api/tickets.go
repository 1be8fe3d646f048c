package api

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/ticket"
)

func (h *Handler) ticketRoutes() []route {
	const tag = "tickets"
	return []route{
		{method: "POST", path: "/tickets", h: h.createTicket,
			doc: op{summary: "Open a ticket for a customer (by customer_id or customer_external_id); records ticket.opened",
				tag: tag, body: ticket.CreateInput{}, resp: ticket.Ticket{}, status: http.StatusCreated, errors: []int{422}}},
		{method: "GET", path: "/tickets", h: h.listTickets,
			doc: op{summary: "Tickets, newest first", tag: tag, resp: httpx.List[ticket.Ticket]{}, errors: []int{422},
				query: []param{
					{"customer_id", "only this customer's"},
					{"status", "open, pending, resolved or closed"},
					{"kind", "question, defect, complaint, return, exchange or other"},
					{"limit", "1 to 200, default 50"},
					{"cursor", "next_cursor of the previous page"},
				}}},
		{method: "GET", path: "/tickets/{id}", h: h.showTicket,
			doc: op{summary: "A ticket with its conversation (customer messages, staff replies and internal notes, oldest first)",
				tag: tag, resp: ticket.Detail{}, errors: []int{404}}},
		{method: "POST", path: "/tickets/{id}/replies", h: h.replyTicket,
			doc: op{summary: "Reply to the customer: the reply joins the conversation and is sent as a transactional message " +
				"by the customer's best channel (message_id); the first reply meets the first-response SLA. " +
				"Quiet hours do not hold it back when the customer wrote within the last hour. " +
				"422 customer_unreachable when the customer has no contact point",
				tag: tag, body: ticket.ReplyInput{}, resp: ticket.Entry{}, status: http.StatusCreated, errors: []int{404, 422}}},
		{method: "PATCH", path: "/tickets/{id}", h: h.updateTicket,
			doc: op{summary: "Change a ticket's status or assignee; resolving records ticket.resolved", tag: tag,
				body: ticket.UpdateInput{}, resp: ticket.Ticket{}, errors: []int{404, 422}}},
	}
}

func (h *Handler) createTicket(w http.ResponseWriter, r *http.Request) error {
	var in ticket.CreateInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := h.Tickets.Create(r.Context(), shopFrom(r.Context()).ID, in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, t)
}

type ticketCursor struct {
	Before string `json:"b"`
}

func (h *Handler) listTickets(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		return err
	}
	var cur ticketCursor
	if _, err := httpx.DecodeCursor(r, &cur); err != nil {
		return err
	}
	q := r.URL.Query()
	items, more, err := h.Tickets.List(r.Context(), ticket.ListParams{ShopID: shopFrom(r.Context()).ID,
		CustomerID: q.Get("customer_id"), Status: q.Get("status"), Kind: q.Get("kind"), BeforeID: cur.Before, Limit: limit})
	if err != nil {
		return err
	}
	out := httpx.List[ticket.Ticket]{Items: items}
	if more {
		out.NextCursor = httpx.EncodeCursor(ticketCursor{Before: items[len(items)-1].ID})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) showTicket(w http.ResponseWriter, r *http.Request) error {
	t, err := h.Tickets.Detail(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, t)
}

func (h *Handler) updateTicket(w http.ResponseWriter, r *http.Request) error {
	var in ticket.UpdateInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := h.Tickets.Update(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, t)
}

func (h *Handler) replyTicket(w http.ResponseWriter, r *http.Request) error {
	var in ticket.ReplyInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	e, err := h.Tickets.Reply(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, e)
}
