// Package admin serves the staff's web UI under /admin/ (SPEC §3 C14 C17,
// §7 "Admin UI"): sign-in, the dashboard, settings, and the pages of each
// resource built on this foundation.
//
// It is an edge package, like api and pages: handlers read forms, call
// domain services (and the auth, audit and stats packages below it) and
// render html/template pages from an embedded FS, parsed at start-up (a
// missing template stops the boot). Japanese first, English by a switch
// kept in a cookie; one stylesheet at a content-hashed URL; no script, no
// external asset.
//
// routes.go lists every route with who may use it, on the same line; the
// handle adapter enforces it (403 page for a signed-in user whose role is
// not listed) and a test walks every route with every role.
//
// Decisions:
//   - Sign-in is by email and password for staff of any shop. An email is
//     unique per shop, not across shops: when the password matches accounts
//     in several shops, a shop chooser follows (the chooser's session lists
//     only the accounts whose password matched). Asking for a shop slug up
//     front was rejected: staff rarely know it, and it would tell an
//     attacker nothing they need.
//   - Every failure (unknown email, wrong password, disabled account) gets
//     the same 401 page after at least one argon2id hash; the throttle
//     (auth.MaxFailures per account per 15 min and per client address per
//     minute, stored in the database) answers 429 with Retry-After. The
//     client address is the connection's: behind a reverse proxy all
//     clients share it, so the per-address limit then guards the whole
//     instance (X-Forwarded-For is not trusted without a configured proxy).
//   - Sessions: a 256-bit token in a HttpOnly, SameSite=Lax cookie, Secure
//     and __Host- prefixed when BaseURL is https://; only its hash is
//     stored; a new token at every step up; idle 30 min, absolute 12 h on
//     the injected clock.
//   - CSRF: every route is behind http.CrossOriginProtection (Sec-Fetch-Site
//     or Origin against Host), and no GET changes anything.
//   - Secrets shown once (a new API key, a one-time password, recovery
//     codes) are the answer to the POST itself, never a redirect, so they
//     are never in a URL, a cookie or the database in clear. Every other
//     form follows POST-redirect-GET with a flash message (a catalogue key
//     in a short-lived cookie); a failed form is re-rendered with its field
//     errors and status 422 (409 for the last-owner rule).
//   - TOTP (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step, each step accepted
//     once) is optional per user and required for owners when the shop
//     turns it on; the secret is shown as text and as an otpauth:// URI (no
//     QR code: no image library and nothing leaves the server).
//   - The audit log records every change a staff member makes (and sign-in
//     and sign-out), in the same transaction as the change, with IDs only.
package admin
