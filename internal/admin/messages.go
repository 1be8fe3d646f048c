package admin

// messageRoutes are the messages pages.
func (h *Handler) messageRoutes() []route {
	return []route{
		{"GET", "/admin/messages", anyRole, h.placeholder("nav.messages")},
	}
}
