package admin

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/product"
)

// productRoutes are the products pages. Every staff member may read the
// catalogue; owners and marketers keep it (it feeds the care messages).
// A product's own pages are under /admin/products/sku/{sku}, so that no
// SKU ("new", "import") can collide with the pages of the list.
func (h *Handler) productRoutes() []route {
	return []route{
		{"GET", "/admin/products", anyRole, h.listProducts},
		{"GET", "/admin/products/new", owner | marketer, h.newProductForm},
		{"POST", "/admin/products", owner | marketer, h.createProduct},
		{"GET", "/admin/products/import", owner | marketer, h.importProductsForm},
		{"POST", "/admin/products/import", owner | marketer, h.importProducts},
		{"GET", "/admin/products/sku/{sku}", anyRole, h.showProduct}, // read-only unless owner or marketer
		{"POST", "/admin/products/sku/{sku}", owner | marketer, h.saveProduct},
	}
}

// productPageSize is how many products a list page shows.
const productPageSize = 50

// canEditProducts reports whether the visitor may change the catalogue.
func canEditProducts(v *visit) bool {
	return (owner | marketer).allows(v.Session.User.Role)
}

// productURL is the page of a product.
func productURL(sku string) string { return "/admin/products/sku/" + url.PathEscape(sku) }

// productsView is a page of the catalogue.
type productsView struct {
	page
	Items   []productRow
	Query   string
	NextURL string
	First   string // the first page of this search, when not on it
	CanEdit bool
}

// productRow is a product with its page.
type productRow struct {
	product.Product
	URL  string
	Days string // consumption days; empty for durables
}

type productCursor struct {
	SKU string `json:"s"`
}

func (h *Handler) listProducts(w http.ResponseWriter, r *http.Request, v *visit) error {
	var cur productCursor
	onLater, err := httpx.DecodeCursor(r, &cur)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		q = string([]rune(q)[:100])
	}
	items, more, err := h.Products.List(r.Context(), product.ListParams{ShopID: v.Shop.ID, Query: q, AfterSKU: cur.SKU, Limit: productPageSize})
	if err != nil {
		return err
	}
	pv := productsView{page: h.newPage(r, v, "products.title", "nav.products"), Query: q, CanEdit: canEditProducts(v)}
	for _, p := range items {
		row := productRow{Product: p, URL: productURL(p.SKU)}
		if p.ConsumptionDays != nil {
			row.Days = strconv.Itoa(*p.ConsumptionDays)
		}
		pv.Items = append(pv.Items, row)
	}
	base := url.Values{}
	if q != "" {
		base.Set("q", q)
	}
	if more {
		next := url.Values{"cursor": {httpx.EncodeCursor(productCursor{SKU: items[len(items)-1].SKU})}}
		if q != "" {
			next.Set("q", q)
		}
		pv.NextURL = "/admin/products?" + next.Encode()
	}
	if onLater {
		pv.First = "/admin/products"
		if q != "" {
			pv.First += "?" + base.Encode()
		}
	}
	return h.render(w, http.StatusOK, "products_list", pv)
}

// productForm is the edit form's values, as typed.
type productForm struct {
	SKU, Name, Category, Price, Goal, Guide, ConsumptionDays, RelatedSKUs, UpgradeSKU string
}

// productFormOf fills the form from a stored product.
func productFormOf(p product.Product) productForm {
	f := productForm{SKU: p.SKU, Name: p.Name, Category: p.Category, Price: strconv.FormatInt(p.Price, 10), Goal: p.Goal,
		Guide: p.Guide, RelatedSKUs: strings.Join(p.RelatedSKUs, "\n"), UpgradeSKU: p.UpgradeSKU}
	if p.ConsumptionDays != nil {
		f.ConsumptionDays = strconv.Itoa(*p.ConsumptionDays)
	}
	return f
}

// productView is the product form: new, edit, or read-only.
type productView struct {
	page
	Form     productForm
	Product  *product.Product // nil for a new one
	Errors   map[string]string
	New      bool
	ReadOnly bool
	Action   string
}

func (h *Handler) productView(r *http.Request, v *visit, titleKey string) productView {
	return productView{page: h.newPage(r, v, titleKey, "nav.products")}
}

func (h *Handler) newProductForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	pv := h.productView(r, v, "products.new")
	pv.New, pv.Action = true, "/admin/products"
	return h.render(w, http.StatusOK, "products_edit", pv)
}

func (h *Handler) showProduct(w http.ResponseWriter, r *http.Request, v *visit) error {
	p, err := h.Products.BySKU(r.Context(), v.Shop.ID, r.PathValue("sku"))
	if err != nil {
		return err
	}
	pv := h.productView(r, v, "products.edit")
	pv.Title = p.Name
	pv.Form, pv.Product, pv.ReadOnly, pv.Action = productFormOf(p), &p, !canEditProducts(v), productURL(p.SKU)
	return h.render(w, http.StatusOK, "products_edit", pv)
}

// maxProductForm bounds the product form: a guide of 20,000 Japanese
// characters is about 180 KB once URL-encoded.
const maxProductForm = 512 << 10

