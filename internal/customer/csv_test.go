package customer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
)

const importHeader = "external_id,name,email,phone,line_user_id,postal_address,locale,tags,email_consent,sms_consent,line_consent\n"

func TestParseCSV(t *testing.T) {
	t.Parallel()
	sjis, err := japanese.ShiftJIS.NewEncoder().String(importHeader + "c1,髙橋 ①,,０９０－１２３４－５６７８,,,,,TRUE,,\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     string
		kind     error    // whole-file error category, nil when parsed
		rows     int      // parsed rows
		problems []string // "row:field" expected, in order
	}{
		{"utf-8", importHeader + "c1,花子,a@b.jp,090-1234-5678,,,en,vip|tea,true,false,\n", nil, 1, nil},
		{"utf-8 with BOM", "\ufeff" + importHeader + "c1,花子,,,,,,,,,\n", nil, 1, nil},
		{"shift_jis", sjis, nil, 1, nil},
		{"subset of columns in any order", "name,external_id\n花子,c1\n", nil, 1, nil},
		{"export columns ignored", "external_id,id,created_at\nc1,cus_x,2026-01-01T00:00:00Z\n", nil, 1, nil},
		{"crlf and blank line", "external_id,name\r\nc1,a\r\n\r\nc2,b\r\n", nil, 2, nil},
		{"bad rows reported", importHeader + "c1,,bad,,,,,,,,\n,,,,,,,,,,\nc3,,,12,,,,,maybe,,\nc4,,,,,,,,,,\n", nil, 4,
			[]string{"2:email", "3:external_id", "4:email_consent", "4:phone"}},
		{"short row", "external_id,name\nc1\n", nil, 1, []string{"2:row"}},
		{"no header", "", errs.ErrMalformed, 0, nil},
		{"unknown column", "external_id,nickname\nc1,x\n", errs.ErrMalformed, 0, nil},
		{"no external_id column", "name,email\nx,a@b.jp\n", errs.ErrMalformed, 0, nil},
		{"duplicate column", "external_id,name,name\nc1,a,b\n", errs.ErrMalformed, 0, nil},
		{"bare quote", "external_id,name\nc1,a\"b\n", errs.ErrMalformed, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, err := ParseCSV([]byte(tt.data))
			if tt.kind != nil {
				if !errors.Is(err, tt.kind) {
					t.Fatalf("ParseCSV = %v, want %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCSV: %v", err)
			}
			mustEqual(t, "rows", len(rows), tt.rows)
			var problems []string
			for _, r := range rows {
				for _, f := range sortedKeys(r.Problems) {
					problems = append(problems, itoa(r.Row)+":"+f)
				}
			}
			if strings.Join(problems, " ") != strings.Join(tt.problems, " ") {
				t.Errorf("problems %v, want %v", problems, tt.problems)
			}
		})
	}

	rows, err := ParseCSV([]byte(sjis))
	if err != nil {
		t.Fatal(err)
	}
	in := rows[0].Input
	mustEqual(t, "CP932 name", *in.Name, "髙橋 ①")
	mustEqual(t, "full-width phone", *in.Phone, "+819012345678")
	mustEqual(t, "consent", *in.Consents["email"].Granted, true)
	if in.Locale != nil {
		t.Errorf("empty locale cell set locale to %q", *in.Locale)
	}
}

func TestParseCSVLimits(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("external_id\n")
	for i := range MaxImportRows + 1 {
		b.WriteString("c" + itoa(i) + "\n")
	}
	if _, err := ParseCSV([]byte(b.String())); !errors.Is(err, errs.ErrTooLarge) {
		t.Errorf("too many rows: %v", err)
	}
	if _, err := ParseCSV(make([]byte, MaxImportBytes+1)); !errors.Is(err, errs.ErrTooLarge) {
		t.Errorf("too many bytes: %v", err)
	}
}

