package admin

// customerRoutes are the customers pages.
func (h *Handler) customerRoutes() []route {
	return []route{
		{"GET", "/admin/customers", anyRole, h.placeholder("nav.customers")},
	}
}
