package customer

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
	"github.com/kizukai/kizukai/internal/errs"
)

const customerColumns = `id, external_id, name, email, phone, line_user_id, postal_address, locale,
	attributes, preferred_channel, created_at, updated_at, erased_at`

func scanCustomer(row interface{ Scan(...any) error }) (Customer, error) {
	var c Customer
	var attrs string
	var erased sql.NullTime
	err := row.Scan(&c.ID, &c.ExternalID, &c.Name, &c.Email, &c.Phone, &c.LineUserID, &c.PostalAddress, &c.Locale,
		&attrs, &c.PreferredChannel, &c.CreatedAt, &c.UpdatedAt, &erased)
	if err != nil {
		return Customer{}, err
	}
	c.Attributes = map[string]any{}
	if err := json.Unmarshal([]byte(attrs), &c.Attributes); err != nil {
		return Customer{}, fmt.Errorf("customer %s attributes: %w", c.ID, err)
	}
	if erased.Valid {
		t := erased.Time.UTC()
		c.ErasedAt = &t
	}
	c.Tags = []string{}
	c.Consents = map[string]Consent{}
	return c, nil
}

// errNotFound is what every lookup of a missing, erased or other shop's
// customer returns.
var errNotFound = errs.NotFound("customer_not_found", "customer not found")

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	return fmt.Errorf("%s: %w", what, err)
}

// upsertSQL inserts a customer or, when the shop already has its
// external_id, updates it, in one statement: concurrent upserts of one
// external_id never fail with a unique violation and never make two rows.
// A NULL parameter means "absent": the stored value is kept (or the
// column's default used on insert).
const upsertSQL = `INSERT INTO customers (shop_id, id, external_id, name, email, phone, line_user_id,
	postal_address, locale, attributes, preferred_channel, created_at, updated_at)
VALUES ($1, $2, $3, COALESCE($4, ''), COALESCE($5, ''), COALESCE($6, ''), COALESCE($7, ''),
	COALESCE($8, ''), COALESCE($9, 'ja'), COALESCE($10, '{}'), COALESCE($11, ''), $12, $12)
ON CONFLICT (shop_id, external_id) DO UPDATE SET
	name = COALESCE($4, customers.name),
	email = COALESCE($5, customers.email),
	phone = COALESCE($6, customers.phone),
	line_user_id = COALESCE($7, customers.line_user_id),
	postal_address = COALESCE($8, customers.postal_address),
	locale = COALESCE($9, customers.locale),
	attributes = COALESCE($10, customers.attributes),
	preferred_channel = COALESCE($11, customers.preferred_channel),
	updated_at = $12
RETURNING ` + customerColumns

// updateSQL is a partial update by ID with the same NULL-keeps rule.
const updateSQL = `UPDATE customers SET
	name = COALESCE($3, name),
	email = COALESCE($4, email),
	phone = COALESCE($5, phone),
	line_user_id = COALESCE($6, line_user_id),
	postal_address = COALESCE($7, postal_address),
	locale = COALESCE($8, locale),
	attributes = COALESCE($9, attributes),
	preferred_channel = COALESCE($10, preferred_channel),
	updated_at = $11
WHERE shop_id = $1 AND id = $2 AND erased_at IS NULL
RETURNING ` + customerColumns

// fieldArgs returns the nullable column values of in, in the order
// name, email, phone, line_user_id, postal_address, locale, attributes,
// preferred_channel.
func fieldArgs(in Input) ([]any, error) {
	str := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	var attrs any
	if in.Attributes != nil {
		b, err := json.Marshal(in.Attributes)
		if err != nil {
			return nil, fmt.Errorf("customer attributes: %w", err)
		}
		attrs = string(b)
	}
	return []any{str(in.Name), str(in.Email), str(in.Phone), str(in.LineUserID), str(in.PostalAddress),
		str(in.Locale), attrs, str(in.PreferredChannel)}, nil
}

func upsertRow(ctx context.Context, tx db.DBTX, shopID, newID string, in Input, now time.Time) (Customer, error) {
	fields, err := fieldArgs(in)
	if err != nil {
		return Customer{}, err
	}
	args := append([]any{shopID, newID, in.ExternalID}, fields...)
	args = append(args, now)
	c, err := scanCustomer(tx.QueryRowContext(ctx, upsertSQL, args...))
	if err != nil {
		return Customer{}, fmt.Errorf("upsert customer: %w", err)
	}
	return c, nil
}

