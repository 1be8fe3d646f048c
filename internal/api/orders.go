package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/httpx"
	"github.com/kizukai/kizukai/internal/order"
)

// maxBatchBody is the body limit of POST /orders/batch: 1000 orders with
// inline customers and several lines do not fit in the usual 1 MiB.
const maxBatchBody = 10 << 20

func (h *Handler) orderRoutes() []route {
	return []route{
		{method: "POST", path: "/orders", h: h.createOrder,
			doc: op{summary: "Ingest an order: 201 when new, 200 with the stored order when the same content was posted before, " +
				"409 order_conflict when the external_id exists with other content", tag: "orders",
				body: order.Submission{}, resp: order.Order{}, status: http.StatusCreated, errors: []int{409, 422}}},
		{method: "POST", path: "/orders/batch", h: h.createOrderBatch,
			doc: op{summary: "Ingest up to 1000 orders (body up to 10 MiB). Always 200 with one result per order, in order: " +
				"status 201 (created), 200 (same as before), 409 (order_conflict) or 422 (invalid, with error.fields). " +
				"A bad order never loses the good ones; an external_id repeated in the batch behaves like a re-post.",
				tag: "orders", body: batchRequest{}, resp: batchResponse{}, errors: []int{422}}},
		{method: "GET", path: "/orders/{id}", h: h.showOrder,
			doc: op{summary: "An order with its lines and receipt_url", tag: "orders", resp: order.Order{}, errors: []int{404}}},
		{method: "GET", path: "/orders", h: h.listOrders,
			doc: op{summary: "Orders, newest first", tag: "orders", resp: httpx.List[order.Order]{},
				query: []param{{"customer_id", "only this customer's orders"}, {"limit", "1 to 200 (default 50)"},
					{"cursor", "next_cursor of the previous page"}}}},
	}
}

func (h *Handler) createOrder(w http.ResponseWriter, r *http.Request) error {
	var sub order.Submission
	if err := httpx.DecodeJSON(w, r, &sub); err != nil {
		return err
	}
	o, created, err := h.Orders.Place(r.Context(), shopFrom(r.Context()).ID, sub)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return httpx.WriteJSON(w, status, o)
}

type batchRequest struct {
	Orders []json.RawMessage `json:"orders" openapi:"required" doc:"1 to 1000 order objects as POST /orders takes them"`
}

type batchResponse struct {
	Results []batchResult `json:"results"`
}

type batchResult struct {
	Index  int                `json:"index"`
	Status int                `json:"status" doc:"201, 200, 409 or 422, as POST /orders would answer"`
	Order  *order.Order       `json:"order,omitempty"`
	Error  *httpx.ErrorDetail `json:"error,omitempty"`
}

// createOrderBatch answers 200 with a status per order rather than 207
// Multi-Status: 207 is WebDAV's and tells clients nothing more.
func (h *Handler) createOrderBatch(w http.ResponseWriter, r *http.Request) error {
	var req batchRequest
	if err := httpx.DecodeJSONLimit(w, r, &req, maxBatchBody); err != nil {
		return err
	}
	switch {
	case len(req.Orders) > order.MaxBatch:
		return errs.New(errs.ErrTooLarge, "batch_too_large", "a batch holds at most 1000 orders; split it")
	case len(req.Orders) == 0:
		return errs.Invalid("orders", "at least one order")
	}
	results := make([]batchResult, len(req.Orders))
	subs := make([]order.Submission, 0, len(req.Orders))
	var at []int // index in req.Orders of each element of subs
	for i, raw := range req.Orders {
		results[i].Index = i
		var sub order.Submission
		if err := decodeStrict(raw, &sub); err != nil {
			results[i].Status, results[i].Error = itemError(err)
			continue
		}
		subs = append(subs, sub)
		at = append(at, i)
	}
	out, err := h.Orders.PlaceBatch(r.Context(), shopFrom(r.Context()).ID, subs)
	if err != nil {
		return err
	}
	for k, res := range out {
		br := &results[at[k]]
		switch {
		case res.Err != nil:
			br.Status, br.Error = itemError(res.Err)
		case res.Created:
			o := res.Order
			br.Status, br.Order = http.StatusCreated, &o
		default:
			o := res.Order
			br.Status, br.Order = http.StatusOK, &o
		}
	}
	return httpx.WriteJSON(w, http.StatusOK, batchResponse{Results: results})
}

// decodeStrict decodes one JSON value with no unknown fields; its errors
// are validation errors of the item (422), naming the field.
func decodeStrict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "order"
		}
		return errs.Invalid(field, "wrong JSON type")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errs.Invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
	}
	return errs.Invalid("order", "must be a JSON object")
}

// itemError turns an order's error into its status and error object.
// Only categorised errors reach here (PlaceBatch returns others whole).
func itemError(err error) (int, *httpx.ErrorDetail) {
	d := &httpx.ErrorDetail{Code: "invalid", Message: "invalid"}
	var e *errs.Error
	if errors.As(err, &e) {
		d.Code, d.Message, d.Fields = e.Code, e.Message, e.Fields
	}
	return httpx.Status(err), d
}

func (h *Handler) showOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := h.Orders.ByID(r.Context(), shopFrom(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, o)
}

type orderCursor struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

func (h *Handler) listOrders(w http.ResponseWriter, r *http.Request) error {
	limit, err := httpx.Limit(r, 50, 200)
	if err != nil {
		return err
	}
	var cur orderCursor
	if _, err := httpx.DecodeCursor(r, &cur); err != nil {
		return err
	}
	items, more, err := h.Orders.List(r.Context(), order.ListParams{ShopID: shopFrom(r.Context()).ID,
		CustomerID: strings.TrimSpace(r.URL.Query().Get("customer_id")), Before: cur.At, BeforeID: cur.ID, Limit: limit})
	if err != nil {
		return err
	}
	out := httpx.List[order.Order]{Items: items}
	if out.Items == nil {
		out.Items = []order.Order{}
	}
	if more {
		last := items[len(items)-1]
		out.NextCursor = httpx.EncodeCursor(orderCursor{At: last.OrderedAt, ID: last.ID})
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
