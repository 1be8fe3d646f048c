package admin

// channelRoutes are the channel settings pages (owner only).
func (h *Handler) channelRoutes() []route {
	return nil
}
