package admin

// journeyRoutes are the journeys pages.
func (h *Handler) journeyRoutes() []route {
	return []route{
		{"GET", "/admin/journeys", anyRole, h.placeholder("nav.journeys")},
	}
}
