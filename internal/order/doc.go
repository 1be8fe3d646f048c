// Package order ingests a shop's purchases (SPEC C3): one order or a batch
// of up to 1000, idempotent on the shop's external_id, each recorded with an
// order.placed event in the same transaction, and each with a signed
// digital-receipt URL.
//
// Idempotency: an order's canonical content is hashed (content_hash). It
// covers external_id, the customer's identity (its external_id, whether the
// request named it by customer_external_id or sent an inline customer),
// ordered_at, channel, store, the lines in their order, discount, total and
// currency. It does not cover the inline customer's other fields (name,
// email, phone, ...): those describe the customer, not the purchase, and a
// till that re-sends an order with a corrected phone number is re-sending
// the same order. A re-post with the same hash answers the stored order and
// writes nothing (the inline customer is not applied again); a different
// hash is a 409 order_conflict.
//
// Invariants:
//   - Every query is scoped by shop ID; another shop's order is not found.
//   - One row per (shop, external_id), even under concurrency on both
//     engines: the UNIQUE (shop_id, external_id) constraint decides. A
//     writer whose INSERT meets a concurrent one waits for its commit (on
//     PostgreSQL; SQLite has one writer), gets a unique violation, rolls
//     back and retries, and then finds the winner's row and compares hashes.
//   - total = Σ quantity × unit_price − discount, discount ≥ 0.
//   - Lines whose SKU is not in the catalogue are kept (a till sells what it
//     sells) and marked catalogued = false.
//   - Receipt tokens are never stored: they are HMAC-signed from the IDs.
//
// It imports db, errs, id, clock, event, token, customer and product; never
// net/http or the API.
package order
