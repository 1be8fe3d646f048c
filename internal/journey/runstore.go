package journey

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
)

// Run statuses.
const (
	RunActive    = "active"
	RunCompleted = "completed" // reached an exit step or the end of its steps
	RunExited    = "exited"    // ended by an exit condition (exit_reason says which)
)

// Run is one customer's pass through one version of a journey.
type Run struct {
	ID         string     `json:"id"`
	JourneyID  string     `json:"journey_id"`
	Version    int        `json:"version"`
	CustomerID string     `json:"customer_id"`
	TriggerKey string     `json:"trigger_key" doc:"the order, ticket or event that started it"`
	Status     string     `json:"status" doc:"active, completed or exited"`
	StepIndex  int        `json:"step_index" doc:"the next step to execute"`
	StepAt     time.Time  `json:"step_at" doc:"its planned time"`
	Context    RunContext `json:"context"`
	ExitReason string     `json:"exit_reason"`
	StartedAt  time.Time  `json:"started_at" doc:"when the trigger occurred"`
	EndedAt    *time.Time `json:"ended_at"`
}

// RunContext is what a run remembers of its trigger: the facts its
// branches, waits and exit conditions read.
type RunContext struct {
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	OccurredAt time.Time `json:"occurred_at"`
	OrderID    string    `json:"order_id,omitempty"`
	SKUs       []string  `json:"skus,omitempty"`
	FirstOrder bool      `json:"first_order,omitempty"`
	// Data is the trigger event's data, kept only when a branch reads
	// event.data.<key>. It may hold personal data and is erased with the
	// customer.
	Data json.RawMessage `json:"data,omitempty"`
}

const runColumns = `id, journey_id, version, customer_id, trigger_key, status, step_index, step_at, context, exit_reason, started_at, ended_at`

func scanRun(row interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var ctxJSON string
	if err := row.Scan(&r.ID, &r.JourneyID, &r.Version, &r.CustomerID, &r.TriggerKey, &r.Status, &r.StepIndex, &r.StepAt,
		&ctxJSON, &r.ExitReason, &r.StartedAt, &r.EndedAt); err != nil {
		return Run{}, err
	}
	if err := json.Unmarshal([]byte(ctxJSON), &r.Context); err != nil {
		return Run{}, fmt.Errorf("run %s context: %w", r.ID, err)
	}
	r.StepAt, r.StartedAt = r.StepAt.UTC(), r.StartedAt.UTC()
	if r.EndedAt != nil {
		t := r.EndedAt.UTC()
		r.EndedAt = &t
	}
	return r, nil
}

const insertRunSQL = `INSERT INTO runs (shop_id, id, journey_id, version, customer_id, trigger_key, status, step_index, step_at,
context, started_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, 'active', 0, $7, $8, $7, $9, $9)
ON CONFLICT (shop_id, journey_id, customer_id, trigger_key) DO NOTHING`

// insertRun stores a new active run at step 0; false when the same
// journey, customer and trigger key has a run already.
func insertRun(ctx context.Context, tx db.DBTX, shopID string, r Run, now time.Time) (bool, error) {
	c, err := json.Marshal(r.Context)
	if err != nil {
		return false, fmt.Errorf("marshal run context: %w", err)
	}
	res, err := tx.ExecContext(ctx, insertRunSQL, shopID, r.ID, r.JourneyID, r.Version, r.CustomerID, r.TriggerKey, r.StepAt, string(c), now)
	if err != nil {
		return false, fmt.Errorf("insert run: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert run: %w", err)
	}
	return n == 1, nil
}

const activeRunsSQL = `SELECT ` + runColumns + ` FROM runs WHERE shop_id = $1 AND customer_id = $2 AND status = 'active' ORDER BY id`

