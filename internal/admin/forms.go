package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
)

// maxForm bounds every admin form's body (the largest is the shop profile).
const maxForm = 64 << 10

// readForm parses an urlencoded body of at most maxForm bytes (a larger
// one is a 413 page).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	return readFormMax(w, r, maxForm)
}

// readFormMax is readForm for a form with long texts (products,
// templates) and its own bound.
func readFormMax(w http.ResponseWriter, r *http.Request, limit int64) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errs.New(errs.ErrTooLarge, "body_too_large", "the form is too large")
		}
		return nil, errs.Malformed("malformed_form", "the form could not be read")
	}
	return r.PostForm, nil
}

// single returns the one value of a form field: "" when absent, ok=false
// when the field is repeated or not valid UTF-8 (a browser sends neither
// for our forms).
func single(f url.Values, name string) (string, bool) {
	vs := f[name]
	switch {
	case len(vs) == 0:
		return "", true
	case len(vs) > 1 || !utf8.ValidString(vs[0]):
		return "", false
	}
	return vs[0], true
}

// fields reads the named single fields, trimmed; a repeated or invalid
// one is a 400.
func fields(f url.Values, names ...string) (map[string]string, error) {
	out := make(map[string]string, len(names))
	for _, n := range names {
		s, ok := single(f, n)
		if !ok {
			return nil, errs.Malformed("malformed_form", "the form could not be read")
		}
		out[n] = strings.TrimSpace(s)
	}
	return out, nil
}

// fieldErrors turns a validation error into translated problems by field;
// ok is false when err is not a validation error.
func fieldErrors(l Lang, err error) (map[string]string, bool) {
	var e *errs.Error
	if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) || len(e.Fields) == 0 {
		return nil, false
	}
	out := make(map[string]string, len(e.Fields))
	for k, p := range e.Fields {
		out[k] = l.Problem(p)
	}
	return out, true
}
