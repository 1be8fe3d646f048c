// Package channel is the contract between the delivery pipeline and the
// providers that put a message in front of a customer: a Message to send, a
// Sender that sends it, a Receipt, and a classification of send errors.
//
// Each provider lives in its own package below this one (email, sms, line)
// and channeltest holds a recording fake for the pipeline's tests.
//
// Invariants:
//   - Message.ID is the message's idempotency key: a Sender that Dedupes
//     passes it (or a value derived from it deterministically) to the
//     provider, so a retry of the same message is accepted at most once.
//   - Every error a Sender returns is classified: Permanent (the provider
//     refused; retrying cannot help), Retryable (nothing was accepted; safe
//     to retry), or Ambiguous (the request was written and the outcome is
//     unknown: the provider may have accepted it). Unclassified errors count
//     as Retryable. Retrying an Ambiguous failure is safe only when the
//     Sender Dedupes; otherwise it may deliver the message twice.
//   - Error texts never contain personal data or message bodies: no address,
//     phone number, LINE user ID, subject, text, or provider reply body.
//
// The package must not import net/http, any provider package, or any
// domain package (message imports channel, never the reverse).
package channel
