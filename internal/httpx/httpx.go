// Package httpx is the HTTP edge shared by the API, the admin UI and the
// public pages: the adapter that turns handler errors into responses (the
// only place that maps error categories to status codes), JSON decoding with
// limits, request IDs, access logs without personal data, panic recovery
// and rate limiting. Domain packages never import it.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/kizukai/kizukai/internal/errs"
)

// MaxBody is the largest request body accepted anywhere (1 MiB).
const MaxBody = 1 << 20

// HandlerFunc is a handler that returns its error instead of writing it.
// After it writes a response it returns nil at once.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Adapter turns HandlerFuncs into http.Handlers.
type Adapter struct {
	Log *slog.Logger
}

// Handle adapts f: an error it returns is written as the JSON error object
// with the status of its category; unknown errors become 500 and are logged
// with the request ID (their text never reaches the client).
func (a Adapter) Handle(f HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			a.WriteError(w, r, err)
		}
	})
}

// ErrorBody is the JSON error object of the API.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// Status returns the HTTP status for err's category.
func Status(err error) int {
	switch {
	case errors.Is(err, errs.ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, errs.ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, errs.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, errs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, errs.ErrGone):
		return http.StatusGone
	case errors.Is(err, errs.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, errs.ErrInvalid):
		return http.StatusUnprocessableEntity
	case errors.Is(err, errs.ErrRateLimited):
		return http.StatusTooManyRequests
	case errors.Is(err, errs.ErrUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// WriteError writes err as the JSON error object.
func (a Adapter) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	body := ErrorBody{Error: ErrorDetail{RequestID: RequestID(r.Context())}}
	var e *errs.Error
	switch {
	case status == http.StatusInternalServerError:
		body.Error.Code, body.Error.Message = "internal", "something went wrong on our side; the request ID helps us find it"
		if a.Log != nil {
			a.Log.ErrorContext(r.Context(), "request failed", "request_id", body.Error.RequestID, "route", r.Pattern, "err", err)
		}
	case errors.As(err, &e):
		body.Error.Code, body.Error.Message, body.Error.Fields = e.Code, e.Message, e.Fields
	default:
		body.Error.Code, body.Error.Message = strings.ReplaceAll(http.StatusText(status), " ", "_"), http.StatusText(status)
		body.Error.Code = strings.ToLower(body.Error.Code)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	_ = WriteJSON(w, status, body) // the client is gone if this fails
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// DecodeJSON reads the body of r into v: at most MaxBody bytes (413 past
// that), one JSON value, no unknown fields (400 naming the field).
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return DecodeJSONLimit(w, r, v, MaxBody)
}

// DecodeJSONLimit is DecodeJSON with another size limit.
func DecodeJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return errs.New(errs.ErrMalformed, "unsupported_media_type", "send the body as application/json")
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return errs.Malformed("malformed_json", "the body must hold exactly one JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return errs.New(errs.ErrTooLarge, "body_too_large", fmt.Sprintf("the body is over %d bytes", mbe.Limit))
	case errors.Is(err, io.EOF):
		return errs.Malformed("empty_body", "the body is empty; send a JSON object")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return errs.Malformed("malformed_json", "the body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &errs.Error{Kind: errs.ErrMalformed, Code: "malformed_json", Message: "a field has the wrong JSON type",
			Fields: map[string]string{field: "must be " + jsonKind(typ.Type.Kind().String())}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &errs.Error{Kind: errs.ErrMalformed, Code: "unknown_field", Message: "the body has a field this endpoint does not know",
			Fields: map[string]string{field: "unknown field"}}
	}
	return errs.Malformed("malformed_json", "the body could not be read as JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	if strings.HasPrefix(goKind, "int") || strings.HasPrefix(goKind, "uint") || strings.HasPrefix(goKind, "float") {
		return "a number"
	}
	return "another type"
}
