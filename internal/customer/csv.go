package customer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

// CSV import limits.
const (
	MaxImportBytes = 10 << 20 // 10 MiB
	MaxImportRows  = 50_000
	importBatch    = 500 // rows per transaction: SQLite's one writer is not held for a whole file
)

// CSVColumns are the columns of the customer CSV, in export order. An
// import must have external_id and may have any of the others, in any
// order; id and created_at (export only) are ignored on import.
var CSVColumns = []string{"external_id", "name", "email", "phone", "line_user_id", "postal_address", "locale",
	"tags", "email_consent", "sms_consent", "line_consent", "preferred_channel"}

var exportOnlyColumns = []string{"id", "created_at"}

// csvConsentColumns maps consent columns to their channel.
var csvConsentColumns = map[string]string{"email_consent": "email", "sms_consent": "sms", "line_consent": "line"}

// ImportRow is one parsed data row: its Input, or the problems that keep it
// from being imported.
type ImportRow struct {
	Row      int // record number, the header being 1
	Input    Input
	Problems errs.Fields
}

// RowError reports a row that was skipped.
type RowError struct {
	Row    int               `json:"row" doc:"record number; the header is row 1"`
	Fields map[string]string `json:"fields"`
}

// ImportResult is the outcome of an import.
type ImportResult struct {
	Created int        `json:"created"`
	Updated int        `json:"updated"`
	Errors  []RowError `json:"errors"`
}

// decodeCSV returns data as UTF-8 without a BOM: UTF-8 as is, anything
// else read as Shift_JIS (CP932, what Excel in Japan writes).
func decodeCSV(data []byte) ([]byte, error) {
	if utf8.Valid(data) {
		return bytes.TrimPrefix(data, []byte("\ufeff")), nil
	}
	out, err := japanese.ShiftJIS.NewDecoder().Bytes(data)
	if err != nil {
		return nil, errs.Malformed("bad_encoding", "the CSV is neither UTF-8 nor Shift_JIS")
	}
	return out, nil
}

// ParseCSV reads a customer CSV (see CSVColumns): a header row, then one
// customer per row. A present column sets its field (an empty cell clears
// it), except locale and the consent columns, where empty means unchanged.
// Tags are separated by '|'; consent cells are true, false or empty. Rows
// that fail validation come back with Problems; a file that cannot be read
// as CSV or has a wrong header is an ErrMalformed error, and more than
// MaxImportRows rows an ErrTooLarge one.
func ParseCSV(data []byte) ([]ImportRow, error) {
	if len(data) > MaxImportBytes {
		return nil, errs.New(errs.ErrTooLarge, "csv_too_large", "the CSV is over 10 MiB")
	}
	text, err := decodeCSV(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errs.Malformed("csv_empty", "the CSV is empty; the first row must be the header")
	}
	if err != nil {
		return nil, csvError(err)
	}
	cols, err := parseHeader(header)
	if err != nil {
		return nil, err
	}
	var rows []ImportRow
	for n := 2; ; n++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err)
		}
		if len(rows) == MaxImportRows {
			return nil, errs.New(errs.ErrTooLarge, "csv_too_many_rows", fmt.Sprintf("the CSV has over %d rows; split it", MaxImportRows))
		}
		if len(rec) == 1 && rec[0] == "" && len(header) > 1 {
			continue // a blank line
		}
		rows = append(rows, parseRow(n, cols, rec))
	}
	return rows, nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &errs.Error{Kind: errs.ErrMalformed, Code: "malformed_csv", Message: "the CSV cannot be read",
			Fields: map[string]string{"line": fmt.Sprintf("%d: %v", pe.Line, pe.Err)}}
	}
	return errs.Malformed("malformed_csv", "the CSV cannot be read")
}