func updateRow(ctx context.Context, tx db.DBTX, shopID, id string, in Input, now time.Time) (Customer, error) {
	fields, err := fieldArgs(in)
	if err != nil {
		return Customer{}, err
	}
	args := append([]any{shopID, id}, fields...)
	args = append(args, now)
	c, err := scanCustomer(tx.QueryRowContext(ctx, updateSQL, args...))
	if err != nil {
		return Customer{}, notFound(err, "update customer")
	}
	return c, nil
}

const byIDSQL = `SELECT ` + customerColumns + ` FROM customers WHERE shop_id = $1 AND id = $2 AND erased_at IS NULL`

func byID(ctx context.Context, d db.DBTX, shopID, id string) (Customer, error) {
	c, err := scanCustomer(d.QueryRowContext(ctx, byIDSQL, shopID, id))
	if err != nil {
		return Customer{}, notFound(err, "customer by id")
	}
	return c, nil
}

const byExternalIDSQL = `SELECT ` + customerColumns + ` FROM customers
WHERE shop_id = $1 AND external_id = $2 AND erased_at IS NULL`

func byExternalID(ctx context.Context, d db.DBTX, shopID, externalID string) (Customer, error) {
	c, err := scanCustomer(d.QueryRowContext(ctx, byExternalIDSQL, shopID, externalID))
	if err != nil {
		return Customer{}, notFound(err, "customer by external id")
	}
	return c, nil
}

const (
	deleteTagsSQL = `DELETE FROM customer_tags WHERE shop_id = $1 AND customer_id = $2`
	insertTagSQL  = `INSERT INTO customer_tags (shop_id, customer_id, tag) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
)

func replaceTags(ctx context.Context, tx db.DBTX, shopID, customerID string, tags []string) error {
	if _, err := tx.ExecContext(ctx, deleteTagsSQL, shopID, customerID); err != nil {
		return fmt.Errorf("delete tags: %w", err)
	}
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, insertTagSQL, shopID, customerID, t); err != nil {
			return fmt.Errorf("insert tag: %w", err)
		}
	}
	return nil
}

// inList returns "$n, $n+1, ..." for values appended to args.
func inList(args *[]any, values []string) string {
	ph := make([]string, len(values))
	for i, v := range values {
		*args = append(*args, v)
		ph[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(ph, ", ")
}

const tagsSQL = `SELECT customer_id, tag FROM customer_tags WHERE shop_id = $1 AND customer_id IN (%s) ORDER BY customer_id, tag`

// loadExtras fills the tags and current consents of cs (one query each).
func loadExtras(ctx context.Context, d db.DBTX, shopID string, cs []Customer) error {
	if len(cs) == 0 {
		return nil
	}
	idx := make(map[string]int, len(cs))
	ids := make([]string, len(cs))
	for i, c := range cs {
		idx[c.ID], ids[i] = i, c.ID
	}
	args := []any{shopID}
	rows, err := d.QueryContext(ctx, fmt.Sprintf(tagsSQL, inList(&args, ids)), args...)
	if err != nil {
		return fmt.Errorf("load tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid, tag string
		if err := rows.Scan(&cid, &tag); err != nil {
			return fmt.Errorf("scan tag: %w", err)
		}
		cs[idx[cid]].Tags = append(cs[idx[cid]].Tags, tag)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load tags: %w", err)
	}
	history, err := consentHistory(ctx, d, shopID, ids)
	if err != nil {
		return err
	}
	for _, r := range history {
		cs[idx[r.customerID]].Consents[r.Channel] = Consent{Granted: r.Granted, At: r.At, Source: r.Source}
	}
	return nil
}

// ListParams selects customers of a shop, in ID order after AfterID.
type ListParams struct {
	ShopID     string
	ExternalID string // exact match
	Query      string // case-insensitive substring of name, email, phone or external_id
	Tag        string // has this tag
	Band       string // stored freshness band (see List)
	AfterID    string // keyset cursor: only IDs after this one
	Limit      int    // default 50

	// ConsentChannel with ConsentState selects by the current consent of
	// one channel: granted, withdrawn (latest record says no) or none (no
	// record at all). Both or neither.
	ConsentChannel string
	ConsentState   string
}

// listRows returns up to limit customers matching p's filters, in ID order
// after afterID. The band is the stored one: with a band, the rows are
// found through customer_freshness_band (shop_id, freshness_band,
// customer_id), in its order, and joined to customers.
func listRows(ctx context.Context, d db.DBTX, p ListParams, afterID string, limit int) ([]Customer, error) {
	from, idCol := `customers`, `id`
	if p.Band != "" {
		from, idCol = `customer_freshness f JOIN customers ON customers.shop_id = f.shop_id AND customers.id = f.customer_id`, `f.customer_id`
	}
	q := `SELECT ` + customerColumns + ` FROM ` + from + ` WHERE customers.shop_id = $1 AND erased_at IS NULL`
	args := []any{p.ShopID}
	add := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + strings.ReplaceAll(cond, "$?", fmt.Sprintf("$%d", len(args)))
	}
	if p.Band != "" {
		add(`f.shop_id = $1 AND f.freshness_band = $?`, p.Band)
	}
	if afterID != "" {
		add(idCol+` > $?`, afterID)
	}
	q += filterSQL(p, &args)
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY %s LIMIT $%d`, idCol, len(args))
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var out []Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, fmt.Errorf("scan customer: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return out, nil
}

