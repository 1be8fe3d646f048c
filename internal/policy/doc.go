// Package policy is the shop's care-first policy (SPEC §4, C5): the rules,
// their per-shop settings, and Decide, the pure function that judges one
// message when it is due (send, defer until a time, or suppress with a
// reason). It also holds the per-customer lock that the judging transaction
// takes (LockCustomer) and the shop's notifications (Notify), which the
// annoyance brake uses to tell the owner why a journey was paused.
//
// Invariants:
//   - Decide is pure: no clock, no database. The caller gathers the
//     customer's reachability, consent and history inside one transaction
//     holding LockCustomer, so counts hold when many messages of one
//     customer come due at once.
//   - Every deferral and suppression carries one of the Reason constants.
//   - A stored policy always passed Validate; a shop without one uses
//     Defaults. Every query is scoped by shop ID.
//
// It imports db, errs, id and clock; never net/http, the API or another
// domain package (ticket and message import it, not the other way round).
package policy