// parseHeader returns the column name of each position ("" to ignore).
func parseHeader(header []string) ([]string, error) {
	bad := func(problem string) error {
		return &errs.Error{Kind: errs.ErrMalformed, Code: "bad_csv_header", Message: "the header row is wrong",
			Fields: map[string]string{"header": problem}}
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case seen[h]:
			return nil, bad("column " + h + " appears twice")
		case slices.Contains(exportOnlyColumns, h):
		case slices.Contains(CSVColumns, h):
			cols[i] = h
		default:
			return nil, bad(fmt.Sprintf("unknown column %q; known columns: %s", truncate(h, 40), strings.Join(CSVColumns, ",")))
		}
		seen[h] = true
	}
	if !seen["external_id"] {
		return nil, bad("external_id column is required")
	}
	return cols, nil
}

func parseRow(n int, cols, rec []string) ImportRow {
	row := ImportRow{Row: n, Input: Input{onlyConsentChanges: true}}
	if len(rec) != len(cols) {
		row.Problems.Add("row", fmt.Sprintf("has %d fields; the header has %d", len(rec), len(cols)))
		return row
	}
	in := &row.Input
	for i, col := range cols {
		v := UnescapeCSVCell(rec[i])
		switch col {
		case "":
		case "external_id":
			in.ExternalID = v
		case "name":
			in.Name = &v
		case "email":
			in.Email = &v
		case "phone":
			in.Phone = &v
		case "line_user_id":
			in.LineUserID = &v
		case "postal_address":
			in.PostalAddress = &v
		case "preferred_channel":
			in.PreferredChannel = &v
		case "locale":
			if strings.TrimSpace(v) != "" {
				in.Locale = &v
			}
		case "tags":
			tags := []string{}
			if strings.TrimSpace(v) != "" {
				tags = strings.Split(v, "|")
			}
			in.Tags = &tags
		case "email_consent", "sms_consent", "line_consent":
			granted, ok, valid := parseBool(v)
			if !valid {
				row.Problems.Add(col, "true, false or empty")
			} else if ok {
				if in.Consents == nil {
					in.Consents = map[string]ConsentInput{}
				}
				in.Consents[csvConsentColumns[col]] = ConsentInput{Granted: &granted, Source: importSourceCSV}
			}
		}
	}
	if err := in.Validate(); err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			for k, v := range e.Fields {
				row.Problems.Add(csvField(k), v)
			}
		}
	}
	return row
}

// csvField names a validation field by its CSV column.
func csvField(jsonField string) string {
	for col, ch := range csvConsentColumns {
		if strings.HasPrefix(jsonField, "consents."+ch+".") {
			return col
		}
	}
	return jsonField
}

// parseBool reads a consent cell: value, whether one was given, validity.
func parseBool(s string) (value, given, valid bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return false, false, true
	case "true", "1", "yes":
		return true, true, true
	case "false", "0", "no":
		return false, true, true
	}
	return false, false, false
}

// ImportCSV parses a customer CSV (see ParseCSV) and upserts every valid
// row; invalid rows are reported and skipped. A malformed file imports
// nothing.
func (s *Service) ImportCSV(ctx context.Context, shopID string, data []byte) (ImportResult, error) {
	rows, err := ParseCSV(data)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Errors: []RowError{}}
	var good []ImportRow
	for _, r := range rows {
		if len(r.Problems) > 0 {
			res.Errors = append(res.Errors, RowError{Row: r.Row, Fields: r.Problems})
			continue
		}
		good = append(good, r)
	}
	for start := 0; start < len(good); start += importBatch {
		batch := good[start:min(start+importBatch, len(good))]
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			for _, r := range batch {
				_, created, err := s.UpsertTx(ctx, tx, shopID, r.Input)
				if err != nil {
					return fmt.Errorf("import row %d: %w", r.Row, err)
				}
				if created {
					res.Created++
				} else {
					res.Updated++
				}
			}
			return nil
		})
		if err != nil {
			return ImportResult{}, err
		}
	}
	return res, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
