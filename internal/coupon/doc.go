// Package coupon holds a shop's coupon campaigns and the single codes
// issued from them (SPEC C9): issued by journeys (the coupon step) or the
// API, redeemed once by the shop's POS or online store.
//
// A campaign is a discount (an amount in yen, or a percentage), a validity
// (valid_days after issue, an end time, or both: a code expires at the
// earlier) and limits: per_customer_limit codes per customer (default 1)
// and, optionally, total_limit codes in all.
//
// Codes are 12 characters of an alphabet without look-alikes (no 0, O, 1,
// I), drawn with crypto/rand: 60 bits, unguessable, easy to read out and
// type. They are shown grouped (ABCD-EFGH-JKLM); lookups ignore case,
// spaces and dashes. A code is unique in its shop (the primary key).
//
// Invariants:
//   - A code is redeemed at most once, also under concurrency: redemption
//     is one conditional UPDATE ... WHERE redeemed_at IS NULL AND
//     expires_at > now; whoever's UPDATE changes the row wins, everyone
//     else gets already_redeemed (409) or expired (410).
//   - Limits hold under concurrency: an issue first locks the customer
//     (PostgreSQL; SQLite has one writer) and counts their codes
//     (per_customer_limit), then raises the campaign's issued counter with
//     a conditional UPDATE (total_limit, ends_at) that also serialises the
//     campaign's issues. A refusal writes nothing.
//   - Issuing records coupon.issued and redeeming coupon.redeemed in the
//     same transaction (external IDs "coupon:<code>" and
//     "coupon:<code>:redeemed", so each exists once).
//   - Every query is scoped by shop ID: another shop's code is not found.
//   - Codes hold no personal data; erasing a customer expires their
//     unredeemed codes (internal/customer/erase.go) and the APPI export
//     lists them.
//
// It imports db, errs, event, id and clock; never net/http, the API, or the
// journey engine (which imports it for the coupon step).
package coupon
