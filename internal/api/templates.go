package api

import (
	"net/http"

	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/message"
)

// templateRoutes are returned by messageRoutes (templates belong to the
// message package).
func (h *Handler) templateRoutes() []route {
	return []route{
		{method: "GET", path: "/templates", h: h.listTemplates,
			doc: op{summary: "The shop's message templates by key, the defaults included", tag: "templates",
				resp: httpx.List[message.Template]{}}},
		{method: "GET", path: "/templates/{key}", h: h.showTemplate,
			doc: op{summary: "A message template", tag: "templates", resp: message.Template{}, errors: []int{404}}},
		{method: "PUT", path: "/templates/{key}", h: h.putTemplate,
			doc: op{summary: "Create or replace a template (Liquid, ja and en). Checked at save: syntax, only the known variables " +
				"(in every branch), and the SMS text (sms_xx, else body_xx) within the policy's sms_max_chars with long values; " +
				"a problem is a 422 naming the field and changes nothing", tag: "templates",
				body: message.TemplateInput{}, resp: message.Template{}, errors: []int{422}}},
		{method: "POST", path: "/templates/{key}/preview", h: h.previewTemplate,
			doc: op{summary: "Render a template for one customer (and order) as it would be sent, writing nothing", tag: "templates",
				body: message.PreviewParams{}, resp: message.Rendered{}, errors: []int{404, 422}}},
	}
}

func (h *Handler) listTemplates(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.Messages.ListTemplates(r.Context(), shopFrom(r.Context()).ID)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.List[message.Template]{Items: ts})
}

func (h *Handler) showTemplate(w http.ResponseWriter, r *http.Request) error {
	t, err := h.Messages.GetTemplate(r.Context(), shopFrom(r.Context()).ID, r.PathValue("key"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, t)
}

func (h *Handler) putTemplate(w http.ResponseWriter, r *http.Request) error {
	var in message.TemplateInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := h.Messages.PutTemplate(r.Context(), shopFrom(r.Context()).ID, r.PathValue("key"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, t)
}

func (h *Handler) previewTemplate(w http.ResponseWriter, r *http.Request) error {
	var p message.PreviewParams
	if err := httpx.DecodeJSON(w, r, &p); err != nil {
		return err
	}
	out, err := h.Messages.Preview(r.Context(), shopFrom(r.Context()).ID, r.PathValue("key"), p)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