func TestImportExportCSV(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		b.upsert(t, Input{ExternalID: "c2", Name: ptr("既存"), Email: ptr("keep@example.jp")})
		data := importHeader +
			"c1,花子,hanako@example.jp,090-1234-5678,Uabc,\"東京都\n千代田区\",en,vip|tea,true,false,\n" +
			"c2,既存さん,,,,,,,,,\n" +
			"c3,,not-an-email,,,,,,,,\n" +
			"c4,\"=HYPERLINK(\"\"http://x\"\")\",,,,,,,,,\n"
		res, err := b.svc.ImportCSV(b.ctx, b.shopID, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "created", res.Created, 2)
		mustEqual(t, "updated", res.Updated, 1)
		if len(res.Errors) != 1 || res.Errors[0].Row != 4 || res.Errors[0].Fields["email"] == "" {
			t.Fatalf("errors: %+v", res.Errors)
		}
		c1, err := b.svc.ByExternalIDTx(b.ctx, d, b.shopID, "c1")
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "c1 phone", c1.Phone, "+819012345678")
		mustEqual(t, "c1 address", c1.PostalAddress, "東京都\n千代田区")
		mustEqual(t, "c1 consent", c1.Consents["sms"].Source, importSourceCSV)
		c2, _ := b.svc.ByExternalIDTx(b.ctx, d, b.shopID, "c2")
		mustEqual(t, "c2 name", c2.Name, "既存さん")
		mustEqual(t, "c2 email cleared by a present empty cell", c2.Email, "")

		// Re-importing the same consents adds no history.
		if _, err := b.svc.ImportCSV(b.ctx, b.shopID, []byte(data)); err != nil {
			t.Fatal(err)
		}
		x, _ := b.svc.Export(b.ctx, b.shopID, c1.ID)
		mustEqual(t, "consent rows after re-import", len(x.ConsentHistory), 2)

		// A wrong header imports nothing.
		if _, err := b.svc.ImportCSV(b.ctx, b.shopID, []byte("external_id,bogus\nc9,x\n")); !errors.Is(err, errs.ErrMalformed) {
			t.Fatalf("bad header: %v", err)
		}
		if _, err := b.svc.ByExternalIDTx(b.ctx, d, b.shopID, "c9"); !errors.Is(err, errs.ErrNotFound) {
			t.Fatalf("c9 imported: %v", err)
		}

		var out bytes.Buffer
		if err := b.svc.WriteCSV(b.ctx, b.shopID, &out); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(out.Bytes(), []byte("\ufeff")) {
			t.Error("no BOM")
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "records", len(recs), 4) // header + c1, c2, c4
		for _, rec := range recs[1:] {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("unescaped formula cell %q", cell)
				}
			}
		}
		byExt := map[string][]string{}
		for _, rec := range recs[1:] {
			byExt[rec[0]] = rec
		}
		mustEqual(t, "phone escaped", byExt["c1"][3], "'+819012345678")
		mustEqual(t, "tags", byExt["c1"][7], "tea|vip")
		mustEqual(t, "consents", byExt["c1"][8]+","+byExt["c1"][9]+","+byExt["c1"][10], "true,false,")
		mustEqual(t, "formula escaped", byExt["c4"][1], `'=HYPERLINK("http://x")`)

		// The export reads back as an import that changes nothing.
		res, err = b.svc.ImportCSV(b.ctx, b.shopID, out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 0 || res.Updated != 3 || len(res.Errors) != 0 {
			t.Fatalf("round trip: %+v", res)
		}
		again, _ := b.svc.ByExternalIDTx(b.ctx, d, b.shopID, "c1")
		mustEqual(t, "phone after round trip", again.Phone, c1.Phone)
		mustEqual(t, "address after round trip", again.PostalAddress, c1.PostalAddress)
		c4, _ := b.svc.ByExternalIDTx(b.ctx, d, b.shopID, "c4")
		mustEqual(t, "formula name after round trip", c4.Name, `=HYPERLINK("http://x")`)
	})
}

func FuzzCSVImport(f *testing.F) {
	f.Add([]byte(importHeader + "c1,花子,a@b.jp,090-1234-5678,U1,addr,en,a|b,true,false,\n"))
	f.Add([]byte("\ufeffexternal_id,name\nc1,\"multi\nline\"\n"))
	f.Add([]byte("external_id,phone\n'+81312345678,'+81312345678\n"))
	f.Add([]byte("external_id\n\n\n"))
	f.Add([]byte("external_id,name\nc1,a\"b\n"))
	f.Add([]byte{0x82, 0xa0, ',', '\n', 0xff})
	f.Add([]byte("external_id,email_consent\nx,maybe\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ParseCSV(data)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) {
				t.Fatalf("uncategorised error: %v", err)
			}
			return
		}
		for _, r := range rows {
			if len(r.Problems) > 0 {
				continue
			}
			in := r.Input
			if err := in.Validate(); err != nil {
				t.Fatalf("row %d accepted but does not re-validate: %v", r.Row, err)
			}
		}
	})
}

func FuzzCSVExportCell(f *testing.F) {
	for _, s := range []string{"", "plain", "=1+1", "+819012345678", "-2", "@SUM(A1)", "\tx", "\rx", "\x00x",
		"a,b", `"quoted"`, "line\nbreak", "crlf\r\ninside", "'=already", "花子", " =space first"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write([]string{CSVCell(s), "x"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(recs) != 1 || len(recs[0]) != 2 {
			t.Fatalf("export of %q does not parse back: %v %q", s, err, recs)
		}
		got := recs[0][0]
		if got != "" && strings.IndexByte(formulaStarts, got[0]) >= 0 {
			t.Fatalf("cell %q starts with a formula character", got)
		}
		want := strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
		stripped := got
		if want != "" && strings.IndexByte(formulaStarts, want[0]) >= 0 {
			if !strings.HasPrefix(got, "'") {
				t.Fatalf("formula cell %q exported as %q", want, got)
			}
			stripped = got[1:]
		}
		if stripped != want {
			t.Fatalf("round trip: %q → %q, want %q after the prefix", s, got, want)
		}
	})
}
