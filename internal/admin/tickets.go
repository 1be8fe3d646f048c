package admin

// ticketRoutes are the tickets pages.
func (h *Handler) ticketRoutes() []route {
	return []route{
		{"GET", "/admin/tickets", anyRole, h.placeholder("nav.tickets")},
	}
}
