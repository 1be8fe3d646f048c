package customer

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
)

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula (OWASP CSV injection; CWE-1236 adds CR, NUL is for
// good measure).
const formulaStarts = "=+-@\t\r\x00"

// EscapeCSVCell makes a cell safe to open in a spreadsheet: a cell that
// starts with = + - @ TAB CR or NUL gets a leading apostrophe, which
// spreadsheets show as text. Phone numbers in E.164 (+81...) are thus
// exported as '+81...; ParseCSV strips the apostrophe again.
func EscapeCSVCell(s string) string {
	if s != "" && strings.IndexByte(formulaStarts, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// UnescapeCSVCell undoes EscapeCSVCell: an apostrophe followed by a formula
// character is dropped. (A cell a person wrote as '=x on purpose loses its
// apostrophe too: the price of reading our own exports back.)
func UnescapeCSVCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte(formulaStarts, s[1]) >= 0 {
		return s[1:]
	}
	return s
}

// exportPage is how many customers WriteCSV reads at a time.
const exportPage = 500

// WriteCSV streams every customer of the shop (erased ones excepted) as
// UTF-8 CSV with a BOM, so that Excel in Japan opens it correctly, with
// the columns CSVColumns plus id and created_at. Every cell is escaped
// with EscapeCSVCell; line breaks inside cells are written as LF.
func (s *Service) WriteCSV(ctx context.Context, shopID string, w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	header := append(append([]string{}, CSVColumns...), exportOnlyColumns...)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	p := ListParams{ShopID: shopID}
	after := ""
	for {
		page, err := listRows(ctx, s.db, p, after, exportPage)
		if err != nil {
			return err
		}
		if err := loadExtras(ctx, s.db, shopID, page); err != nil {
			return err
		}
		for _, c := range page {
			if err := cw.Write(csvRecord(c)); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
		if len(page) < exportPage {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func csvRecord(c Customer) []string {
	consent := func(ch string) string {
		if v, ok := c.Consents[ch]; ok {
			return fmt.Sprint(v.Granted)
		}
		return ""
	}
	rec := []string{c.ExternalID, c.Name, c.Email, c.Phone, c.LineUserID, c.PostalAddress, c.Locale,
		strings.Join(c.Tags, "|"), consent("email"), consent("sms"), consent("line"), c.PreferredChannel,
		c.ID, c.CreatedAt.UTC().Format(time.RFC3339)}
	for i, v := range rec {
		rec[i] = CSVCell(v)
	}
	return rec
}

// CSVCell prepares a value for a CSV export cell: line breaks become LF
// (encoding/csv cannot round-trip a CR inside a cell) and the cell is
// escaped with EscapeCSVCell.
func CSVCell(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return EscapeCSVCell(s)
}
