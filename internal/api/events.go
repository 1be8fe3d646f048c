package api

import (
	"context"
	"net/http"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/httpx"
)

func (h *Handler) eventRoutes() []route {
	return []route{
		{method: "POST", path: "/events", h: h.createEvent,
			doc: op{summary: "Record a custom event (for journeys with a custom-event trigger and the customer timeline). " +
				"201 when recorded; 200 with the stored event when its external_id was posted before (nothing is recorded twice).",
				tag: "events", body: event.PostInput{}, resp: event.Event{}, status: http.StatusCreated, errors: []int{422}}},
	}
}

// eventCustomers adapts customer.Service to event.CustomerLookup (the
// event package cannot import customer, which records events through it).
type eventCustomers struct{ *customer.Service }

// CustomerExists reports whether the shop has a live customer with this ID.
func (c eventCustomers) CustomerExists(ctx context.Context, shopID, customerID string) error {
	_, err := c.ByID(ctx, shopID, customerID)
	return err
}

// events returns the custom-event use case. It is a few pointers, so it is
// made per request rather than added to Deps.
func (h *Handler) events() *event.Service {
	return event.NewService(h.DB, h.Clock, h.Events, eventCustomers{h.Customers})
}

// createEvent records a custom event: 201, or 200 with the stored event
// when its external_id was posted before.
func (h *Handler) createEvent(w http.ResponseWriter, r *http.Request) error {
	var in event.PostInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	e, created, err := h.events().Post(r.Context(), shopFrom(r.Context()).ID, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return httpx.WriteJSON(w, status, e)
}
