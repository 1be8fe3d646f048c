// Package demo builds きづかい堂, a small Japanese lifestyle shop with two
// stores and an online store, a catalogue of about twenty products, some
// three hundred customers and a year of orders, so that a newcomer who runs
// `kizukai demo` sees every part of Kizukai working on realistic data.
//
// The data is a pure function of a seed and an end time (NewPlan): the same
// seed and end give the same shop, byte for byte. Create writes a plan
// through the domain services (customers, products, orders), never through
// SQL of its own, so the demo exercises the same rules as real data.
//
// Invariants:
//   - Creating is idempotent. The plan ends at the demo shop's created_at, so
//     a second run regenerates the same plan; customers that exist are left
//     alone, products are upserted with the same content and orders are
//     ingested idempotently on their external IDs. A run that stopped half
//     way is completed by the next one; a completed demo is never touched.
//   - Every contact point is fictitious: emails at example.jp and
//     example.com only, phone numbers that are merely well-formed.
//   - Times come from the caller's clock, never from time.Now.
//
// It imports the domain packages it fills (customer, product, order, shop,
// staff) and db, clock, errs, event, id; never net/http, api or app (cmd
// wires it to a running App).
package demo