// likeEscaper escapes LIKE's wildcards with the ESCAPE character '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// idsByExternalIDSQL is followed by the IN list. Erased customers are
// excluded like everywhere else (their external IDs are replaced at erasure
// anyway, but a caller could send the replacement).
const idsByExternalIDSQL = `SELECT external_id, id FROM customers WHERE shop_id = $1 AND erased_at IS NULL AND external_id IN (%s)`

// maxInList is how many values one IN list holds, well under both engines'
// parameter limits.
const maxInList = 1000

// namesByIDSQL reads the names of live customers by ID.
const namesByIDSQL = `SELECT id, name FROM customers WHERE shop_id = $1 AND erased_at IS NULL AND id IN (%s)`

// idsByExternalID maps the shop's live customers' external IDs among
// externalIDs to their IDs, one query per maxInList IDs.
func idsByExternalID(ctx context.Context, d db.DBTX, shopID string, externalIDs []string) (map[string]string, error) {
	m, err := pairsIn(ctx, d, idsByExternalIDSQL, shopID, externalIDs)
	if err != nil {
		return nil, fmt.Errorf("customer ids by external id: %w", err)
	}
	return m, nil
}

// namesByID maps the shop's live customers among ids to their names.
func namesByID(ctx context.Context, d db.DBTX, shopID string, ids []string) (map[string]string, error) {
	m, err := pairsIn(ctx, d, namesByIDSQL, shopID, ids)
	if err != nil {
		return nil, fmt.Errorf("customer names: %w", err)
	}
	return m, nil
}

// pairsIn runs query (two string columns, $1 the shop, %s the IN list)
// over keys, one query per maxInList keys, and maps column one to two.
func pairsIn(ctx context.Context, d db.DBTX, query, shopID string, keys []string) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	for start := 0; start < len(keys); start += maxInList {
		part := keys[start:min(start+maxInList, len(keys))]
		args := make([]any, 0, len(part)+1)
		args = append(args, shopID)
		for _, x := range part {
			args = append(args, x)
		}
		q := fmt.Sprintf(query, placeholders(d.Dialect(), 2, len(part)))
		if err := func() error {
			rows, err := d.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k, v string
				if err := rows.Scan(&k, &v); err != nil {
					return err
				}
				out[k] = v
			}
			return rows.Err()
		}(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// placeholders returns n comma-separated placeholders numbered from first:
// "$first, ..." on PostgreSQL, "?, ..." on SQLite, where each "$N" costs a
// linear search of the names seen so far when the statement is parsed
// (hundreds of them made the order batch's look-ups parse-bound). A "?"
// takes the number one past the largest so far, so the list must follow
// every "$N" of the statement.
func placeholders(d db.Dialect, first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if d == db.Postgres {
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(first + i))
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
