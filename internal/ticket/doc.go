// Package ticket is the support inbox's core (SPEC C7): tickets with a
// kind, a status, an assignee and a first-response due time (the shop's
// SLA), the ticket.opened and ticket.resolved events, HasOpenComplaint for
// the policy's rule 2, and each ticket's conversation: customer messages
// (a customer's LINE messages join their open ticket: OpenOrAppend),
// staff replies and internal notes. A reply is planned as a transactional
// message to the customer's best channel through SendReplyFunc (the
// message package, which imports this one); the first reply sets
// first_response_at, which meets the SLA when it is at or before the due
// time; StaffReplyExempt tells the message worker whether a reply may go
// out in quiet hours (the customer wrote within the hour, SPEC §4 rule 6).
//
// Invariants:
//   - Every query is scoped by shop ID; another shop's ticket is not found.
//   - A ticket belongs to one existing, not erased customer of its shop.
//   - Creating a ticket and recording ticket.opened happen in one
//     transaction; so do moving a ticket to resolved, setting resolved_at and
//     recording ticket.resolved.
//   - Subject and body, and every conversation entry's body, are personal
//     data: erased with the customer (customer.Erase) and never logged.
//   - A reply, its message and first_response_at commit in one
//     transaction; a customer with no contact point gets no reply
//     (customer_unreachable) and nothing is stored.
//
// It imports customer, policy, event, db, errs, id and clock; never
// net/http or the API.
package ticket
