// Package delivery puts released messages in front of customers: the
// shops' channel settings (secrets sealed at rest), the Deliverer the
// message service hands a released message to, the message.send worker
// with rate limits, retries and channel fallback, delivery-status reports
// and opens, LINE webhook events (consent, tickets), the start-up sweep,
// and recall and broadcast fan-out through the same path. docs/delivery.md
// describes the design and its guarantees.
//
// Invariants:
//   - The message row is the ledger. A message.send job is enqueued in the
//     transaction that sets the message sending; the outcome of a send and
//     the job's completion commit in one transaction; a send job acts only
//     on a message still sending on its channel.
//   - The message id is the provider idempotency key on every channel and
//     every attempt, so a job run again after a crash repeats the same key.
//   - Message statuses only move forward (see status.go).
//   - Every query is scoped by shop ID. No message text, address, phone
//     number or LINE user ID is logged or put in an error.
//   - Provider secrets are stored only sealed (AES-GCM, key derived from
//     the instance secret key) and never leave the package except to the
//     provider clients and the hooks' signature checks.
//
// It writes message status changes other than "sent" itself (SQL in
// store.go on the messages table), because package message exports only
// MarkSentTx. It imports domain packages (message, customer, ticket,
// policy, jobs, event, token, shop) and the providers; never net/http (the
// providers speak HTTP), api, httpx or app.
package delivery
