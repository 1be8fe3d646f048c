package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/product"
)

func (h *Handler) productRoutes() []route {
	return []route{
		{method: "PUT", path: "/products/{sku}", h: h.putProduct,
			doc: op{summary: "Create (201) or replace (200) a product by SKU: 1 to 64 letters, digits, '-', '_' or '.'", tag: "products",
				body: product.Details{}, resp: product.Product{}, status: http.StatusCreated, errors: []int{422}}},
		{method: "GET", path: "/products/{sku}", h: h.showProduct,
			doc: op{summary: "A product", tag: "products", resp: product.Product{}, errors: []int{404}}},
		{method: "GET", path: "/products", h: h.listProducts,
			doc: op{summary: "Products by SKU", tag: "products", resp: httpx.List[product.Product]{},
				query: []param{{"category", "only this category"}, {"limit", "1 to 200 (default 50)"}, {"cursor", "next_cursor of the previous page"}}}},
		{method: "POST", path: "/products/import", h: h.importProducts,
			doc: op{summary: "Import products from a CSV (Content-Type: text/csv; UTF-8 with or without BOM, or Shift_JIS/CP932; at most 10 MiB). " +
				"Header: " + strings.Join(product.CSVColumns, ",") + " (sku and name required, any order; related_skus separated by |). " +
				"Good rows are created or replaced, bad rows skipped and reported; a wrong header (400) imports nothing.",
				tag: "products", resp: product.ImportReport{}, errors: []int{413}}},
	}
}

func (h *Handler) putProduct(w http.ResponseWriter, r *http.Request) error {
	var d product.Details
	if err := httpx.DecodeJSON(w, r, &d); err != nil {
		return err
	}
	p, created, err := h.Products.Put(r.Context(), shopFrom(r.Context()).ID, r.PathValue("sku"), d)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return httpx.WriteJSON(w, status, p)
}

func (h *Handler) showProduct(w http.ResponseWriter, r *http.Request) error {
	p, err := h.Products.BySKU(r.Context(), shopFrom(r.Context()).ID, r.PathValue("sku"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, p)
}

type productCursor struct {
	SKU string `json:"s"`
}

func (h *Handler) listProducts(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		return err
	}
	var cur productCursor
	if _, err := httpx.DecodeCursor(r, &cur); err != nil {
		return err
	}
	items, more, err := h.Products.List(r.Context(), product.ListParams{ShopID: shopFrom(r.Context()).ID,
		Category: strings.TrimSpace(r.URL.Query().Get("category")), AfterSKU: cur.SKU, Limit: limit})
	if err != nil {
		return err
	}
	out := httpx.List[product.Product]{Items: items}
	if more {
		out.NextCursor = httpx.EncodeCursor(productCursor{SKU: items[len(items)-1].SKU})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

// importProducts takes the same CSV media types as the customer import
// (csvTypes in customers.go).
func (h *Handler) importProducts(w http.ResponseWriter, r *http.Request) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || !csvTypes[mt] {
		return errs.New(errs.ErrMalformed, "unsupported_media_type", "send the body as text/csv")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, product.MaxCSV))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errs.New(errs.ErrTooLarge, "body_too_large", "the CSV is over 10 MiB; split it")
	case err != nil:
		return errs.Malformed("unreadable_body", "the body could not be read")
	}
	res, err := h.Products.Import(r.Context(), shopFrom(r.Context()).ID, b)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, res)
}
