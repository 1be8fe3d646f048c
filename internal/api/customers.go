package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
)

func (h *Handler) customerRoutes() []route {
	const tag = "customers"
	return []route{
		{method: "POST", path: "/customers", h: h.upsertCustomer,
			doc: op{summary: "Create or update a customer by external_id (201 created, 200 updated); absent fields keep their value",
				tag: tag, body: customer.Input{}, resp: customer.Customer{}, status: http.StatusCreated, errors: []int{422}}},
		{method: "GET", path: "/customers", h: h.listCustomers,
			doc: op{summary: "List customers in ID order", tag: tag, resp: httpx.List[customer.Customer]{}, errors: []int{422},
				query: []param{
					{"external_id", "exact external_id"},
					{"q", "case-insensitive part of name, email, phone or external_id"},
					{"tag", "has this tag"},
					{"band", "freshness band: fresh, cooling, stale or lost"},
					{"limit", "1 to 200, default 50"},
					{"cursor", "next_cursor of the previous page"},
				}}},
		// A literal segment wins over {id} in ServeMux, so export.csv never
		// reaches showCustomer.
		{method: "GET", path: "/customers/export.csv", h: h.exportCustomersCSV,
			doc: op{summary: "All customers as CSV (text/csv, UTF-8 with BOM, formula-safe cells)", tag: tag}},
		{method: "POST", path: "/customers/import", h: h.importCustomers,
			doc: op{summary: "Import customers from CSV (body text/csv, UTF-8 or Shift_JIS, at most 10 MiB and 50,000 rows); " +
				"bad rows are reported and skipped", tag: tag, resp: customer.ImportResult{}, errors: []int{413}}},
		{method: "GET", path: "/customers/{id}", h: h.showCustomer,
			doc: op{summary: "Show a customer", tag: tag, resp: customer.Customer{}, errors: []int{404}}},
		{method: "PATCH", path: "/customers/{id}", h: h.updateCustomer,
			doc: op{summary: "Change some fields of a customer (external_id cannot change)", tag: tag,
				body: customer.Input{}, resp: customer.Customer{}, errors: []int{404, 422}}},
		{method: "DELETE", path: "/customers/{id}", h: h.eraseCustomer,
			doc: op{summary: "Erase a customer's personal data (APPI); orders and aggregates are kept", tag: tag,
				status: http.StatusNoContent, errors: []int{404}}},
		{method: "GET", path: "/customers/{id}/export", h: h.exportCustomer,
			doc: op{summary: "Everything held on a customer (APPI disclosure)", tag: tag, resp: customer.Export{}, errors: []int{404}}},
		{method: "GET", path: "/customers/{id}/timeline", h: h.customerTimeline,
			doc: op{summary: "A customer's events, newest first", tag: tag, resp: httpx.List[timelineItem]{}, errors: []int{404},
				query: []param{{"limit", "1 to 200, default 50"}, {"cursor", "next_cursor of the previous page"}}}},
		{method: "PUT", path: "/customers/{id}/consents/{channel}", h: h.setConsent,
			doc: op{summary: "Record a consent change on one channel (email, sms, line, postal, phone); history is kept", tag: tag,
				body: customer.ConsentInput{}, resp: customer.Customer{}, errors: []int{404, 422}}},
	}
}

func (h *Handler) upsertCustomer(w http.ResponseWriter, r *http.Request) error {
	var in customer.Input
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c, created, err := h.Customers.Upsert(r.Context(), shopFrom(r.Context()).ID, in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return httpx.WriteJSON(w, status, c)
}

type customerCursor struct {
	After string `json:"a"`
}

func (h *Handler) listCustomers(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		return err
	}
	var cur customerCursor
	if _, err := httpx.DecodeCursor(r, &cur); err != nil {
		return err
	}
	q := r.URL.Query()
	items, more, err := h.Customers.List(r.Context(), customer.ListParams{
		ShopID: shopFrom(r.Context()).ID, ExternalID: q.Get("external_id"), Query: q.Get("q"),
		Tag: q.Get("tag"), Band: q.Get("band"), AfterID: cur.After, Limit: limit,
	})
	if err != nil {
		return err
	}
	out := httpx.List[customer.Customer]{Items: items}
	if out.Items == nil {
		out.Items = []customer.Customer{}
	}
	if more {
		out.NextCursor = httpx.EncodeCursor(customerCursor{After: items[len(items)-1].ID})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) showCustomer(w http.ResponseWriter, r *http.Request) error {
	c, err := h.Customers.ByID(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, c)
}

func (h *Handler) updateCustomer(w http.ResponseWriter, r *http.Request) error {
	var in customer.Input
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := h.Customers.Update(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, c)
}

func (h *Handler) eraseCustomer(w http.ResponseWriter, r *http.Request) error {
	if err := h.Customers.Erase(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) exportCustomer(w http.ResponseWriter, r *http.Request) error {
	x, err := h.Customers.Export(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, x)
}

// timelineItem is one event on a customer's timeline.
type timelineItem struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
}

type timelineCursor struct {
	Before   time.Time `json:"t"`
	BeforeID string    `json:"i"`
}

func (h *Handler) customerTimeline(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		return err
	}
	var cur timelineCursor
	if _, err := httpx.DecodeCursor(r, &cur); err != nil {
		return err
	}
	evs, more, err := h.Customers.Timeline(r.Context(), customer.TimelineParams{
		ShopID: shopFrom(r.Context()).ID, CustomerID: r.PathValue("id"),
		Before: cur.Before, BeforeID: cur.BeforeID, Limit: limit,
	})
	if err != nil {
		return err
	}
	out := httpx.List[timelineItem]{Items: make([]timelineItem, len(evs))}
	for i, e := range evs {
		out.Items[i] = timelineItem{ID: e.ID, Type: e.Type, OccurredAt: e.OccurredAt, Data: e.Data}
	}
	if more {
		last := evs[len(evs)-1]
		out.NextCursor = httpx.EncodeCursor(timelineCursor{Before: last.OccurredAt, BeforeID: last.ID})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) setConsent(w http.ResponseWriter, r *http.Request) error {
	var in customer.ConsentInput
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := h.Customers.SetConsent(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"), r.PathValue("channel"), in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, c)
}

// csvTypes are the media types accepted as a CSV upload (browsers and
// Excel label CSV files inconsistently).
var csvTypes = map[string]bool{"text/csv": true, "application/csv": true, "text/plain": true,
	"application/vnd.ms-excel": true, "application/octet-stream": true}

func (h *Handler) importCustomers(w http.ResponseWriter, r *http.Request) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || !csvTypes[mt] {
		return errs.New(errs.ErrMalformed, "unsupported_media_type", "send the body as text/csv")
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, customer.MaxImportBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.New(errs.ErrTooLarge, "body_too_large", "the CSV is over 10 MiB; split it")
		}
		return errs.Malformed("unreadable_body", "the body could not be read")
	}
	res, err := h.Customers.ImportCSV(r.Context(), shopFrom(r.Context()).ID, data)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, res)
}

func (h *Handler) exportCustomersCSV(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := &countingWriter{w: w}
	err := h.Customers.WriteCSV(r.Context(), shopFrom(r.Context()).ID, cw)
	if err != nil && cw.n > 0 {
		// The status and part of the file are out: an error body would be
		// appended to the CSV. Log, then abort the connection so that the
		// client sees a broken download rather than a short, valid-looking one.
		h.Log.ErrorContext(r.Context(), "customer csv export failed", "request_id", httpx.RequestID(r.Context()), "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
