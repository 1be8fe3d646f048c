// Package customer holds a shop's customers and their consent (SPEC C1):
// upsert by the shop's external ID, phone (E.164) and email normalisation,
// append-only consent history per channel, freshness (SPEC §6), CSV import
// and export, and the APPI duties: export everything held on a person, and
// erase their personal data while keeping aggregates.
//
// Invariants:
//   - Every query is scoped by shop ID; another shop's customer is not found.
//   - An erased customer (erased_at set) is never returned by ByID, lists or
//     upserts: its external_id is replaced by "erased:<id>", which Validate
//     refuses as an input, so nothing can reach the row again by the shop's
//     own key. Its orders stay, so totals do not change.
//   - Consent rows are appended, never updated (except by erasure, which
//     blanks their source and wording).
//   - Methods ending in Tx run in the caller's transaction, so other domains
//     (orders) can upsert a customer atomically with their own writes.
//
// It imports db, errs, id, clock and event; never net/http or the API.
package customer
