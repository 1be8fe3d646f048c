package api

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/delivery"
	"github.com/kizukai/kizukai/internal/httpx"
)

// channelRoutes are the shop's provider settings per channel (SPEC §5, §7).
func (h *Handler) channelRoutes() []route {
	c := channelsAPI{svc: h.Delivery}
	return []route{
		{method: "GET", path: "/channels/{channel}", h: c.show,
			doc: op{summary: "A channel's provider settings (email, sms or line). Secrets are never returned, only whether they are set; " +
				"configured false means its messages go to the outbox", tag: "channels", resp: delivery.View{}, errors: []int{404}}},
		{method: "PUT", path: "/channels/{channel}", h: c.put,
			doc: op{summary: "Replace a channel's provider settings. Secrets are write-only: left out, the stored one is kept. " +
				"Provider URLs must be http(s) and not loopback, link-local or cloud-metadata addresses; every bad field is named (422)",
				tag: "channels", body: delivery.Input{}, resp: delivery.View{}, errors: []int{404, 413, 422}}},
	}
}

// channelsAPI serves the channel settings.
type channelsAPI struct{ svc *delivery.Service }

func (c channelsAPI) show(w http.ResponseWriter, r *http.Request) error {
	v, err := c.svc.Channel(r.Context(), shopFrom(r.Context()).ID, r.PathValue("channel"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (c channelsAPI) put(w http.ResponseWriter, r *http.Request) error {
	shopID := shopFrom(r.Context()).ID
	if _, err := c.svc.Channel(r.Context(), shopID, r.PathValue("channel")); err != nil {
		return err // unknown channel: 404 before the body is read
	}
	var in delivery.Input
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := c.svc.PutChannel(r.Context(), shopID, r.PathValue("channel"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}