// readProductForm reads the form into the API's Details; problems of the
// form itself (a number that is not one) are returned by field, as the
// domain's validation reports its own.
func readProductForm(r *http.Request, w http.ResponseWriter) (productForm, product.Details, errs.Fields, error) {
	f, err := readFormMax(w, r, maxProductForm)
	if err != nil {
		return productForm{}, product.Details{}, nil, err
	}
	in, err := fields(f, "sku", "name", "category", "price", "goal", "guide", "consumption_days", "related_skus", "upgrade_sku")
	if err != nil {
		return productForm{}, product.Details{}, nil, err
	}
	pf := productForm{SKU: in["sku"], Name: in["name"], Category: in["category"], Price: in["price"], Goal: in["goal"],
		Guide: in["guide"], ConsumptionDays: in["consumption_days"], RelatedSKUs: in["related_skus"], UpgradeSKU: in["upgrade_sku"]}
	d := product.Details{Name: pf.Name, Category: pf.Category, Goal: pf.Goal, Guide: pf.Guide, UpgradeSKU: pf.UpgradeSKU}
	var bad errs.Fields
	if s := strings.ReplaceAll(pf.Price, ",", ""); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil {
			bad.Add("price", "a whole number of yen from 0 to 1,000,000,000,000")
		} else {
			d.Price = &n
		}
	}
	if pf.ConsumptionDays != "" {
		if n, err := strconv.Atoi(pf.ConsumptionDays); err != nil {
			bad.Add("consumption_days", "a whole number of days from 1 to 3650, or null for durables")
		} else {
			d.ConsumptionDays = &n
		}
	}
	// Related SKUs: one a line, or separated by commas, spaces or | (as in the CSV).
	d.RelatedSKUs = strings.FieldsFunc(pf.RelatedSKUs, func(c rune) bool {
		return c == ',' || c == '|' || c == '、' || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '　'
	})
	return pf, d, bad, nil
}

// productErrors translates validation problems by form field: the
// problems of single related SKUs ("related_skus.3") are shown at the
// related SKUs field, naming the SKU.
func productErrors(l Lang, d product.Details, err error) (map[string]string, bool) {
	var e *errs.Error
	if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) || len(e.Fields) == 0 {
		return nil, false
	}
	out := map[string]string{}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		msg := productProblem(l, e.Fields[k])
		if rest, ok := strings.CutPrefix(k, "related_skus."); ok {
			if i, err := strconv.Atoi(rest); err == nil && i < len(d.RelatedSKUs) {
				msg = d.RelatedSKUs[i] + ": " + msg
			}
			k = "related_skus"
		}
		if out[k] != "" {
			out[k] += " / " + msg
		} else {
			out[k] = msg
		}
	}
	return out, true
}

// productProblem translates a product validation problem: the products'
// own texts first, then the shared ones.
func productProblem(l Lang, p string) string {
	if s, ok := catalogue[l.Code]["products.problem."+p]; ok {
		return s
	}
	return l.Problem(p)
}

// productFieldsErr joins form problems into a validation error.
func productFieldsErr(f errs.Fields) error {
	if len(f) == 0 {
		return nil
	}
	return f.Err()
}

func (h *Handler) createProduct(w http.ResponseWriter, r *http.Request, v *visit) error {
	pf, d, bad, err := readProductForm(r, w)
	if err != nil {
		return err
	}
	sku := pf.SKU
	err = productFieldsErr(bad)
	if err == nil {
		err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
			if product.ValidSKU(sku) {
				have, err := h.Products.BySKUs(r.Context(), tx, v.Shop.ID, []string{sku})
				if err != nil {
					return err
				}
				if _, ok := have[sku]; ok {
					return errs.Invalid("sku", "already in the catalogue")
				}
			}
			if _, _, err := h.Products.PutTx(r.Context(), tx, v.Shop.ID, sku, d); err != nil {
				return err
			}
			return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "product.create", "product", sku)
		})
	}
	if fe, ok := productErrors(v.L, d, err); ok {
		pv := h.productView(r, v, "products.new")
		pv.New, pv.Action, pv.Form, pv.Errors = true, "/admin/products", pf, fe
		return h.render(w, http.StatusUnprocessableEntity, "products_edit", pv)
	}
	if err != nil {
		return err
	}
	h.flash(w, "flash.product_created")
	return seeOther(w, r, productURL(sku))
}

