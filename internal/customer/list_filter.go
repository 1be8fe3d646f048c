package customer

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/errs"
)

// Consent states a list can filter by (ListParams.ConsentState).
const (
	ConsentGranted   = "granted"
	ConsentWithdrawn = "withdrawn"
	ConsentNone      = "none"
)

// ConsentStates lists the consent states of the list filter.
var ConsentStates = []string{ConsentGranted, ConsentWithdrawn, ConsentNone}

// latestConsentSQL is the granted flag of a customer's latest consent
// record on one channel (the one loadExtras reports as current: the last in
// at, id order), found through consents_customer (shop_id, customer_id,
// channel, at). %d is the channel's parameter.
const latestConsentSQL = `(SELECT c.granted FROM consents c WHERE c.shop_id = customers.shop_id
	AND c.customer_id = customers.id AND c.channel = $%d ORDER BY c.at DESC, c.id DESC LIMIT 1)`

// validateFilters checks p's filters other than the band, by query
// parameter name.
func (p ListParams) validateFilters(f *errs.Fields) {
	for name, v := range map[string]string{"q": p.Query, "tag": p.Tag, "external_id": p.ExternalID} {
		if utf8.RuneCountInString(v) > 200 || !printable(v) {
			f.Add(name, "at most 200 characters, no control characters")
		}
	}
	switch {
	case p.ConsentChannel == "" && p.ConsentState != "":
		f.Add("consent_channel", "required with a consent state")
	case p.ConsentChannel != "" && !ValidChannel(p.ConsentChannel):
		f.Add("consent_channel", "one of email, sms, line, postal, phone")
	}
	switch {
	case p.ConsentState == "" && p.ConsentChannel != "":
		f.Add("consent", "required with a consent channel")
	case p.ConsentState != "" && !slices.Contains(ConsentStates, p.ConsentState):
		f.Add("consent", "one of granted, withdrawn, none")
	}
}

// filterSQL returns the conditions of p's filters other than the band and
// the cursor, each as " AND ...", appending their values to args. The
// query has the customers table as "customers".
func filterSQL(p ListParams, args *[]any) string {
	var q strings.Builder
	add := func(cond string, v any) {
		*args = append(*args, v)
		q.WriteString(" AND " + strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(*args))))
	}
	if p.ExternalID != "" {
		add(`external_id = $?`, p.ExternalID)
	}
	if p.Tag != "" {
		add(`EXISTS (SELECT 1 FROM customer_tags t WHERE t.shop_id = customers.shop_id
			AND t.customer_id = customers.id AND t.tag = $?)`, p.Tag)
	}
	if p.Query != "" {
		*args = append(*args, "%"+likeEscaper.Replace(strings.ToLower(p.Query))+"%")
		cond := fmt.Sprintf(`LOWER(name) LIKE $%[1]d ESCAPE '\' OR LOWER(email) LIKE $%[1]d ESCAPE '\'
			OR phone LIKE $%[1]d ESCAPE '\' OR LOWER(external_id) LIKE $%[1]d ESCAPE '\'`, len(*args))
		if phone, err := NormalizePhone(p.Query); err == nil {
			// "090-1234-5678" finds +819012345678.
			*args = append(*args, phone)
			cond += fmt.Sprintf(` OR phone = $%d`, len(*args))
		}
		q.WriteString(" AND (" + cond + ")")
	}
	if p.ConsentChannel != "" {
		*args = append(*args, p.ConsentChannel)
		latest := fmt.Sprintf(latestConsentSQL, len(*args))
		switch p.ConsentState {
		case ConsentNone:
			q.WriteString(" AND " + latest + " IS NULL")
		default:
			// The flag is a bound bool: BOOLEAN on PostgreSQL, 0/1 on SQLite.
			*args = append(*args, p.ConsentState == ConsentGranted)
			q.WriteString(fmt.Sprintf(" AND %s = $%d", latest, len(*args)))
		}
	}
	return q.String()
}

// countBandsSQL counts the matching customers by stored band; customers
// without a stored freshness (no orders) count under "".
const countBandsSQL = `SELECT f.freshness_band, COUNT(*) FROM customers
	LEFT JOIN customer_freshness f ON f.shop_id = customers.shop_id AND f.customer_id = customers.id
	WHERE customers.shop_id = $1 AND erased_at IS NULL%s GROUP BY f.freshness_band`

// CountByBand counts the shop's live customers that match p's filters (its
// band, cursor and limit are ignored), by stored freshness band; "" counts
// those without one (no orders yet). The bands are the stored ones, like
// List's band filter: in real time a band may lag the live one by the
// sweep's delay.
func (s *Service) CountByBand(ctx context.Context, p ListParams) (map[string]int, error) {
	var f errs.Fields
	p.validateFilters(&f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	args := []any{p.ShopID}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(countBandsSQL, filterSQL(p, &args)), args...)
	if err != nil {
		return nil, fmt.Errorf("count customers: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var band sql.NullString
		var n int
		if err := rows.Scan(&band, &n); err != nil {
			return nil, fmt.Errorf("scan count: %w", err)
		}
		out[band.String] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count customers: %w", err)
	}
	return out, nil
}

// ConsentHistory returns every consent record of the shop's customer,
// oldest first (what was granted or withdrawn, when, where and with which
// wording). An erased or unknown customer is not found.
func (s *Service) ConsentHistory(ctx context.Context, shopID, customerID string) ([]ConsentRecord, error) {
	if _, err := byID(ctx, s.db, shopID, customerID); err != nil {
		return nil, err
	}
	rows, err := consentHistory(ctx, s.db, shopID, []string{customerID})
	if err != nil {
		return nil, err
	}
	out := make([]ConsentRecord, len(rows))
	for i, r := range rows {
		out[i] = r.ConsentRecord
	}
	return out, nil
}
