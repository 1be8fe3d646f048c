package httpx

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/kizukai/kizukai/internal/errs"
)

// List is the JSON shape of every list response.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Limit reads the limit query parameter: def when absent, 1..max else 400.
func Limit(r *http.Request, def, max int) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > max {
		return 0, &errs.Error{Kind: errs.ErrMalformed, Code: "invalid_limit", Message: "limit must be a whole number from 1 to " + strconv.Itoa(max),
			Fields: map[string]string{"limit": "1 to " + strconv.Itoa(max)}}
	}
	return n, nil
}

// EncodeCursor turns a position (a small struct) into an opaque cursor.
func EncodeCursor(pos any) string {
	b, err := json.Marshal(pos)
	if err != nil {
		panic("httpx: cursor position does not marshal: " + err.Error()) // programmer error
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads the cursor query parameter into pos; absent leaves pos
// untouched and returns false.
func DecodeCursor(r *http.Request, pos any) (bool, error) {
	s := r.URL.Query().Get("cursor")
	if s == "" {
		return false, nil
	}
	bad := &errs.Error{Kind: errs.ErrMalformed, Code: "invalid_cursor", Message: "the cursor is not one this API gave out",
		Fields: map[string]string{"cursor": "use next_cursor from the previous page"}}
	if len(s) > 512 {
		return false, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, pos) != nil {
		return false, bad
	}
	return true, nil
}