// saveProduct replaces an existing product with the form, exactly as PUT
// /api/v1/products/{sku} would; on a problem nothing is stored.
func (h *Handler) saveProduct(w http.ResponseWriter, r *http.Request, v *visit) error {
	old, err := h.Products.BySKU(r.Context(), v.Shop.ID, r.PathValue("sku"))
	if err != nil {
		return err
	}
	pf, d, bad, err := readProductForm(r, w)
	if err != nil {
		return err
	}
	pf.SKU = old.SKU // the SKU is the product's key: not editable
	err = productFieldsErr(bad)
	if err == nil {
		err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
			have, err := h.Products.BySKUs(r.Context(), tx, v.Shop.ID, []string{old.SKU})
			if err != nil {
				return err
			}
			if _, ok := have[old.SKU]; !ok {
				return errs.NotFound("product_not_found", "product not found")
			}
			if _, _, err := h.Products.PutTx(r.Context(), tx, v.Shop.ID, old.SKU, d); err != nil {
				return err
			}
			return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "product.update", "product", old.SKU)
		})
	}
	if fe, ok := productErrors(v.L, d, err); ok {
		pv := h.productView(r, v, "products.edit")
		pv.Title = old.Name
		pv.Form, pv.Product, pv.Errors, pv.Action = pf, &old, fe, productURL(old.SKU)
		return h.render(w, http.StatusUnprocessableEntity, "products_edit", pv)
	}
	if err != nil {
		return err
	}
	h.flash(w, "flash.saved")
	return seeOther(w, r, productURL(old.SKU))
}

// productImportView is the CSV upload form and, after an upload, its report.
type productImportView struct {
	page
	Columns string
	Error   string
	Report  *product.ImportReport
	Rows    []productImportRow
}

// productImportRow is a rejected row with its problems translated, in column order.
type productImportRow struct {
	Row      int
	Problems []productImportProblem
}

type productImportProblem struct{ Column, Text string }

func (h *Handler) productImportView(r *http.Request, v *visit) productImportView {
	return productImportView{page: h.newPage(r, v, "products.import", "nav.products"), Columns: strings.Join(product.CSVColumns, ",")}
}

func (h *Handler) importProductsForm(w http.ResponseWriter, r *http.Request, v *visit) error {
	return h.render(w, http.StatusOK, "products_import", h.productImportView(r, v))
}

// maxProductImportForm bounds the upload: the CSV and the form around it.
const maxProductImportForm = product.MaxCSV + 64<<10

// importProducts takes a CSV as a multipart upload (field "file") and
// imports it as POST /api/v1/products/import does: good rows created or
// replaced, bad rows skipped and listed, a wrong header importing nothing.
func (h *Handler) importProducts(w http.ResponseWriter, r *http.Request, v *visit) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return errs.Malformed("malformed_form", "the form could not be read")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxProductImportForm)
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.Malformed("malformed_form", "the form could not be read")
	}
	var b []byte
	found := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.New(errs.ErrTooLarge, "body_too_large", "the CSV is over 10 MiB")
		}
		if err != nil {
			return errs.Malformed("malformed_form", "the form could not be read")
		}
		if part.FormName() != "file" || found {
			_ = part.Close()
			continue
		}
		found = true
		b, err = io.ReadAll(io.LimitReader(part, product.MaxCSV+1))
		_ = part.Close()
		if errors.As(err, &mbe) || len(b) > product.MaxCSV {
			return errs.New(errs.ErrTooLarge, "body_too_large", "the CSV is over 10 MiB")
		}
		if err != nil {
			return errs.Malformed("malformed_form", "the form could not be read")
		}
	}
	iv := h.productImportView(r, v)
	if !found || len(b) == 0 {
		iv.Error = v.L.T("products.import.choose")
		return h.render(w, http.StatusUnprocessableEntity, "products_import", iv)
	}
	rep, err := h.Products.Import(r.Context(), v.Shop.ID, b)
	var e *errs.Error
	if errors.As(err, &e) && errors.Is(err, errs.ErrMalformed) {
		// A wrong header or encoding: nothing was imported.
		iv.Error = v.L.T("products.import.bad_file") + " " + e.Message
		return h.render(w, http.StatusUnprocessableEntity, "products_import", iv)
	}
	if err != nil {
		return err
	}
	// The import writes in chunks of its own; its entry follows it.
	err = h.DB.InTx(r.Context(), func(tx *db.Tx) error {
		return h.audit(r, tx, v.Shop.ID, v.Session.User.ID, "product.import", "product", "")
	})
	if err != nil {
		return err
	}
	iv.Report = &rep
	order := map[string]int{"row": -1}
	for i, c := range product.CSVColumns {
		order[c] = i
	}
	for _, rr := range rep.Errors {
		row := productImportRow{Row: rr.Row}
		for col, p := range rr.Fields {
			row.Problems = append(row.Problems, productImportProblem{Column: col, Text: productProblem(v.L, p)})
		}
		sort.Slice(row.Problems, func(i, j int) bool {
			a, b := row.Problems[i].Column, row.Problems[j].Column
			if order[strings.Split(a, ".")[0]] != order[strings.Split(b, ".")[0]] {
				return order[strings.Split(a, ".")[0]] < order[strings.Split(b, ".")[0]]
			}
			return a < b
		})
		iv.Rows = append(iv.Rows, row)
	}
	return h.render(w, http.StatusOK, "products_import", iv)
}

// yen formats a price: ¥2,800.
func yen(l Lang, n int64) string { return "¥" + l.Num(int(n)) }

// Yen formats a price in the list.
func (pv productsView) Yen(n int64) string { return yen(pv.L, n) }

// Yen formats a price on the product page.
func (pv productView) Yen(n int64) string { return yen(pv.L, n) }
