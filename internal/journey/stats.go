package journey

import (
	"context"
	"fmt"

	"github.com/kizukai/kizukai/internal/db"
)

// Details is a journey with its figures (GET /journeys/{id}).
type Details struct {
	Journey
	Stats Stats `json:"stats"`
}

// Stats are a journey's figures over all its versions.
type Stats struct {
	ActiveRuns         int            `json:"active_runs"`
	RunsByStatus       map[string]int `json:"runs_by_status" doc:"active, completed, exited"`
	MessagesByStatus   map[string]int `json:"messages_by_status"`
	SuppressedByReason map[string]int `json:"suppressed_by_reason"`
	Sends              int            `json:"sends" doc:"messages sent, delivered, opened or clicked"`
	OptOuts            int            `json:"opt_outs" doc:"sent messages after which the customer withdrew consent within 7 days"`
	OptOutRate         float64        `json:"opt_out_rate" doc:"opt_outs / sends (0 without sends)"`
}

const (
	runCountsSQL     = `SELECT status, COUNT(*) FROM runs WHERE shop_id = $1 AND journey_id = $2 GROUP BY status`
	messageCountsSQL = `SELECT status, reason, COUNT(*), COALESCE(SUM(CASE WHEN opted_out THEN 1 ELSE 0 END), 0)
FROM messages WHERE shop_id = $1 AND journey_id = $2 GROUP BY status, reason`
)

// Details returns the shop's journey with its figures.
func (s *Service) Details(ctx context.Context, shopID, journeyID string) (Details, error) {
	j, err := journeyByID(ctx, s.DB, shopID, journeyID)
	if err != nil {
		return Details{}, err
	}
	st, err := stats(ctx, s.DB, shopID, journeyID)
	if err != nil {
		return Details{}, err
	}
	return Details{Journey: j, Stats: st}, nil
}

func stats(ctx context.Context, d db.DBTX, shopID, journeyID string) (Stats, error) {
	st := Stats{RunsByStatus: map[string]int{}, MessagesByStatus: map[string]int{}, SuppressedByReason: map[string]int{}}
	if err := groupCounts(ctx, d, runCountsSQL, []any{shopID, journeyID}, func(scan func(...any) error) error {
		var status string
		var n int
		if err := scan(&status, &n); err != nil {
			return err
		}
		st.RunsByStatus[status] = n
		return nil
	}); err != nil {
		return Stats{}, fmt.Errorf("run counts: %w", err)
	}
	st.ActiveRuns = st.RunsByStatus[RunActive]
	if err := groupCounts(ctx, d, messageCountsSQL, []any{shopID, journeyID}, func(scan func(...any) error) error {
		var status, reason string
		var n, optOuts int
		if err := scan(&status, &reason, &n, &optOuts); err != nil {
			return err
		}
		st.MessagesByStatus[status] += n
		switch status {
		case "suppressed":
			st.SuppressedByReason[reason] += n
		case "sent", "delivered", "opened", "clicked":
			st.Sends += n
			st.OptOuts += optOuts
		}
		return nil
	}); err != nil {
		return Stats{}, fmt.Errorf("message counts: %w", err)
	}
	if st.Sends > 0 {
		st.OptOutRate = float64(st.OptOuts) / float64(st.Sends)
	}
	return st, nil
}

func groupCounts(ctx context.Context, d db.DBTX, q string, args []any, row func(scan func(...any) error) error) error {
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
