package product

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/width"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
)

// MaxCSV is the largest product CSV accepted (10 MiB).
const MaxCSV = 10 << 20

// maxRowErrors bounds the errors reported for one import; the count of bad
// rows is always exact.
const maxRowErrors = 1000

// CSVColumns are the columns of a product CSV, in their usual order.
var CSVColumns = []string{"sku", "name", "category", "price", "goal", "guide", "consumption_days", "related_skus", "upgrade_sku"}

// CSVRow is one parsed data row of a product CSV.
type CSVRow struct {
	Row     int         // record number counting the header as 1, as a spreadsheet shows it
	Details Details     // validated and normalised when Fields is empty
	Fields  errs.Fields // problems by column name
}

// RejectedRow is a rejected CSV row.
type RejectedRow struct {
	Row    int               `json:"row" doc:"CSV record number, the header being 1 (blank lines are not counted)"`
	Fields map[string]string `json:"fields"`
}

// ImportReport is what an import did.
type ImportReport struct {
	Created  int           `json:"created"`
	Updated  int           `json:"updated"`
	Rejected int           `json:"rejected" doc:"rows skipped because of errors"`
	Errors   []RejectedRow `json:"errors" doc:"the first 1000 rejected rows"`
}

// DecodeCSVText returns b as UTF-8: a UTF-8 byte order mark is dropped, and
// text that is not valid UTF-8 is read as Shift_JIS (CP932, what Excel in
// Japan writes).
func DecodeCSVText(b []byte) ([]byte, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if utf8.Valid(b) {
		return b, nil
	}
	out, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		return nil, errs.Malformed("invalid_encoding", "the CSV is neither UTF-8 nor Shift_JIS")
	}
	return out, nil
}

// ParseCSV reads a product CSV (any encoding DecodeCSVText accepts). A
// header that is wrong (unknown or repeated columns, sku or name missing)
// fails the whole file with a malformed error; a bad row is returned with
// its problems and does not stop the others.
func ParseCSV(b []byte) ([]CSVRow, error) {
	text, err := DecodeCSVText(b)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bytes.NewReader(text))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errs.Malformed("invalid_csv_header", "the CSV is empty; the first line must be the header: "+strings.Join(CSVColumns, ","))
	}
	if err != nil {
		return nil, errs.Malformed("invalid_csv_header", "the CSV header cannot be read")
	}
	cols, err := headerIndex(header)
	if err != nil {
		return nil, err
	}
	var out []CSVRow
	for row := 2; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		var pe *csv.ParseError
		if err != nil && !(errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount)) {
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("read csv: %w", err)
			}
			out = append(out, CSVRow{Row: row, Fields: errs.Fields{"row": "not valid CSV: " + pe.Err.Error()}})
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		out = append(out, parseRow(row, rec, cols))
	}
}

func headerIndex(header []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		bad := func(msg string) error {
			return &errs.Error{Kind: errs.ErrMalformed, Code: "invalid_csv_header", Message: msg,
				Fields: map[string]string{"header": "columns: " + strings.Join(CSVColumns, ",")}}
		}
		known := false
		for _, c := range CSVColumns {
			known = known || c == h
		}
		if !known {
			return nil, bad(fmt.Sprintf("unknown column %q in the CSV header", truncate(h, 40)))
		}
		if _, dup := cols[h]; dup {
			return nil, bad(fmt.Sprintf("column %q appears twice in the CSV header", h))
		}
		cols[h] = i
	}
	for _, need := range []string{"sku", "name"} {
		if _, ok := cols[need]; !ok {
			return nil, &errs.Error{Kind: errs.ErrMalformed, Code: "invalid_csv_header", Message: "the CSV header lacks the column " + need,
				Fields: map[string]string{"header": "columns: " + strings.Join(CSVColumns, ",")}}
		}
	}
	return cols, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func parseRow(row int, rec []string, cols map[string]int) CSVRow {
	get := func(c string) string {
		if i, ok := cols[c]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var f errs.Fields
	d := Details{Name: get("name"), Category: get("category"), Goal: get("goal"), Guide: get("guide"), UpgradeSKU: get("upgrade_sku")}
	if s := number(get("price")); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err != nil {
			f.Add("price", "a whole number of yen")
		} else {
			d.Price = &n
		}
	}
	if s := number(get("consumption_days")); s != "" {
		if n, err := strconv.Atoi(s); err != nil {
			f.Add("consumption_days", "a whole number of days, or empty for durables")
		} else {
			d.ConsumptionDays = &n
		}
	}
	if s := strings.TrimSpace(get("related_skus")); s != "" {
		d.RelatedSKUs = strings.Split(s, "|")
	}
	sku := strings.TrimSpace(get("sku"))
	var verr *errs.Error
	if err := d.Validate(sku); errors.As(err, &verr) {
		f.Merge("", verr.Fields)
	}
	if len(rec) > len(cols) { // fewer is fine: missing trailing cells are empty
		f.Add("row", fmt.Sprintf("has %d columns, the header only %d", len(rec), len(cols)))
	}
	return CSVRow{Row: row, Details: d, Fields: f}
}

// number folds full-width digits and drops the thousands separators and yen
// signs that spreadsheets add.
func number(s string) string {
	s = width.Narrow.String(strings.TrimSpace(s))
	return strings.NewReplacer(",", "", "¥", "", "\\", "", "円", "").Replace(s)
}

// importChunk is how many rows one transaction writes: large enough to be
// fast, small enough not to hold SQLite's single writer for long.
const importChunk = 500

// Import parses a product CSV and creates or replaces every good row; bad
// rows are skipped and reported. A wrong header imports nothing.
func (s *Service) Import(ctx context.Context, shopID string, b []byte) (ImportReport, error) {
	if len(b) > MaxCSV {
		return ImportReport{}, errs.New(errs.ErrTooLarge, "body_too_large", "the CSV is over 10 MiB")
	}
	rows, err := ParseCSV(b)
	if err != nil {
		return ImportReport{}, err
	}
	res := ImportReport{Errors: []RejectedRow{}}
	var good []Details
	for _, r := range rows {
		if len(r.Fields) > 0 {
			res.Rejected++
			if len(res.Errors) < maxRowErrors {
				res.Errors = append(res.Errors, RejectedRow{Row: r.Row, Fields: r.Fields})
			}
			continue
		}
		good = append(good, r.Details)
	}
	now := s.clock.Now()
	for start := 0; start < len(good); start += importChunk {
		part := good[start:min(start+importChunk, len(good))]
		var created, updated int
		err := s.db.InTx(ctx, func(tx *db.Tx) error {
			created, updated = 0, 0
			for _, d := range part {
				c, err := put(ctx, tx, shopID, d, now)
				if err != nil {
					return err
				}
				if c {
					created++
				} else {
					updated++
				}
			}
			return nil
		})
		if err != nil {
			return ImportReport{}, fmt.Errorf("import products (rows before this chunk were imported): %w", err)
		}
		res.Created += created
		res.Updated += updated
	}
	return res, nil
}
