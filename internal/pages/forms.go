package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
)

// maxForm bounds every page form's body (the contact form's message is the
// largest field: 5,000 characters of up to 4 bytes).
const maxForm = 32 << 10

// readForm parses an urlencoded or multipart body of at most maxForm bytes
// (a larger one is a 413 page).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	ct := r.Header.Get("Content-Type")
	var err error
	if strings.HasPrefix(ct, "multipart/form-data") {
		err = r.ParseMultipartForm(maxForm)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		if strings.Contains(err.Error(), "too large") {
			return nil, errs.New(errs.ErrTooLarge, "body_too_large", "the form is too large")
		}
		return nil, errs.Malformed("malformed_form", "the form could not be read")
	}
	return r.PostForm, nil
}

// single returns the one value of a form field: "" when absent, ok=false
// when the field is repeated or not valid UTF-8 (a browser never sends
// either for our forms).
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

// intField reads an optional whole number in [lo, hi].
func intField(f url.Values, fields *errs.Fields, name string, lo, hi int, required bool) *int {
	s, ok := single(f, name)
	s = strings.TrimSpace(s)
	if !ok {
		fields.Add(name, "invalid")
		return nil
	}
	if s == "" {
		if required {
			fields.Add(name, "required")
		}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		fields.Add(name, "out of range")
		return nil
	}
	return &n
}
