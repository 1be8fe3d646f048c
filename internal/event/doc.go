// Package event records what happened to customers and tells subscribers.
//
// An event is a fact: an order was placed, consent changed, a message was
// sent, an integrator posted a custom event. Record and RecordMany write
// events in the caller's transaction and call every subscriber in that same
// transaction, so whatever hangs on an event (a journey run, a job) commits
// with it or not at all. The customer timeline is read from here. Service
// holds the rules of custom events posted by integrators (POST /events).
//
// Invariants:
//   - An event with an external ID is stored once per shop: recording it
//     again stores nothing, calls no subscriber and answers the stored event.
//   - Subscribers see only newly stored events, in the order they were given;
//     batch subscribers see them once per Record/RecordMany call.
//   - Every query is scoped by shop ID.
//
// It imports only db, errs, id and clock: every other domain package may use
// it. It must not import customer (which records events through it); what
// Service needs of customers is the CustomerLookup interface declared here.
package event
