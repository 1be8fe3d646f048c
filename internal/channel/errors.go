package channel

import "errors"

// Class is the kind of a send failure.
type Class int

// The classes of send failures.
const (
	// ClassRetryable: nothing was accepted; try again later.
	ClassRetryable Class = iota
	// ClassPermanent: the provider refused the message; retrying cannot help.
	ClassPermanent
	// ClassAmbiguous: the request reached the provider and the reply was
	// lost (a timeout after the request was written, a 5xx from a provider
	// that may have acted on it); the message may have been accepted.
	ClassAmbiguous
)

// String returns "retryable", "permanent" or "ambiguous".
func (c Class) String() string {
	switch c {
	case ClassPermanent:
		return "permanent"
	case ClassAmbiguous:
		return "ambiguous"
	default:
		return "retryable"
	}
}

// classified wraps an error with its class; the text is the wrapped one.
type classified struct {
	class Class
	err   error
}

func (e *classified) Error() string { return e.err.Error() }
func (e *classified) Unwrap() error { return e.err }

func classify(c Class, err error) error {
	if err == nil {
		return nil
	}
	return &classified{class: c, err: err}
}

// Retryable marks err as temporary: nothing was accepted. It returns nil
// for a nil err.
func Retryable(err error) error { return classify(ClassRetryable, err) }

// Permanent marks err as a refusal that retrying cannot change. It returns
// nil for a nil err.
func Permanent(err error) error { return classify(ClassPermanent, err) }

// Ambiguous marks err as an unknown outcome: the provider may have accepted
// the message. It returns nil for a nil err.
func Ambiguous(err error) error { return classify(ClassAmbiguous, err) }

// ClassOf returns the class of err: the outermost classification in its
// chain, or ClassRetryable when it has none. It must not be called with nil.
func ClassOf(err error) Class {
	var c *classified
	if errors.As(err, &c) {
		return c.class
	}
	return ClassRetryable
}

// IsRetryable reports whether err is a failure that is safe to retry:
// marked Retryable, or not classified at all. Ambiguous failures are not
// (see IsAmbiguous). It is false for nil.
func IsRetryable(err error) bool { return err != nil && ClassOf(err) == ClassRetryable }

// IsPermanent reports whether err is marked Permanent.
func IsPermanent(err error) bool { return err != nil && ClassOf(err) == ClassPermanent }

// IsAmbiguous reports whether err is marked Ambiguous: retry it only when
// the Sender Dedupes, or when a duplicate is acceptable for the purpose.
func IsAmbiguous(err error) bool { return err != nil && ClassOf(err) == ClassAmbiguous }

// SafeToRetry reports whether a failed send of s may be retried without
// risking a second delivery: Retryable failures always, Ambiguous ones only
// when s Dedupes.
func SafeToRetry(s Sender, err error) bool {
	switch {
	case err == nil || IsPermanent(err):
		return false
	case IsAmbiguous(err):
		return s.Dedupes()
	default:
		return true
	}
}
