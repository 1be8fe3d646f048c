package sms

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
)

// Callback statuses of the generic gateway (SPEC §5).
const (
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Callback is a delivery-status report from the generic gateway.
type Callback struct {
	ID     string `json:"id"`     // the message id
	Status string `json:"status"` // StatusDelivered or StatusFailed
	Error  string `json:"error"`  // the gateway's reason for a failure; may be empty
}

// Limits of a callback's fields.
const (
	maxCallbackID    = 200
	maxCallbackError = 500
)

// VerifyCallback reports whether header is "sha256=" followed by the hex
// HMAC-SHA256 of body with secret, comparing in constant time. An empty
// secret verifies nothing.
func VerifyCallback(secret, body []byte, header string) bool {
	if len(secret) == 0 {
		return false
	}
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok || len(hexSig) != 2*sha256.Size {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	h := hmac.New(sha256.New, secret)
	h.Write(body)
	return hmac.Equal(got, h.Sum(nil))
}

// ParseCallback decodes a verified callback body: one JSON object with a
// message id, a status of delivered or failed and an optional error. Other
// fields are ignored (gateways add their own). Errors are errs categories
// (malformed: 400, invalid: 422) and never quote the body.
func ParseCallback(body []byte) (Callback, error) {
	var c Callback
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&c); err != nil || dec.Decode(&struct{}{}) != io.EOF {
		return Callback{}, errs.Malformed("malformed_callback", "the callback is not one JSON object of the documented shape")
	}
	var f errs.Fields
	switch {
	case c.ID == "":
		f.Add("id", "required")
	case len(c.ID) > maxCallbackID || !utf8.ValidString(c.ID):
		f.Add("id", "at most 200 bytes of UTF-8")
	}
	if c.Status != StatusDelivered && c.Status != StatusFailed {
		f.Add("status", "must be delivered or failed")
	}
	if !utf8.ValidString(c.Error) {
		f.Add("error", "must be UTF-8")
	}
	if err := f.Err(); err != nil {
		return Callback{}, err
	}
	if len(c.Error) > maxCallbackError {
		c.Error = strings.ToValidUTF8(c.Error[:maxCallbackError], "")
	}
	return c, nil
}
