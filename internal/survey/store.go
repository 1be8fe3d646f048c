package survey

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

const responseColumns = `id, survey_id, order_id, customer_id, csat, nps, comment, locale, recovery_ticket_id, edits,
answered_at, updated_at`

func scanResponse(row interface{ Scan(...any) error }) (Response, error) {
	var r Response
	var nps sql.NullInt64
	if err := row.Scan(&r.ID, &r.SurveyID, &r.OrderID, &r.CustomerID, &r.CSAT, &nps, &r.Comment, &r.Locale,
		&r.RecoveryTicketID, &r.Edits, &r.AnsweredAt, &r.UpdatedAt); err != nil {
		return Response{}, err
	}
	if nps.Valid {
		n := int(nps.Int64)
		r.NPS = &n
	}
	r.AnsweredAt, r.UpdatedAt = r.AnsweredAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

var (
	errNoResponse = errs.NotFound("survey_response_not_found", "no answer yet")
	errNoOrder    = errs.NotFound("order_not_found", "order not found")
	errNoSurvey   = errs.NotFound("survey_not_found", "no such survey; the built-in one is post_purchase")
)

// orderCustomerSQL reads the customer of an order (the orders table belongs
// to package order; a live customer only: an erased one answers nothing).
const orderCustomerSQL = `SELECT o.customer_id FROM orders o
JOIN customers c ON c.shop_id = o.shop_id AND c.id = o.customer_id
WHERE o.shop_id = $1 AND o.id = $2 AND c.erased_at IS NULL`

func orderCustomer(ctx context.Context, d db.DBTX, shopID, orderID string) (string, error) {
	var c string
	err := d.QueryRowContext(ctx, orderCustomerSQL, shopID, orderID).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNoOrder
	}
	if err != nil {
		return "", fmt.Errorf("survey order: %w", err)
	}
	return c, nil
}

const byOrderSQL = `SELECT ` + responseColumns + ` FROM survey_responses WHERE shop_id = $1 AND survey_id = $2 AND order_id = $3`

func byOrder(ctx context.Context, d db.DBTX, shopID, surveyID, orderID string) (Response, error) {
	r, err := scanResponse(d.QueryRowContext(ctx, byOrderSQL, shopID, surveyID, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return Response{}, errNoResponse
	}
	if err != nil {
		return Response{}, fmt.Errorf("survey response: %w", err)
	}
	return r, nil
}

const insertSQL = `INSERT INTO survey_responses (shop_id, id, survey_id, order_id, customer_id, csat, nps, comment, locale,
recovery_ticket_id, answered_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
ON CONFLICT (shop_id, survey_id, order_id) DO NOTHING
RETURNING ` + responseColumns

// insert stores a first answer; ok is false when one exists already (a
// concurrent first submit won).
func insert(ctx context.Context, tx db.DBTX, shopID string, r Response) (Response, bool, error) {
	got, err := scanResponse(tx.QueryRowContext(ctx, insertSQL, shopID, r.ID, r.SurveyID, r.OrderID, r.CustomerID,
		r.CSAT, nullInt(r.NPS), r.Comment, r.Locale, r.RecoveryTicketID, r.AnsweredAt))
	if errors.Is(err, sql.ErrNoRows) {
		return Response{}, false, nil
	}
	if err != nil {
		return Response{}, false, fmt.Errorf("insert survey response: %w", err)
	}
	return got, true, nil
}

const updateSQL = `UPDATE survey_responses SET csat = $3, nps = $4, comment = $5, locale = $6, recovery_ticket_id = $7,
edits = edits + 1, updated_at = $8 WHERE shop_id = $1 AND id = $2
RETURNING ` + responseColumns

// update stores an edit of an answer.
func update(ctx context.Context, tx db.DBTX, shopID string, r Response, now time.Time) (Response, error) {
	got, err := scanResponse(tx.QueryRowContext(ctx, updateSQL, shopID, r.ID, r.CSAT, nullInt(r.NPS), r.Comment, r.Locale,
		r.RecoveryTicketID, now))
	if err != nil {
		return Response{}, fmt.Errorf("update survey response: %w", err)
	}
	return got, nil
}

const setRecoverySQL = `UPDATE survey_responses SET recovery_ticket_id = $3 WHERE shop_id = $1 AND id = $2 AND recovery_ticket_id = 'pending'`

// setRecovery replaces the 'pending' claim with the ticket's ID (or with
// "" to release the claim).
func setRecovery(ctx context.Context, d db.DBTX, shopID, responseID, ticketID string) error {
	if _, err := d.ExecContext(ctx, setRecoverySQL, shopID, responseID, ticketID); err != nil {
		return fmt.Errorf("set recovery ticket: %w", err)
	}
	return nil
}

const periodSQL = `SELECT csat, nps, answered_at FROM survey_responses
WHERE shop_id = $1 AND survey_id = $2 AND answered_at >= $3 AND answered_at < $4`

// scores streams the scores answered in [from, to) to fn.
func scores(ctx context.Context, d db.DBTX, shopID, surveyID string, from, to time.Time, fn func(csat int, nps *int, at time.Time)) error {
	rows, err := d.QueryContext(ctx, periodSQL, shopID, surveyID, from, to)
	if err != nil {
		return fmt.Errorf("survey results: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var csat int
		var nps sql.NullInt64
		var at time.Time
		if err := rows.Scan(&csat, &nps, &at); err != nil {
			return fmt.Errorf("scan survey result: %w", err)
		}
		var p *int
		if nps.Valid {
			n := int(nps.Int64)
			p = &n
		}
		fn(csat, p, at.UTC())
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("survey results: %w", err)
	}
	return nil
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}
