package admin

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/kizukai/kizukai/internal/channel/sms"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/journey"
	"github.com/kizukai/kizukai/internal/message"
)

// templateView is a template of a journey: its texts in Japanese and
// English, editable by owners and marketers, and a preview for one
// customer with the SMS segment count.
type templateView struct {
	page
	Journey  journey.Journey
	Key      string
	Form     message.TemplateInput
	Builtin  bool
	Missing  bool   // the journey names it, the shop has not created it
	Customer string // as typed: an ID, an email address or an external ID
	Locale   string // "" (the customer's), ja or en
	Errors   map[string]string
	Preview  *templatePreview
	ReadOnly bool
	Action   string
	Purposes []string
}

// templatePreview is a rendered template with its SMS figures.
type templatePreview struct {
	message.Rendered
	CustomerName string
	Encoding     string
	Chars        int
	Segments     int
}

// templateFields are the form fields of a template, as the API names them.
var templateFields = []string{"name", "purpose", "subject_ja", "body_ja", "sms_ja", "subject_en", "body_en", "sms_en"}

// journeyTemplate loads the journey and checks that it sends the template
// key: a template is edited from a journey that uses it (404 otherwise).
func (h *Handler) journeyTemplate(r *http.Request, v *visit) (journey.Journey, string, error) {
	j, err := h.Journeys.ByID(r.Context(), v.Shop.ID, r.PathValue("id"))
	if err != nil {
		return journey.Journey{}, "", err
	}
	key := r.PathValue("key")
	if !slices.ContainsFunc(j.Definition.Steps, func(s journey.Step) bool { return s.Type == journey.StepSend && s.Template == key }) {
		return journey.Journey{}, "", errs.NotFound("template_not_found", "the journey sends no such template")
	}
	return j, key, nil
}

func (h *Handler) newTemplateView(r *http.Request, v *visit, j journey.Journey, key string) templateView {
	tv := templateView{page: h.newPage(r, v, "journeys.template.title", "nav.journeys"), Journey: j, Key: key,
		ReadOnly: !canRunJourneys(v), Action: journeyURL(j.ID) + "/templates/" + key, Purposes: message.Purposes, Errors: map[string]string{}}
	return tv
}

// storedTemplate is the shop's template, or, when the journey names one
// the shop lacks, an empty one of the step's purpose to create.
func (h *Handler) storedTemplate(r *http.Request, v *visit, j journey.Journey, key string) (message.Template, error) {
	t, err := h.Messages.GetTemplate(r.Context(), v.Shop.ID, key)
	if !errors.Is(err, errs.ErrNotFound) {
		return t, err
	}
	t = message.Template{Key: key, Name: key}
	for _, st := range j.Definition.Steps {
		if st.Type == journey.StepSend && st.Template == key {
			t.Purpose = st.Purpose
			break
		}
	}
	return t, nil
}

func inputOf(t message.Template) message.TemplateInput {
	return message.TemplateInput{Name: t.Name, Purpose: t.Purpose, SubjectJA: t.SubjectJA, BodyJA: t.BodyJA, SMSJA: t.SMSJA,
		SubjectEN: t.SubjectEN, BodyEN: t.BodyEN, SMSEN: t.SMSEN}
}

// templatePage shows the stored template; with ?customer= it also shows
// the stored template rendered for that customer through the API's
// preview (POST /api/v1/templates/{key}/preview), so read-only staff can
// preview too.
func (h *Handler) templatePage(w http.ResponseWriter, r *http.Request, v *visit) error {
	j, key, err := h.journeyTemplate(r, v)
	if err != nil {
		return err
	}
	t, err := h.storedTemplate(r, v, j, key)
	if err != nil {
		return err
	}
	tv := h.newTemplateView(r, v, j, key)
	tv.Title = t.Name
	tv.Form, tv.Builtin, tv.Missing = inputOf(t), t.Builtin, t.UpdatedAt == nil && !t.Builtin
	q := r.URL.Query()
	tv.Customer, tv.Locale = strings.TrimSpace(q.Get("customer")), q.Get("locale")
	if tv.Customer == "" {
		return h.render(w, http.StatusOK, "journeys_template", tv)
	}
	err = h.preview(r, v, &tv, func(p message.PreviewParams) (message.Rendered, error) {
		return h.Messages.Preview(r.Context(), v.Shop.ID, key, p)
	})
	if fe, ok := fieldErrors(v.L, err); ok {
		maps.Copy(tv.Errors, fe)
		return h.render(w, http.StatusUnprocessableEntity, "journeys_template", tv)
	}
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "journeys_template", tv)
}

// preview finds the customer typed and renders with render, filling
// tv.Preview; a customer who cannot be found is a problem of the customer
// field.
func (h *Handler) preview(r *http.Request, v *visit, tv *templateView, render func(message.PreviewParams) (message.Rendered, error)) error {
	if tv.Locale != "" && tv.Locale != "ja" && tv.Locale != "en" {
		return errs.Invalid("locale", "ja or en")
	}
	c, err := h.findCustomer(r, v, tv.Customer)
	if err != nil {
		return err
	}
	out, err := render(message.PreviewParams{CustomerID: c.ID, Locale: tv.Locale})
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) && e.Fields["customer_id"] != "" {
			return errs.Invalid("customer", e.Fields["customer_id"])
		}
		return err
	}
	enc, chars, segs := sms.Segments(out.SMS)
	tv.Preview = &templatePreview{Rendered: out, CustomerName: c.Name, Encoding: enc, Chars: chars, Segments: segs}
	return nil
}

