// Package email sends messages over SMTP (STARTTLS or implicit TLS, AUTH
// PLAIN) with github.com/wneessen/go-mail, and holds the pure HTML helpers
// the pipeline uses for open and click tracking (TrackLinks, OpenPixel).
//
// Invariants:
//   - Message-ID is derived from the message id alone, so a retry carries
//     the same Message-ID. SMTP does not deduplicate: Dedupes() is false,
//     and a connection lost after the final "." of DATA is Ambiguous.
//   - Every non-transactional email carries List-Unsubscribe: <url> and
//     List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058) and names
//     its sender in From; one without an unsubscribe URL or a sender name is
//     refused (Permanent), never sent. The labelling in the body (address,
//     contact, opt-out statement) is rendered by the message templates.
//   - No CR, LF or other control character from a subject, a name or an
//     extra header value reaches the wire: they are replaced before go-mail
//     encodes the header, so no input can create a header.
//   - SMTP replies are classified by code only: 5xx Permanent, 4xx and
//     connection failures Retryable. Error texts never carry the server's
//     reply text (it often quotes the recipient address) nor an address.
//
// It is a leaf: it imports channel, clock and errs, never a domain package,
// and does no logging.
package email
