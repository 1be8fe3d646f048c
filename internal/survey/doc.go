// Package survey holds the answers to a shop's surveys (SPEC C8): the
// built-in post-purchase survey (ID "post_purchase": CSAT 1–5, NPS 0–10 and
// a comment), their results and trends, and the recovery ticket a low score
// opens so that a person calls the customer.
//
// Answers come from the public survey page (/s/{token}, one token per
// order). One answer per (shop, survey, order): a second submit edits the
// answer in place, never duplicates it (UNIQUE in the schema decides, also
// under concurrency).
//
// Events:
//   - survey.answered {survey_id, order_id, csat, nps, score} on the first
//     submit only, recorded with the external ID "survey:<survey>:<order>"
//     so that it exists once. score is the CSAT: the journey engine's
//     survey_answered trigger filters on it (min_score, max_score).
//   - survey.updated with the same data on every later edit: it shows on
//     the timeline and starts no journey, so a customer who corrects a typo
//     does not get a second follow-up.
//
// Recovery: a low score (CSAT ≤ 2, or NPS ≤ 6 when given) opens one ticket
// per response, subject "アンケートで低評価: 連絡してください". Its kind is
// "other" unless the comment itself says it is a complaint (苦情, クレーム,
// complain): kind complaint makes the ticket urgent and stops sales messages
// (policy rule 2), so a mere low score must not trigger that on its own.
// An edit that turns a good answer into a low one opens the ticket then; a
// response never opens a second one.
//
// The recovery ticket is opened in the answer's own transaction
// (ticket.CreateTx), so the answer and its ticket commit together, and
// concurrent submits of one response open one ticket.
//
// Invariants: every query is scoped by shop ID; comments are personal data
// (never logged, never in events, erased with the customer, exported under
// APPI); scores stay after erasure for the shop's aggregates.
//
// It imports customer, ticket, shop, event, db, errs, id and clock; never
// net/http or the API.
package survey
