package journey

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/policy"
)

// OptOutWindow is how soon after receiving a message a consent withdrawal
// counts as an opt-out of that message's journey.
const OptOutWindow = 7 * 24 * time.Hour

// The brake reads and marks the message package's messages table: which
// message the customer received last, and each journey's recent sends.
// "Sent" means sent, delivered, opened or clicked (docs/journeys.md).
const (
	latestSentSQL = `SELECT id, journey_id, opted_out FROM messages
WHERE shop_id = $1 AND customer_id = $2 AND purpose <> 'transactional'
  AND status IN ('sent', 'delivered', 'opened', 'clicked') AND sent_at >= $3 AND sent_at <= $4
ORDER BY sent_at DESC, id DESC LIMIT 1`
	markOptedOutSQL = `UPDATE messages SET opted_out = TRUE WHERE shop_id = $1 AND id = $2`
	// brakeWindowSQL counts a journey's last $3 sent messages and their
	// opt-outs. IDs are time-ordered, so the journey index serves the
	// ORDER BY without sorting every message the journey ever sent.
	brakeWindowSQL = `SELECT COUNT(*), COALESCE(SUM(CASE WHEN opted_out THEN 1 ELSE 0 END), 0) FROM (
  SELECT opted_out FROM messages
  WHERE shop_id = $1 AND journey_id = $2 AND status IN ('sent', 'delivered', 'opened', 'clicked')
  ORDER BY id DESC LIMIT $3) w`
)

// onConsentChanged is the annoyance brake (SPEC §4.7). When a customer
// withdraws consent within OptOutWindow of receiving a non-transactional
// message, the latest such message is marked opted_out (once: a second
// withdrawal, on another channel, marks nothing more). If the message's
// journey then has more than brake_opt_out_rate opt-outs among its last
// brake_window sends (and at least brake_min_sends sends), the journey is
// paused with the reason, and the owner is notified, in the same
// transaction as the consent change.
func (s *Service) onConsentChanged(ctx context.Context, tx db.DBTX, e event.Event) error {
	var d struct {
		Granted *bool `json:"granted"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil || d.Granted == nil || *d.Granted {
		return nil //nolint:nilerr // only a well-formed withdrawal concerns the brake
	}
	now := s.Clock.Now()
	var msgID, journeyID string
	var already bool
	err := tx.QueryRowContext(ctx, latestSentSQL, e.ShopID, e.CustomerID, e.OccurredAt.Add(-OptOutWindow), e.OccurredAt).
		Scan(&msgID, &journeyID, &already)
	if errors.Is(err, sql.ErrNoRows) || err == nil && already {
		return nil
	}
	if err != nil {
		return fmt.Errorf("brake: latest message: %w", err)
	}
	if _, err := tx.ExecContext(ctx, markOptedOutSQL, e.ShopID, msgID); err != nil {
		return fmt.Errorf("brake: mark opted out: %w", err)
	}
	if journeyID == "" {
		return nil
	}
	return s.checkBrake(ctx, tx, e.ShopID, journeyID, now)
}

// checkBrake pauses an active journey whose recent opt-out rate is over
// the shop's limit.
func (s *Service) checkBrake(ctx context.Context, tx db.DBTX, shopID, journeyID string, now time.Time) error {
	st, err := journeyStatus(ctx, tx, shopID, journeyID)
	if err != nil || st != StatusActive {
		if errors.Is(err, errJourneyNotFound) {
			return nil
		}
		return err
	}
	p, err := s.Policies.Get(ctx, tx, shopID)
	if err != nil {
		return err
	}
	var sends, optOuts int
	if err := tx.QueryRowContext(ctx, brakeWindowSQL, shopID, journeyID, p.BrakeWindow).Scan(&sends, &optOuts); err != nil {
		return fmt.Errorf("brake: count sends: %w", err)
	}
	if sends < p.BrakeMinSends || sends == 0 {
		return nil
	}
	rate := float64(optOuts) / float64(sends)
	if rate <= p.BrakeOptOutRate {
		return nil
	}
	reason := BrakeReason(sends, rate)
	if err := setStatus(ctx, tx, shopID, journeyID, StatusPaused, reason, now); err != nil {
		return err
	}
	j, err := journeyByID(ctx, tx, shopID, journeyID)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("ジャーニー「%s」を自動停止しました / journey %q paused", j.Name, j.Name)
	body := reason + fmt.Sprintf("\n上限 / limit: %.1f%%. 内容を見直してから再開してください / review it, then activate it again.", p.BrakeOptOutRate*100)
	return policy.Notify(ctx, tx, shopID, policy.NotifyJourneyPaused, title, body, now)
}

// BrakeReason is the paused_reason the annoyance brake writes, in Japanese
// and English.
func BrakeReason(sends int, rate float64) string {
	return fmt.Sprintf("直近%d件の配信で配信停止率が%.1f%%になったため自動停止しました / paused automatically: opt-out rate %.1f%% over the last %d sends",
		sends, rate*100, rate*100, sends)
}
