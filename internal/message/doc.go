// Package message plans, judges and renders the messages a shop sends to
// its customers, and holds the shop's message templates.
//
// A message is planned (CreateTx) in the transaction of whatever caused it,
// usually a journey step: a row with status scheduled and a message.due job
// at its due time. When it comes due the message.due worker judges it, in
// one transaction that holds the customer's lock (policy.LockCustomer):
// the care-first policy (policy.Decide) sees the customer's reachability,
// consent and history as they are then, and the message is suppressed,
// deferred (with a new job), or rendered and handed to the Deliverer (by
// default the outbox, which marks it sent). An event message.sent,
// message.deferred or message.suppressed records the outcome on the
// customer's timeline, without the text.
//
// Templates are Liquid restricted to a safe subset (see liquid.go): known
// variables only, checked over every branch when a template is saved and
// before it is rendered; no loops, assignments or file includes; bounded
// size, output and time.
//
// Invariants:
//   - One message per (shop, dedupe_key): planning twice plans once.
//   - A message is judged only when due and only while scheduled or
//     deferred; nothing leaves this package as sent, or as sending for a
//     channel, that the policy would have stopped at that moment.
//   - Every query is scoped by shop ID. Subjects and bodies are personal
//     data: never logged, never in events, erased with the customer.
//
// It imports domain packages below it (customer, order, product, policy,
// ticket, shop, event, jobs, token) and never net/http or api; journey
// imports it, so whether a journey is paused comes in as a function
// (SetJourneyPausedFunc).
package message
