// Package line sends messages as LINE Messaging API pushes with the
// official SDK (github.com/line/line-bot-sdk-go/v8), and parses the LINE
// webhook for the pipeline (follow, unfollow, text messages).
//
// Invariants:
//   - Every push carries X-Line-Retry-Key = RetryKey(message id), a UUID
//     derived deterministically from the id, so every retry of a message
//     reuses it and LINE accepts the message at most once; LINE answers a
//     repeat with 409, which Send treats as success. Dedupes() is true.
//     LINE does not say how long it remembers a key: retry within minutes.
//   - The webhook body is read through http.MaxBytesReader before the SDK
//     sees it (the SDK reads without a limit), the X-Line-Signature is always
//     checked (never the SDK's SkipSignatureValidation), and parse errors
//     never carry the body (the SDK's own unmarshal error quotes all of it).
//   - Error texts hold status codes only: never a user ID, a message text or
//     LINE's reply body. Message texts from customers are personal data:
//     callers must not log Event.Text.
//
// It is a leaf: it imports channel and errs, never a domain package, and
// does no logging.
package line