// findCustomer finds the shop's customer by ID, email address or external
// ID, in that order.
func (h *Handler) findCustomer(r *http.Request, v *visit, s string) (customer.Customer, error) {
	if s == "" {
		return customer.Customer{}, errs.Invalid("customer", "required")
	}
	c, err := h.Customers.ByID(r.Context(), v.Shop.ID, s)
	if err == nil || !errors.Is(err, errs.ErrNotFound) {
		return c, err
	}
	p := customer.ListParams{ShopID: v.Shop.ID, ExternalID: s, Limit: 2}
	email, mailErr := customer.NormalizeEmail(s)
	if strings.Contains(s, "@") && mailErr == nil {
		p = customer.ListParams{ShopID: v.Shop.ID, Query: email, Limit: 50}
	}
	cs, _, err := h.Customers.List(r.Context(), p)
	if err != nil {
		return customer.Customer{}, err
	}
	for _, c := range cs {
		if c.ExternalID == s || mailErr == nil && strings.EqualFold(c.Email, email) {
			return c, nil
		}
	}
	return customer.Customer{}, errs.Invalid("customer", "no such customer in this shop")
}

// maxTemplateForm bounds the template form: six texts of a long care
// message in Japanese, URL-encoded.
const maxTemplateForm = 512 << 10

// saveTemplate stores the typed template exactly as PUT
// /api/v1/templates/{key} does (a problem is a 422 naming the field and
// stores nothing), or, with do=preview, renders what was typed for the
// chosen customer without storing it.
func (h *Handler) saveTemplate(w http.ResponseWriter, r *http.Request, v *visit) error {
	j, key, err := h.journeyTemplate(r, v)
	if err != nil {
		return err
	}
	form, err := readFormMax(w, r, maxTemplateForm)
	if err != nil {
		return err
	}
	in, err := fields(form, append(slices.Clone(templateFields), "customer", "locale", "do")...)
	if err != nil {
		return err
	}
	// Texts keep their spaces and line breaks: only single-line fields are trimmed.
	raw := func(n string) string { s, _ := single(form, n); return strings.ReplaceAll(s, "\r\n", "\n") }
	ti := message.TemplateInput{Name: in["name"], Purpose: in["purpose"], SubjectJA: in["subject_ja"], BodyJA: raw("body_ja"),
		SMSJA: raw("sms_ja"), SubjectEN: in["subject_en"], BodyEN: raw("body_en"), SMSEN: raw("sms_en")}
	tv := h.newTemplateView(r, v, j, key)
	tv.Title, tv.Form, tv.Customer, tv.Locale = ti.Name, ti, in["customer"], in["locale"]
	stored, err := h.storedTemplate(r, v, j, key)
	if err != nil {
		return err
	}
	tv.Builtin, tv.Missing = stored.Builtin, stored.UpdatedAt == nil && !stored.Builtin
	if in["do"] == "preview" {
		err := h.preview(r, v, &tv, func(p message.PreviewParams) (message.Rendered, error) {
			return h.Messages.PreviewInput(r.Context(), v.Shop.ID, key, ti, p)
		})
		if fe, ok := fieldErrors(v.L, err); ok {
			maps.Copy(tv.Errors, fe)
			return h.render(w, http.StatusUnprocessableEntity, "journeys_template", tv)
		}
		if err != nil {
			return err
		}
		return h.render(w, http.StatusOK, "journeys_template", tv)
	}
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		if _, err := h.Messages.PutTemplateTx(r.Context(), tx, v.Shop.ID, key, ti); err != nil {
			return err
		}
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "template.update", "template", key)
	})
	if fe, ok := fieldErrors(v.L, err); ok {
		maps.Copy(tv.Errors, fe)
		return h.render(w, http.StatusUnprocessableEntity, "journeys_template", tv)
	}
	if err != nil {
		return err
	}
	h.flash(w, "flash.template_saved")
	to := tv.Action
	if tv.Customer != "" {
		to += "?" + url.Values{"customer": {tv.Customer}, "locale": {tv.Locale}}.Encode()
	}
	return seeOther(w, r, to)
}

// textField is one text of the template form with its label, hint and
// problem.
type textField struct {
	Name, Label, Hint, Value, Error string
	Rows                            int
}

// Field builds a text of the form; its label and hint are
// "journeys.template.<name>" and "journeys.template.<name>_hint".
func (tv templateView) Field(name, value string, rows int) textField {
	f := textField{Name: name, Label: tv.L.T("journeys.template." + name), Value: value, Rows: rows, Error: tv.Errors[name]}
	if hasKey("journeys.template." + name + "_hint") {
		f.Hint = tv.L.T("journeys.template." + name + "_hint")
	}
	return f
}
