// Package sms sends text messages through an SMS gateway: the generic HTTP
// webhook provider whose wire format SPEC §5 fixes (Generic), and Twilio's
// Messages API (Twilio). It also counts a body in segments (Segments) and
// checks and parses the providers' status callbacks for the pipeline's
// webhooks (VerifyCallback, ParseCallback, VerifyTwilioSignature,
// ParseTwilioCallback).
//
// Invariants:
//   - The generic provider sends the message id as Idempotency-Key and signs
//     the exact body bytes it sends; it Dedupes. Twilio does not deduplicate
//     sends (its docs: a retried 500 may deliver twice), so Twilio reports
//     Dedupes() == false and a 5xx or a lost reply is Ambiguous.
//   - A failure before the request was written is Retryable; after it, with
//     no reply, Ambiguous; a 4xx reply Permanent (except 408, 409 and 429,
//     which mean "not now"); a 5xx Retryable (generic) or Ambiguous (Twilio).
//   - Every request has a timeout. Signatures are compared in constant time,
//     and an empty secret verifies nothing.
//   - Error texts carry status codes and provider error codes only: never a
//     phone number, a body, or a gateway's reply text (Twilio's messages echo
//     the number).
//
// It is a leaf: it imports channel and errs, never a domain package, and
// does no logging.
package sms
