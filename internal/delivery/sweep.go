package delivery

import (
	"context"
	"fmt"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/jobs"
)

// orphansSQL finds attempts still sending whose message.send job is not
// waiting or running: none at all (which the transactional enqueue should
// make impossible), or one that failed for good (the jobs runner fails a
// job it took back from dead nodes more often than its attempts allow).
const orphansSQL = `SELECT a.shop_id, a.message_id, a.channel, a.provider,
	EXISTS (SELECT 1 FROM jobs j WHERE j.unique_key = 'message.send:' || a.message_id || ':' || a.channel)
FROM message_attempts a
JOIN messages m ON m.shop_id = a.shop_id AND m.id = a.message_id AND m.channel = a.channel AND m.status = 'sending'
WHERE a.status = 'sending' AND NOT EXISTS (SELECT 1 FROM jobs j
	WHERE j.unique_key = 'message.send:' || a.message_id || ':' || a.channel AND j.state IN ('available', 'running'))`

type orphan struct {
	shopID, messageID, channel, provider string
	failedJob                            bool
}

// Recover is the start-up sweep of messages left sending. Call it after
// the job runner started: the runner has then already taken back the
// message.send jobs of dead processes (at once on SQLite, whose file lock
// proves the old process dead; after NodeTimeout, 30 s, on PostgreSQL),
// and they run again with the same message id, so a provider that dedupes
// sees the same idempotency key. What is left here is a message whose job
// is gone or failed for good: it is sent again (no job) or moved to the
// next channel (failed job). It returns how many messages it repaired.
func (s *Service) Recover(ctx context.Context) (int, error) {
	rows, err := s.DB.QueryContext(ctx, orphansSQL)
	if err != nil {
		return 0, fmt.Errorf("sweep sending messages: %w", err)
	}
	var found []orphan
	for rows.Next() {
		var o orphan
		if err := rows.Scan(&o.shopID, &o.messageID, &o.channel, &o.provider, &o.failedJob); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan sending message: %w", err)
		}
		found = append(found, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("sweep sending messages: %w", err)
	}
	for _, o := range found {
		err := s.DB.InTx(ctx, func(tx *db.Tx) error {
			m, err := loadSendable(ctx, tx, o.shopID, o.messageID)
			if err != nil {
				return err
			}
			if !o.failedJob {
				_, _, err := s.Queue.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: SendKind, ShopID: o.shopID,
					Args: sendArgs{MessageID: o.messageID, Channel: o.channel}, UniqueKey: sendKey(o.messageID, o.channel)})
				return err
			}
			if _, err := tx.ExecContext(ctx, deleteFailedSendSQL, sendKey(o.messageID, o.channel)); err != nil {
				return fmt.Errorf("drop failed send job: %w", err)
			}
			return s.fallback(ctx, tx, o.shopID, o.messageID, m, o.channel, o.provider, ReasonRetriesExhausted, s.Clock.Now())
		})
		if err != nil {
			return 0, err
		}
	}
	if len(found) > 0 {
		s.Log.Warn("delivery sweep repaired messages left sending", "messages", len(found))
	}
	return len(found), nil
}

const deleteFailedSendSQL = `DELETE FROM jobs WHERE unique_key = $1 AND state = 'failed'`
