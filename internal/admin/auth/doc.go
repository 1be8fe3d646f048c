// Package auth holds the admin UI's authentication state: staff sessions,
// the sign-in throttle, TOTP two-factor authentication with recovery codes,
// one-time passwords, the shop's admin security settings, and the staff
// account changes the admin makes (role, disable, password).
//
// It is a domain package under the admin edge: it never imports net/http,
// html/template, api, admin or app. Times come from the injected clock.
//
// Invariants:
//   - A session token is 256 random bits; only its SHA-256 is stored. A new
//     token is issued at every step up (password → second factor → signed
//     in) and at a password change, so a planted token never gains rights.
//   - Sessions end after IdleTimeout without a request and AbsoluteTimeout
//     after sign-in, whatever happens; disabling a user or changing their
//     password deletes their sessions, and a disabled user's session is
//     refused on read as well.
//   - The throttle counts failures, never successes, in the database, so it
//     holds across restarts and across nodes; its keys are hashes.
//   - Every query is scoped by shop, except the sign-in lookup by email,
//     which by nature searches every shop (an email is unique per shop).
//
// Imports: db, clock, errs, id, staff.
package auth
