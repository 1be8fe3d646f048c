package admin

// productRoutes are the products pages.
func (h *Handler) productRoutes() []route {
	return []route{
		{"GET", "/admin/products", anyRole, h.placeholder("nav.products")},
	}
}
