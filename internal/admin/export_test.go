package admin

// WaitDashboard waits for the dashboard refreshes started in the
// background (tests only).
func (h *Handler) WaitDashboard() { h.dashWG.Wait() }
