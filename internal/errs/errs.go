// Package errs holds the error categories every layer shares.
//
// Domain code returns an *Error (or wraps a category sentinel); httpx maps
// the category to an HTTP status in exactly one place. Messages here are for
// people: they never contain personal data or internal detail. The package
// imports nothing from the project.
package errs

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Category sentinels. Match them with errors.Is.
var (
	ErrInvalid      = errors.New("invalid")      // 422: well-formed but fails validation
	ErrMalformed    = errors.New("malformed")    // 400: cannot be parsed
	ErrUnauthorized = errors.New("unauthorized") // 401
	ErrForbidden    = errors.New("forbidden")    // 403
	ErrNotFound     = errors.New("not found")    // 404, also for another shop's objects
	ErrConflict     = errors.New("conflict")     // 409
	ErrGone         = errors.New("gone")         // 410
	ErrTooLarge     = errors.New("too large")    // 413
	ErrRateLimited  = errors.New("rate limited") // 429
	ErrUnavailable  = errors.New("unavailable")  // 503
)

// Error is a categorised error with a stable code, a human message and,
// for validation failures, a message per offending field.
type Error struct {
	Kind    error             // one of the category sentinels
	Code    string            // stable, machine-readable, snake_case
	Message string            // for people; no personal data
	Fields  map[string]string // field (JSON name, dotted for nesting) → problem
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Code + ": " + e.Message
	}
	keys := slices.Sorted(maps.Keys(e.Fields))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// Unwrap returns the category, so errors.Is(err, ErrNotFound) works.
func (e *Error) Unwrap() error { return e.Kind }

// New returns an error of the given category.
func New(kind error, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// NotFound returns a 404-category error such as ("customer_not_found", "customer not found").
func NotFound(code, message string) *Error { return New(ErrNotFound, code, message) }

// Conflict returns a 409-category error.
func Conflict(code, message string) *Error { return New(ErrConflict, code, message) }

// Malformed returns a 400-category error.
func Malformed(code, message string) *Error { return New(ErrMalformed, code, message) }

// Fields collects validation problems field by field.
// The zero value is ready to use.
type Fields map[string]string

// Add records a problem with field unless one is recorded already (the
// first problem found is the most useful one to show).
func (f *Fields) Add(field, problem string) {
	if *f == nil {
		*f = Fields{}
	}
	if _, ok := (*f)[field]; !ok {
		(*f)[field] = problem
	}
}

// Merge adds every problem of other under prefix (for nested objects).
func (f *Fields) Merge(prefix string, other Fields) {
	for k, v := range other {
		f.Add(prefix+k, v)
	}
}

// Err returns nil when no problem was recorded, else a validation *Error.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: ErrInvalid, Code: "validation_failed", Message: "some fields are invalid", Fields: f}
}

// Invalid returns a validation error naming one field.
func Invalid(field, problem string) *Error {
	return &Error{Kind: ErrInvalid, Code: "validation_failed", Message: "some fields are invalid", Fields: map[string]string{field: problem}}
}
