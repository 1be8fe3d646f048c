// Package journey is the after-follow engine: journeys (a trigger, steps
// and exit conditions, stored as immutable JSON versions per shop), runs
// (one customer's pass through one version) and the journey.step job that
// moves runs along (docs/journeys.md).
//
// How a run moves:
//   - An event.Recorder subscriber (Subscribe), in the transaction that
//     records the event, ends the customer's runs whose exit conditions the
//     event meets and starts a run of every active journey whose trigger it
//     matches: unique per (journey, customer, trigger key), so a trigger
//     delivered twice starts one run, plus a journey.step job. Events that
//     occurred more than HistoryLimit (48 h) before now start nothing.
//   - The journey.step job executes the run's steps from its current one
//     until a wait that ends in the future, in one transaction with the
//     job's completion: sends plan a message (message.CreateTx, dedupe key
//     run:<run>:<step>), tasks record task.created, coupon steps issue a
//     code of their campaign (coupon.Service.IssueTx, keyed
//     run:<run>:<step>) and record coupon.requested, each executed step
//     is logged once in
//     run_log, and the next journey.step job is enqueued at the next
//     step's planned time. A waiting run is a row and a future job: it
//     costs no CPU. Step jobs worked at the same moment share one
//     transaction and write with multi-row statements (batch.go).
//   - Timing: a step's planned time is the previous step's planned time
//     plus its wait, never when a deferred message finally went out.
//
// Versioning rule: editing a journey (Update) stores a new version; runs in
// flight finish on the version they started on; new runs use the newest.
// Branches may only jump forward, so every run ends.
//
// Pausing: a paused journey starts no runs; its runs in flight keep their
// rhythm, and their messages are suppressed (journey_paused) when due. The
// annoyance brake pauses a journey on its own (brake.go) and notifies the
// owner.
//
// Invariants: every query is scoped by shop; run context holds no personal
// data except, when a branch reads event.data.<key>, the trigger event's
// data, erased with the customer (internal/customer/erase.go).
//
// It imports db, clock, errs, event, id, jobs and the domain packages
// coupon, customer, order, product, message, policy, shop and ticket; it must not
// import net/http, html/template, api or admin.
package journey
