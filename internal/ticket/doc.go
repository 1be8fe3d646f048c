// Package ticket is the support inbox's core (SPEC C7), the minimum the
// care-first policy needs: tickets with a kind, a status, an assignee and a
// first-response due time (the shop's SLA), the ticket.opened and
// ticket.resolved events, and HasOpenComplaint for the policy's rule 2.
//
// Invariants:
//   - Every query is scoped by shop ID; another shop's ticket is not found.
//   - A ticket belongs to one existing, not erased customer of its shop.
//   - Creating a ticket and recording ticket.opened happen in one
//     transaction; so do moving a ticket to resolved, setting resolved_at and
//     recording ticket.resolved.
//   - Subject and body are the customer's words: personal data, erased with
//     the customer (customer.Erase) and never logged.
//
// It imports customer, policy, event, db, errs, id and clock; never
// net/http or the API.
package ticket
