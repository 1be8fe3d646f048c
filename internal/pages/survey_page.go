package pages

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/survey"
	"github.com/kizukai/kizukai/internal/token"
)

type surveyView struct {
	page
	Action     string
	OrderedAt  time.Time
	Items      []string // product names of the order
	CSAT       int      // 0: none chosen
	NPS        int      // -1: none chosen
	Comment    string
	Errors     map[string]string
	Answered   bool // an answer exists: this submit edits it
	Done       bool // just saved
	Recovery   bool // the saved answer asked for a call
	ReceiptURL string
	CSATScale  []scaleOption
	NPSScale   []scaleOption
}

type scaleOption struct {
	Value   int
	Label   string
	Checked bool
}

// parseSurveyForm reads the survey form: csat 1–5 (required), nps 0–10
// (optional), comment. Problems are keyed by field.
func parseSurveyForm(f url.Values, locale string) (survey.Answer, errs.Fields) {
	var fields errs.Fields
	a := survey.Answer{Locale: locale}
	if p := intField(f, &fields, "csat", 1, 5, true); p != nil {
		a.CSAT = *p
	}
	a.NPS = intField(f, &fields, "nps", 0, 10, false)
	c, ok := single(f, "comment")
	if !ok {
		fields.Add("comment", "invalid")
	}
	a.Comment = c
	if len(fields) == 0 {
		var e *errs.Error
		if err := a.Validate(); errors.As(err, &e) {
			fields.Merge("", e.Fields)
		}
	}
	return a, fields
}

func (h *Handler) surveyContext(r *http.Request) (token.Claims, surveyView, error) {
	c, err := h.verify(r, token.Survey)
	if err != nil {
		return c, surveyView{}, err
	}
	ctx := r.Context()
	o, err := h.Orders.ByID(ctx, c.ShopID, c.ObjectID)
	if err != nil {
		return c, surveyView{}, notFoundIf(err)
	}
	cust, err := h.Customers.ByID(ctx, c.ShopID, o.CustomerID)
	if err != nil {
		return c, surveyView{}, notFoundIf(err)
	}
	sh, err := h.shop(ctx, c.ShopID)
	if err != nil {
		return c, surveyView{}, err
	}
	l := chooseLang(r, cust.Locale)
	v := surveyView{page: h.newPage(r, l, sh, "survey.title"), Action: withLang("/s/"+r.PathValue("token"), l),
		OrderedAt: o.OrderedAt.In(sh.Location()), NPS: -1,
		ReceiptURL: withLang("/r/"+h.sign(token.Receipt, sh.ID, o.ID, time.Time{}), l)}
	skus := []string{}
	for _, ln := range o.Lines {
		skus = append(skus, ln.SKU)
	}
	ps, err := h.Products.BySKUs(ctx, h.DB, sh.ID, skus)
	if err != nil {
		return c, surveyView{}, err
	}
	for _, ln := range o.Lines {
		name := ln.SKU
		if p, ok := ps[ln.SKU]; ok {
			name = p.Name
		}
		v.Items = append(v.Items, name)
	}
	return c, v, nil
}

func (v *surveyView) scales(l Lang) {
	v.CSATScale, v.NPSScale = nil, nil
	for i := 1; i <= 5; i++ {
		v.CSATScale = append(v.CSATScale, scaleOption{Value: i, Label: l.T("survey.csat." + strconv.Itoa(i)), Checked: v.CSAT == i})
	}
	for i := 0; i <= 10; i++ {
		v.NPSScale = append(v.NPSScale, scaleOption{Value: i, Label: strconv.Itoa(i), Checked: v.NPS == i})
	}
}

func (h *Handler) surveyForm(w http.ResponseWriter, r *http.Request) error {
	c, v, err := h.surveyContext(r)
	if err != nil {
		return err
	}
	resp, err := h.Surveys.ByOrder(r.Context(), c.ShopID, survey.PostPurchase, c.ObjectID)
	switch {
	case err == nil:
		v.Answered, v.CSAT, v.Comment = true, resp.CSAT, resp.Comment
		if resp.NPS != nil {
			v.NPS = *resp.NPS
		}
		v.Done = r.URL.Query().Get("saved") == "1"
		v.Recovery = v.Done && survey.Low(resp.CSAT, resp.NPS)
	case !errors.Is(err, errs.ErrNotFound):
		return err
	}
	v.scales(v.L)
	return h.render(w, http.StatusOK, "survey", v)
}

func (h *Handler) surveySubmit(w http.ResponseWriter, r *http.Request) error {
	c, v, err := h.surveyContext(r)
	if err != nil {
		return err
	}
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	a, fields := parseSurveyForm(f, v.L.Code)
	if len(fields) == 0 {
		_, _, err = h.Surveys.Submit(r.Context(), c.ShopID, survey.PostPurchase, c.ObjectID, a)
		var e *errs.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			fields = e.Fields
		} else if err != nil {
			return notFoundIf(err)
		}
	}
	if len(fields) > 0 {
		v.CSAT, v.Comment, v.Errors = a.CSAT, a.Comment, h.fieldErrors(v.L, "survey", fields)
		if a.NPS != nil {
			v.NPS = *a.NPS
		}
		v.scales(v.L)
		return h.render(w, http.StatusUnprocessableEntity, "survey", v)
	}
	http.Redirect(w, r, withLang("/s/"+r.PathValue("token"), v.L, "saved", "1"), http.StatusSeeOther)
	return nil
}

// fieldErrors turns field problems into the page's words: "<form>.err.<field>".
func (h *Handler) fieldErrors(l Lang, form string, f errs.Fields) map[string]string {
	out := map[string]string{}
	for k := range f {
		out[k] = l.T(form + ".err." + k)
	}
	return out
}
