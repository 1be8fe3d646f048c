// Package demo builds きづかい堂, a small Japanese lifestyle shop with two
// stores and an online store, a catalogue of about twenty products, some
// three hundred customers and a year of orders, so that a newcomer who runs
// `kizukai demo` sees every part of Kizukai working on realistic data.
//
// It also has what the dashboard reports on: post-purchase survey answers
// to about a third of the orders of the last sixteen weeks (10 to 20 days
// after each order; mostly 4 and 5, a few low scores, whose recovery
// tickets the survey service opens and staff resolve with a note the same
// day), and a handful of support tickets (question, defect, complaint,
// return, exchange) of the last weeks: most resolved with internal notes,
// one still open past its first-response time, one just opened. Staff
// replies are not made; the notes stand for them.
//
// And it has what the journeys sent: the orders of the last eight weeks
// (ReplayDays) are replayed through the real engine on a simulated clock
// (Deps.Replay, an Engine wired by cmd over the same database): each order
// is placed at its time, and every job due in between is worked, so the
// built-in journeys send their thanks, usage help, satisfaction checks,
// replenishment reminders and offers at the times they would have, the
// care-first policy suppresses and defers what it would have, and each
// message sent lands in the shop's outbox (the demo has no provider: it
// contacts no one). Older orders are history and start nothing.
//
// The data is a pure function of a seed and an end time (NewPlan): the same
// seed and end give the same shop, byte for byte. Answers and tickets are
// drawn after the customers and orders, so that a seed's customers and
// orders are the same as before the demo had them. Create writes a plan
// through the domain services (customers, products, orders, surveys,
// tickets, and the replay's engine), never through SQL of its own, so the
// demo exercises the same rules as real data. Services that stamp a time run on a step clock set
// to each planned time: customers, consents, answers, tickets and notes
// carry the times they would have had, never one after the shop was made.
//
// Invariants:
//   - Creating is idempotent. The plan ends at the demo shop's created_at, so
//     a second run regenerates the same plan; customers that exist are left
//     alone, products are upserted with the same content and orders are
//     ingested idempotently on their external IDs. An order that has an
//     answer is not submitted again (that would edit it), a recovery ticket
//     already resolved is left alone, and a support ticket is written with
//     its notes and status in one transaction, so a ticket of the customer
//     with the planned subject is the planned one, complete. A run that
//     stopped half way is completed by the next one; a completed demo is
//     never touched (one made before the demo had answers keeps none).
//   - Every contact point is fictitious: emails at example.jp and
//     example.com only, phone numbers that are merely well-formed.
//   - Times come from the caller's clock, never from time.Now.
//
// It imports the domain packages it fills (customer, product, order, shop,
// staff, survey, ticket), policy (for tickets' due times) and db, clock,
// errs, event, id; never net/http, api or app (cmd wires it to a running
// App).
package demo
