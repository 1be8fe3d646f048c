// Package product is a shop's catalogue (SPEC C2): products by SKU with the
// buyer's goal, a usage guide, how long one unit lasts (consumption_days,
// empty for durables), related SKUs (cross-sell) and an upgrade SKU
// (upsell); created or replaced one at a time or by CSV import.
//
// Invariants:
//   - Every query is scoped by shop ID; another shop's product is not found.
//   - A stored product always passed Details.Validate: SKUs are 1 to 64
//     letters, digits, '-', '_' or '.', related SKUs are unique, at most 20
//     and never the product itself. Related and upgrade SKUs need not exist
//     yet (a CSV may name them before their own rows).
//   - PUT semantics: a product is replaced as a whole; absent fields take
//     their defaults.
//
// It imports db, errs and clock; never net/http or the API.
package product