func activeRuns(ctx context.Context, d db.DBTX, shopID, customerID string) ([]Run, error) {
	rows, err := d.QueryContext(ctx, activeRunsSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("active runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

const saveRunSQL = `UPDATE runs SET status = $3, step_index = $4, step_at = $5, exit_reason = $6, ended_at = $7, updated_at = $8
WHERE shop_id = $1 AND id = $2`

// saveRun writes a run's position and status.
func saveRun(ctx context.Context, tx db.DBTX, shopID string, r *Run, now time.Time) error {
	if _, err := tx.ExecContext(ctx, saveRunSQL, shopID, r.ID, r.Status, r.StepIndex, r.StepAt, r.ExitReason, r.EndedAt, now); err != nil {
		return fmt.Errorf("save run: %w", err)
	}
	return nil
}

// LogEntry is one executed step of a run.
type LogEntry struct {
	StepID    string    `json:"step_id"`
	StepType  string    `json:"step_type"`
	PlannedAt time.Time `json:"planned_at"`
	DoneAt    time.Time `json:"done_at"`
	Outcome   string    `json:"outcome"`
	Detail    string    `json:"detail"`
}

// savedRun is a run whose new position saveRuns writes.
type savedRun struct {
	shopID string
	r      *Run
	now    time.Time
}

// saveRunsPG and saveRunsSQLite write many runs' positions in one
// statement. PostgreSQL needs the parameters' types in the VALUES list;
// SQLite would turn a time cast to a type it does not know into a number.
const (
	saveRunsHead = `WITH v (shop_id, id, status, step_index, step_at, exit_reason, ended_at, updated_at) AS (VALUES `
	saveRunsTail = `)
UPDATE runs SET status = v.status, step_index = v.step_index, step_at = v.step_at, exit_reason = v.exit_reason,
ended_at = v.ended_at, updated_at = v.updated_at FROM v WHERE runs.shop_id = v.shop_id AND runs.id = v.id`
	saveRunsRowPG     = `($%d, $%d, $%d, $%d::integer, $%d::timestamptz, $%d, $%d::timestamptz, $%d::timestamptz)`
	saveRunsRowSQLite = `(?, ?, ?, ?, ?, ?, ?, ?)`
)

// saveRuns writes runs' positions and statuses, 500 per statement.
func saveRuns(ctx context.Context, tx db.DBTX, runs []savedRun) error {
	row := tx.Dialect().Pick(saveRunsRowPG, saveRunsRowSQLite)
	for len(runs) > 0 {
		chunk := runs[:min(len(runs), 500)]
		runs = runs[len(chunk):]
		var b strings.Builder
		b.WriteString(saveRunsHead)
		args := make([]any, 0, 8*len(chunk))
		for i, sr := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			if tx.Dialect() == db.Postgres {
				fmt.Fprintf(&b, row, n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
			} else {
				b.WriteString(row)
			}
			r := sr.r
			args = append(args, sr.shopID, r.ID, r.Status, r.StepIndex, r.StepAt, r.ExitReason, r.EndedAt, sr.now)
		}
		b.WriteString(saveRunsTail)
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("save %d runs: %w", len(chunk), err)
		}
	}
	return nil
}

// logRow is a LogEntry with the run it belongs to, waiting for insertLogs.
type logRow struct {
	shopID, runID, customerID string
	stepIndex                 int
	e                         LogEntry
}

const insertLogsHead = `INSERT INTO run_log (shop_id, run_id, step_id, step_index, customer_id, step_type, planned_at, done_at, outcome, detail) VALUES `

// insertLogs writes log rows with one statement per 500 rows.
func insertLogs(ctx context.Context, tx db.DBTX, rows []logRow) error {
	for len(rows) > 0 {
		chunk := rows[:min(len(rows), 500)]
		rows = rows[len(chunk):]
		args := make([]any, 0, 10*len(chunk))
		for _, l := range chunk {
			args = append(args, l.shopID, l.runID, l.e.StepID, l.stepIndex, l.customerID, l.e.StepType, l.e.PlannedAt, l.e.DoneAt, l.e.Outcome, l.e.Detail)
		}
		if _, err := tx.ExecContext(ctx, insertLogsHead+valuesList(tx.Dialect(), len(chunk), 10), args...); err != nil {
			return fmt.Errorf("log %d steps: %w", len(chunk), err)
		}
	}
	return nil
}

// param is the placeholder of the nth parameter: "$n" on PostgreSQL, a
// plain "?" on SQLite, which resolves every "$N" by a linear search of the
// names seen so far (a third of the CPU of a batch of 50 runs with "$N";
// see internal/order/store.go, values).
func param(d db.Dialect, n int) string {
	if d == db.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// valuesList returns "(p1, ..., pcols), (...)" for rows rows.
func valuesList(d db.Dialect, rows, cols int) string {
	var b strings.Builder
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteString(param(d, r*cols+c+1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inList returns the placeholders of parameters from to from+n-1.
func inList(d db.Dialect, from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(param(d, from+i))
	}
	return b.String()
}

// The batch step worker's reads. Customers are locked in ID order, and
// before their runs, as every other writer of runs takes them (see
// workStep), so that two batches, or a batch and an order's transaction,
// never wait on each other in a cycle. SQLite needs no row locks: the
// transaction is the single writer.
const (
	runCustomersSQL     = `SELECT id, customer_id FROM runs WHERE shop_id = %s AND id IN (%s)`
	lockCustomersPG     = `SELECT id FROM customers WHERE shop_id = %s AND id IN (%s) ORDER BY id FOR UPDATE`
	runsForUpdatePG     = `SELECT ` + runColumns + ` FROM runs WHERE shop_id = %s AND id IN (%s) ORDER BY id FOR UPDATE`
	runsForUpdateSQLite = `SELECT ` + runColumns + ` FROM runs WHERE shop_id = %s AND id IN (%s)`
)

// shopArgs returns shopID followed by ids, as query arguments.
func shopArgs(shopID string, ids []string) []any {
	args := make([]any, 0, len(ids)+1)
	args = append(args, shopID)
	for _, id := range ids {
		args = append(args, id)
	}
	return args
}

// runCustomers returns the customer of each of the shop's runs by run ID.
func runCustomers(ctx context.Context, tx db.DBTX, shopID string, runIDs []string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(runCustomersSQL, param(tx.Dialect(), 1), inList(tx.Dialect(), 2, len(runIDs))), shopArgs(shopID, runIDs)...)
	if err != nil {
		return nil, fmt.Errorf("customers of runs: %w", err)
	}
	defer rows.Close()
	out := make(map[string]string, len(runIDs))
	for rows.Next() {
		var id, cid string
		if err := rows.Scan(&id, &cid); err != nil {
			return nil, fmt.Errorf("scan customer of run: %w", err)
		}
		out[id] = cid
	}
	return out, rows.Err()
}

// lockCustomers locks the shop's customers (PostgreSQL), in ID order.
func lockCustomers(ctx context.Context, tx db.DBTX, shopID string, customerIDs []string) error {
	if tx.Dialect() != db.Postgres || len(customerIDs) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(lockCustomersPG, "$1", inList(db.Postgres, 2, len(customerIDs))), shopArgs(shopID, customerIDs)...)
	if err != nil {
		return fmt.Errorf("lock customers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("lock customers: %w", err)
	}
	return nil
}

// runsForUpdate reads the shop's runs by ID, locking them on PostgreSQL.
func runsForUpdate(ctx context.Context, tx db.DBTX, shopID string, runIDs []string) (map[string]*Run, error) {
	q := fmt.Sprintf(tx.Dialect().Pick(runsForUpdatePG, runsForUpdateSQLite), param(tx.Dialect(), 1), inList(tx.Dialect(), 2, len(runIDs)))
	rows, err := tx.QueryContext(ctx, q, shopArgs(shopID, runIDs)...)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*Run, len(runIDs))
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		out[r.ID] = &r
	}
	return out, rows.Err()
}

const runLogSQL = `SELECT step_id, step_type, planned_at, done_at, outcome, detail FROM run_log
WHERE shop_id = $1 AND run_id = $2 ORDER BY step_index`

// RunLog returns the executed steps of the shop's run in order.
func (s *Service) RunLog(ctx context.Context, shopID, runID string) ([]LogEntry, error) {
	rows, err := s.DB.QueryContext(ctx, runLogSQL, shopID, runID)
	if err != nil {
		return nil, fmt.Errorf("run log: %w", err)
	}
	defer rows.Close()
	out := []LogEntry{}
	for rows.Next() {
		var e LogEntry
		if err := rows.Scan(&e.StepID, &e.StepType, &e.PlannedAt, &e.DoneAt, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan run log: %w", err)
		}
		e.PlannedAt, e.DoneAt = e.PlannedAt.UTC(), e.DoneAt.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

const runsOfCustomerSQL = `SELECT ` + runColumns + ` FROM runs WHERE shop_id = $1 AND customer_id = $2 ORDER BY id`

// RunsOfCustomer returns every run of the shop's customer, oldest first.
func (s *Service) RunsOfCustomer(ctx context.Context, shopID, customerID string) ([]Run, error) {
	rows, err := s.DB.QueryContext(ctx, runsOfCustomerSQL, shopID, customerID)
	if err != nil {
		return nil, fmt.Errorf("runs of customer: %w", err)
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("scan run: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// orderInfo is what the engine reads of a run's order.
type orderInfo struct {
	OrderedAt time.Time
	Total     int64
	Lines     []orderLine
}

type orderLine struct {
	SKU             string
	Quantity        int64
	ConsumptionDays *int
}

// The engine reads the order and its products' consumption days in its own
// transaction; the order service reads outside one.
const (
	orderInfoSQL  = `SELECT ordered_at, total FROM orders WHERE shop_id = $1 AND id = $2`
	orderLinesSQL = `SELECT l.sku, l.quantity, p.consumption_days FROM order_lines l
LEFT JOIN products p ON p.shop_id = l.shop_id AND p.sku = l.sku
WHERE l.shop_id = $1 AND l.order_id = $2 ORDER BY l.line_no`
)

func loadOrderInfo(ctx context.Context, d db.DBTX, shopID, orderID string) (orderInfo, error) {
	var o orderInfo
	err := d.QueryRowContext(ctx, orderInfoSQL, shopID, orderID).Scan(&o.OrderedAt, &o.Total)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("order %s of a run is gone", orderID)
	}
	if err != nil {
		return o, fmt.Errorf("order of run: %w", err)
	}
	o.OrderedAt = o.OrderedAt.UTC()
	rows, err := d.QueryContext(ctx, orderLinesSQL, shopID, orderID)
	if err != nil {
		return o, fmt.Errorf("order lines of run: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l orderLine
		if err := rows.Scan(&l.SKU, &l.Quantity, &l.ConsumptionDays); err != nil {
			return o, fmt.Errorf("scan order line: %w", err)
		}
		o.Lines = append(o.Lines, l)
	}
	return o, rows.Err()
}

// consumable returns the order's consumable that runs out first and when
// (ordered_at + consumption_days × quantity); ok is false without one.
func (o orderInfo) consumable() (sku string, end time.Time, ok bool) {
	for _, l := range o.Lines {
		if l.ConsumptionDays == nil || *l.ConsumptionDays <= 0 {
			continue
		}
		e := o.OrderedAt.Add(time.Duration(int64(*l.ConsumptionDays)*max(l.Quantity, 1)) * 24 * time.Hour)
		if !ok || e.Before(end) {
			sku, end, ok = l.SKU, e, true
		}
	}
	return sku, end, ok
}
