// Package jobs is Kizukai's durable job queue: rows in the `jobs` table,
// enqueued in the caller's transaction and worked by a Runner on any number
// of nodes.
//
// Responsibility: run each job at or after its run_at, again and again until
// it succeeds, is cancelled or runs out of attempts, and never lose one
// across crashes. It knows nothing of what the jobs do: domain packages
// register Workers (Kind + Work) and enqueue with Queue.Enqueue.
//
// Why our own table and not River (docs/jobs-spike.md has the figures):
// River's SQLite driver pins us to riversqlite v0.49 and its PostgreSQL
// driver needs a native pgx.Tx, while our db layer is database/sql on both
// engines; the simulated clock must decide what is due; and River takes a
// killed process's jobs back only after an hour, where node heartbeats let us
// do it within NodeTimeout (30 s by default).
//
// Invariants:
//   - Delivery is at least once. A job enqueued in a transaction exists, and
//     wakes local runners, only if that transaction commits. Work must be
//     safe to run again: a crash after the effect but before the row is
//     deleted runs it again. CompleteTx deletes the row in the worker's own
//     transaction, so effect and completion commit together.
//   - A job is claimed by one node at a time: PostgreSQL claims with
//     FOR UPDATE SKIP LOCKED, SQLite has a single writer. A claim increments
//     attempt and sets locked_by; every later update of that claim matches
//     (id, locked_by, attempt), so a node that lost a job to the crash sweep
//     cannot overwrite what the new owner did.
//   - "Due" is decided by the injected domain clock (run_at <= clock.Now()),
//     so a simulated clock drives jobs in tests and in `serve --clock
//     simulated`. Liveness (heartbeats, job timeouts, the crash sweep) uses
//     real wall time: whether a process is alive is an operational fact that
//     a simulated clock standing still for hours must not distort.
//   - Finished jobs are deleted; jobs that failed for good stay with state
//     'failed' and their last error (never their args in logs: args may hold
//     personal data).
//
// It imports only db and clock from the project, and must not import
// net/http, html/template, api, admin or prometheus (Runner.Stats gives
// plain counters for the caller to export).
package jobs
