// Package pages serves the public pages a shop's customers see on their
// phones (SPEC §3 C3 C8, §7 public pages): the digital receipt /r/{token},
// the survey /s/{token}, preferences /p/{token}, one-click unsubscribe
// /u/{token} (RFC 8058), the contact form /contact/{shop}, the notice
// acknowledgement /a/{token} and the click redirect /k/{token}.
//
// It is an edge package, like api: handlers verify the token, call domain
// services and render html/template pages from an embedded FS. Japanese
// first, English by the customer's locale or ?lang=; one stylesheet served
// at a content-hashed URL; no script, no external asset, no cookie.
//
// Decisions:
//   - Tokens: receipt and survey name the order; preferences and
//     unsubscribe name the customer (message links are signed that way), or
//     for unsubscribe "<customer id>:<channel>" to withdraw one channel;
//     ack names the message; click names "<message id>.<n>". Anything that
//     does not verify, of another purpose, expired, or naming something
//     gone, gets the same friendly 404 page.
//   - One-click unsubscribe withdraws every push channel (email, sms, line,
//     postal, phone) unless the token names one: the customer clicked "stop"
//     in a message whose link speaks for the shop as a whole. Channels
//     already withdrawn are left alone, so a repeat changes nothing.
//     Transactional messages (receipts, recalls) still reach them.
//   - GET never changes anything except /k/ (a click is the visit itself):
//     unsubscribe and acknowledgement confirm with one button, because mail
//     scanners fetch links.
//   - POST routes are behind http.CrossOriginProtection, except POST /u/,
//     which mail providers send without browser headers (RFC 8058); its
//     token is its authority and it only ever withdraws consent.
//   - The contact form needs no third party: a per-IP rate limit, a
//     honeypot field, a signed form token at least 3 s and at most 1 day
//     old (measured on the app's clock), and body limits. A visitor who
//     came from a receipt (?r=<receipt token>) writes as that order's
//     customer; anyone else is the customer "web:<hash of email or phone>".
package pages
