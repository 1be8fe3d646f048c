package pages

import (
	"net/http"
	"time"

	"github.com/kizukai/kizukai/internal/pages/engagement"
	"github.com/kizukai/kizukai/internal/token"
)

type ackView struct {
	page
	Action  string
	Subject string
	Body    string
	AckedAt *time.Time
	Done    bool
	Ways    contactWays
}

func (h *Handler) ackContext(r *http.Request) (engagement.Message, ackView, error) {
	c, err := h.verify(r, token.Ack)
	if err != nil {
		return engagement.Message{}, ackView{}, err
	}
	m, err := h.engagement.Message(r.Context(), c.ShopID, c.ObjectID)
	if err != nil {
		return engagement.Message{}, ackView{}, notFoundIf(err)
	}
	cust, err := h.Customers.ByID(r.Context(), c.ShopID, m.CustomerID)
	if err != nil {
		return engagement.Message{}, ackView{}, notFoundIf(err)
	}
	sh, err := h.shop(r.Context(), c.ShopID)
	if err != nil {
		return engagement.Message{}, ackView{}, err
	}
	l := chooseLang(r, cust.Locale)
	v := ackView{page: h.newPage(r, l, sh, "ack.title"), Action: withLang("/a/"+r.PathValue("token"), l),
		Subject: m.Subject, Body: m.Body, Ways: h.waysOf(sh, l, "")}
	if m.AcknowledgedAt != nil {
		t := m.AcknowledgedAt.In(sh.Location())
		v.AckedAt = &t
	}
	return m, v, nil
}

// ackForm shows the notice and one button; GET records nothing (mail
// scanners fetch links).
func (h *Handler) ackForm(w http.ResponseWriter, r *http.Request) error {
	_, v, err := h.ackContext(r)
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "ack", v)
}

// ackSubmit records the acknowledgement (once) and shows it.
func (h *Handler) ackSubmit(w http.ResponseWriter, r *http.Request) error {
	m, v, err := h.ackContext(r)
	if err != nil {
		return err
	}
	if m, err = h.engagement.Acknowledge(r.Context(), v.Shop.ID, m.ID); err != nil {
		return notFoundIf(err)
	}
	t := m.AcknowledgedAt.In(v.Shop.Location())
	v.AckedAt, v.Done = &t, true
	return h.render(w, http.StatusOK, "ack", v)
}

// click redirects to the n-th link of the message the token names and
// records the click; only URLs that message contains are ever targets.
func (h *Handler) click(w http.ResponseWriter, r *http.Request) error {
	c, err := h.verify(r, token.Click)
	if err != nil {
		return err
	}
	messageID, n, ok := engagement.ParseClickObject(c.ObjectID)
	if !ok {
		return notFound()
	}
	target, err := h.engagement.Click(r.Context(), c.ShopID, messageID, n)
	if err != nil {
		return notFoundIf(err)
	}
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}
