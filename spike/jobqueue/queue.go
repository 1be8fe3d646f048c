package main

import (
	"context"
	"time"
)

// workFunc is what a spike job does: id and attempt of the run.
type workFunc func(ctx context.Context, id int64, attempt int) error

// system is one job queue (River or internal/jobs) on one engine, behind the
// handful of operations the spike measures.
type system interface {
	// InsertOne inserts n jobs, one per transaction.
	InsertOne(ctx context.Context, n int, runAt time.Time) error
	// InsertBatch inserts n jobs in transactions of 1000.
	InsertBatch(ctx context.Context, n int, runAt time.Time) error
	// Start starts working jobs with f, conc at a time.
	Start(ctx context.Context, conc int, f workFunc) error
	Stop(ctx context.Context) error
	// Pending counts jobs not finished yet.
	Pending(ctx context.Context) (int, error)
	// Clear deletes every job.
	Clear(ctx context.Context) error
	// Exec runs a statement on the system's database (for effects).
	Exec(ctx context.Context, query string, args ...any) error
	Close()
}

// spikeArgs are the args of every spike job.
type spikeArgs struct {
	N int `json:"n"`
}

// Kind is River's JobArgs method.
func (spikeArgs) Kind() string { return "spike" }

const batchSize = 1000
