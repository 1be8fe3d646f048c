package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/message"
)

var errCampaignNotFound = errs.NotFound("campaign_not_found", "campaign not found")

const insertCampaignSQL = `INSERT INTO campaigns (shop_id, id, kind, status, purpose, channel, template_key, sku, lot,
purchased_from, purchased_to, segment, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)`

func insertCampaignRow(ctx context.Context, tx db.DBTX, shopID string, c Campaign) error {
	seg := []byte("{}")
	if c.Segment != nil {
		var err error
		if seg, err = json.Marshal(c.Segment); err != nil {
			return fmt.Errorf("campaign segment: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, insertCampaignSQL, shopID, c.ID, c.Kind, c.Status, c.Purpose, c.Channel, c.TemplateKey,
		c.SKU, c.Lot, c.PurchasedFrom, c.PurchasedTo, string(seg), c.CreatedAt)
	if err != nil {
		return fmt.Errorf("insert campaign: %w", err)
	}
	return nil
}

// campaignRow is a campaign as stored, with its fan-out cursor.
type campaignRow struct {
	Campaign
	Cursor string
}

const campaignSQL = `SELECT id, kind, status, purpose, channel, template_key, sku, lot, purchased_from, purchased_to,
segment, cursor, targeted, created_at FROM campaigns WHERE shop_id = $1 AND id = $2`

func campaignByID(ctx context.Context, d db.DBTX, shopID, id string) (campaignRow, error) {
	var c campaignRow
	var from, to sql.NullTime
	var seg string
	err := d.QueryRowContext(ctx, campaignSQL, shopID, id).Scan(&c.ID, &c.Kind, &c.Status, &c.Purpose, &c.Channel,
		&c.TemplateKey, &c.SKU, &c.Lot, &from, &to, &seg, &c.Cursor, &c.Targeted, &c.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return campaignRow{}, errCampaignNotFound
	}
	if err != nil {
		return campaignRow{}, fmt.Errorf("campaign: %w", err)
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if from.Valid {
		t := from.Time.UTC()
		c.PurchasedFrom = &t
	}
	if to.Valid {
		t := to.Time.UTC()
		c.PurchasedTo = &t
	}
	if c.Kind == KindBroadcast {
		c.Segment = &Segment{}
		if err := json.Unmarshal([]byte(seg), c.Segment); err != nil {
			return campaignRow{}, fmt.Errorf("campaign segment: %w", err)
		}
	}
	return c, nil
}

const advanceCampaignSQL = `UPDATE campaigns SET cursor = $3, targeted = targeted + $4, status = $5, updated_at = $6
WHERE shop_id = $1 AND id = $2`

func advanceCampaign(ctx context.Context, tx db.DBTX, shopID, id, cursor string, n int, done bool, now time.Time) error {
	status := StatusTargeting
	if done {
		status = StatusDone
	}
	if _, err := tx.ExecContext(ctx, advanceCampaignSQL, shopID, id, cursor, n, status, now); err != nil {
		return fmt.Errorf("advance campaign: %w", err)
	}
	return nil
}

const insertCampaignMessagesHead = `INSERT INTO campaign_messages (shop_id, campaign_id, customer_id, message_id) VALUES `

// insertCampaignMessages links the messages ms (ms[i] for customers[i]) to
// the campaign, one statement per 500 rows.
func insertCampaignMessages(ctx context.Context, tx db.DBTX, shopID, campaignID string, customers []string, ms []message.Message) error {
	const chunk = 500
	for from := 0; from < len(customers); from += chunk {
		to := min(from+chunk, len(customers))
		var b strings.Builder
		b.WriteString(insertCampaignMessagesHead)
		args := make([]any, 0, 4*(to-from))
		for i := from; i < to; i++ {
			if i > from {
				b.WriteString(", ")
			}
			if n := len(args); tx.Dialect() == db.Postgres {
				fmt.Fprintf(&b, "($%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4)
			} else {
				b.WriteString("(?, ?, ?, ?)") // SQLite resolves "$N" by a linear search: plain "?"
			}
			args = append(args, shopID, campaignID, customers[i], ms[i].ID)
		}
		// A staged row (stageRecallTargets, message_id '') gets its message;
		// a row with a message keeps it (a repeated batch changes nothing).
		b.WriteString(" ON CONFLICT (shop_id, campaign_id, customer_id) DO UPDATE SET message_id = excluded.message_id" +
			" WHERE campaign_messages.message_id = ''")
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("campaign messages: %w", err)
		}
	}
	return nil
}

// Targeting queries: the next batch of customer IDs after the cursor, in
// ID order, live (not erased) customers only.
const (
	// A recall's buyers are collected once, set-based, by stageRecallTargets
	// into campaign_messages with message_id '' and then paged from there by
	// its primary key, so every page reads only its own rows whatever plan
	// the engine picks. Paging the join itself (order lines of the SKU →
	// orders → DISTINCT customer ORDER BY LIMIT) has no index that yields
	// the buyers in customer order: PostgreSQL without statistics read every
	// line of the SKU for each page, quadratic in the number of buyers.
	recallTargetsSQL = `SELECT cm.customer_id FROM campaign_messages cm
JOIN customers c ON c.shop_id = cm.shop_id AND c.id = cm.customer_id
WHERE cm.shop_id = $1 AND cm.campaign_id = $2 AND cm.customer_id > $3 AND c.erased_at IS NULL
ORDER BY cm.customer_id LIMIT $4`
	allTargetsSQL = `SELECT id FROM customers WHERE shop_id = $1 AND erased_at IS NULL AND id > $2 ORDER BY id LIMIT $3`
	tagTargetsSQL = `SELECT c.id FROM customer_tags t JOIN customers c ON c.shop_id = t.shop_id AND c.id = t.customer_id
WHERE t.shop_id = $1 AND t.tag = $4 AND c.erased_at IS NULL AND c.id > $2 ORDER BY c.id LIMIT $3`
	bandTargetsSQL = `SELECT id FROM customers WHERE shop_id = $1 AND freshness_band = $4 AND erased_at IS NULL AND id > $2
ORDER BY id LIMIT $3`
)

// stageRecallTargetsSQL collects every buyer of the SKU within the window
// (erased or not: the pages skip the erased ones) into campaign_messages,
// message_id empty until its batch plans the message. Neither engine may
// join the two tables by a nested loop whose inner side is a range: without
// statistics both estimate one row per side, and PostgreSQL then scanned
// the window's orders (orders_ordered) once per line of the SKU. %s is
// "CROSS" on SQLite, whose planner then reads the lines of the SKU
// (order_lines_sku) and finds each order by its primary key; PostgreSQL
// runs it with nested loops disabled for the statement (a hash or merge
// join: linear).
const stageRecallTargetsSQL = `INSERT INTO campaign_messages (shop_id, campaign_id, customer_id, message_id)
SELECT DISTINCT o.shop_id, $2, o.customer_id, '' FROM order_lines l
%s JOIN orders o ON o.shop_id = l.shop_id AND o.id = l.order_id
WHERE l.shop_id = $1 AND l.sku = $3 AND o.ordered_at >= $4 AND o.ordered_at <= $5
ON CONFLICT (shop_id, campaign_id, customer_id) DO NOTHING`

var stageRecallTargetsSQLs = [2]string{fmt.Sprintf(stageRecallTargetsSQL, ""), fmt.Sprintf(stageRecallTargetsSQL, "CROSS")}

// deleteStagedSQL drops the staged rows no message was planned for (buyers
// erased before their batch) once the campaign is done.
const deleteStagedSQL = `DELETE FROM campaign_messages WHERE shop_id = $1 AND campaign_id = $2 AND message_id = ''`

// stageRecallTargets collects a recall's buyers (see recallTargetsSQL). It
// runs in the transaction of the first batch (cursor ""): a crash before
// that commits stages nothing, and staging again adds nothing twice.
func stageRecallTargets(ctx context.Context, tx db.DBTX, shopID string, c campaignRow) error {
	from, to := beginning, end
	if c.PurchasedFrom != nil {
		from = *c.PurchasedFrom
	}
	if c.PurchasedTo != nil {
		to = *c.PurchasedTo
	}
	pg := tx.Dialect() == db.Postgres
	if pg {
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_nestloop = off"); err != nil {
			return fmt.Errorf("stage recall targets: %w", err)
		}
	}
	q := tx.Dialect().Pick(stageRecallTargetsSQLs[0], stageRecallTargetsSQLs[1])
	if _, err := tx.ExecContext(ctx, q, shopID, c.ID, c.SKU, from, to); err != nil {
		return fmt.Errorf("stage recall targets: %w", err)
	}
	if pg {
		// SET LOCAL lasts to the end of the transaction: the rest of the
		// batch plans as usual.
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_nestloop = on"); err != nil {
			return fmt.Errorf("stage recall targets: %w", err)
		}
	}
	return nil
}

func deleteStaged(ctx context.Context, tx db.DBTX, shopID, campaignID string) error {
	if _, err := tx.ExecContext(ctx, deleteStagedSQL, shopID, campaignID); err != nil {
		return fmt.Errorf("campaign staged targets: %w", err)
	}
	return nil
}

// Bounds of an open purchase window.
var (
	beginning = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	end       = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

func targets(ctx context.Context, tx db.DBTX, shopID string, c campaignRow, limit int) ([]string, error) {
	var (
		q    string
		args []any
	)
	switch {
	case c.Kind == KindRecall:
		if c.Cursor == "" {
			if err := stageRecallTargets(ctx, tx, shopID, c); err != nil {
				return nil, err
			}
		}
		q, args = recallTargetsSQL, []any{shopID, c.ID, c.Cursor, limit}
	case c.Segment != nil && c.Segment.Tag != "":
		q, args = tagTargetsSQL, []any{shopID, c.Cursor, limit, c.Segment.Tag}
	case c.Segment != nil && c.Segment.Band != "":
		q, args = bandTargetsSQL, []any{shopID, c.Cursor, limit, c.Segment.Band}
	default:
		q, args = allTargetsSQL, []any{shopID, c.Cursor, limit}
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("campaign targets: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan campaign target: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign targets: %w", err)
	}
	return ids, nil
}

const campaignCountsSQL = `SELECT m.status, m.reason, m.acknowledged_at IS NOT NULL, COUNT(*)
FROM campaign_messages cm JOIN messages m ON m.shop_id = cm.shop_id AND m.id = cm.message_id
WHERE cm.shop_id = $1 AND cm.campaign_id = $2
GROUP BY m.status, m.reason, m.acknowledged_at IS NOT NULL`

func campaignCounts(ctx context.Context, d db.DBTX, shopID, id string) (Counts, error) {
	rows, err := d.QueryContext(ctx, campaignCountsSQL, shopID, id)
	if err != nil {
		return Counts{}, fmt.Errorf("campaign counts: %w", err)
	}
	defer rows.Close()
	var c Counts
	for rows.Next() {
		var status, reason string
		var acked bool
		var n int
		if err := rows.Scan(&status, &reason, &acked, &n); err != nil {
			return Counts{}, fmt.Errorf("scan campaign counts: %w", err)
		}
		c.Targeted += n
		if acked {
			c.Acknowledged += n
		}
		switch status {
		case "scheduled", "deferred", "sending":
			c.Pending += n
		case "sent":
			c.Sent += n
		case "delivered", "opened", "clicked":
			c.Sent += n
			c.Delivered += n
		case "failed":
			c.Unreachable += n
		case "suppressed":
			if reason == "unreachable" {
				c.Unreachable += n
			} else {
				c.Suppressed += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return Counts{}, fmt.Errorf("campaign counts: %w", err)
	}
	return c, nil
}
