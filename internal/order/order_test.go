package order_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/order"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(s *order.Submission)
		field  string // "" when valid
	}{
		{"valid", func(s *order.Submission) {}, ""},
		{"missing external_id", func(s *order.Submission) { s.ExternalID = " " }, "external_id"},
		{"long external_id", func(s *order.Submission) { s.ExternalID = strings.Repeat("x", 101) }, "external_id"},
		{"bad ordered_at", func(s *order.Submission) { s.OrderedAt = "2026-11-22 10:00" }, "ordered_at"},
		{"missing ordered_at", func(s *order.Submission) { s.OrderedAt = "" }, "ordered_at"},
		{"ordered_at two days ahead", func(s *order.Submission) { s.OrderedAt = "2026-11-25T10:00:00Z" }, "ordered_at"},
		{"ordered_at within a day", func(s *order.Submission) { s.OrderedAt = "2026-11-24T00:30:00Z" }, ""},
		{"bad channel", func(s *order.Submission) { s.Channel = "phone" }, "channel"},
		{"no lines", func(s *order.Submission) { s.Lines = nil }, "lines"},
		{"too many lines", func(s *order.Submission) {
			s.Lines = make([]order.LineInput, order.MaxLines+1)
			for i := range s.Lines {
				s.Lines[i] = order.LineInput{SKU: "A", Quantity: 1}
			}
			s.Total = ptr(int64(0))
		}, "lines"},
		{"quantity 0", func(s *order.Submission) { s.Lines[0].Quantity = 0 }, "lines.0.quantity"},
		{"negative price", func(s *order.Submission) { s.Lines[1].UnitPrice = -1 }, "lines.1.unit_price"},
		{"bad sku", func(s *order.Submission) { s.Lines[1].SKU = "a b" }, "lines.1.sku"},
		{"total mismatch", func(s *order.Submission) { s.Total = ptr(int64(3400)) }, "total"},
		{"missing total", func(s *order.Submission) { s.Total = nil }, "total"},
		{"discount explains", func(s *order.Submission) { s.Total, s.Discount = ptr(int64(3400)), 100 }, ""},
		{"discount wrong", func(s *order.Submission) { s.Total, s.Discount = ptr(int64(3400)), 50 }, "total"},
		{"negative discount", func(s *order.Submission) { s.Discount = -1 }, "discount"},
		{"both customers", func(s *order.Submission) { s.Customer = &customer.Input{ExternalID: "C1"} }, "customer_external_id"},
		{"neither customer", func(s *order.Submission) { s.CustomerExternalID = "" }, "customer_external_id"},
		{"inline bad phone", func(s *order.Submission) {
			s.CustomerExternalID, s.Customer = "", &customer.Input{ExternalID: "C1", Phone: ptr("12")}
		}, "customer.phone"},
		{"inline without external_id", func(s *order.Submission) { s.CustomerExternalID, s.Customer = "", &customer.Input{} }, "customer.external_id"},
		{"bad currency", func(s *order.Submission) { s.Currency = "JP¥" }, "currency"},
		{"lower-case currency", func(s *order.Submission) { s.Currency = "usd" }, ""},
		{"huge amounts", func(s *order.Submission) {
			s.Lines[0].Quantity, s.Lines[0].UnitPrice = 1_000_000, 1_000_000_000_000
			s.Total = ptr(int64(0))
		}, "lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sub("R-1")
			tt.change(&s)
			err := s.Validate(testNow)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || !errors.Is(err, errs.ErrInvalid) || e.Fields[tt.field] == "" {
				t.Fatalf("want a problem with %s, got %v", tt.field, err)
			}
		})
	}
}

// FuzzOrderJSON decodes and validates arbitrary order bodies: it never
// panics, and whatever validates has a total consistent with its lines.
func FuzzOrderJSON(f *testing.F) {
	seed, _ := json.Marshal(sub("R-1"))
	f.Add(seed)
	f.Add([]byte(`{"external_id":"x","customer":{"external_id":"c","phone":"090-1234-5678"},"ordered_at":"2026-11-22T10:00:00Z",` +
		`"channel":"online","lines":[{"sku":"A","quantity":3,"unit_price":100}],"discount":50,"total":250}`))
	f.Add([]byte(`{"lines":[{"quantity":9223372036854775807,"unit_price":9223372036854775807}],"total":1}`))
	f.Add([]byte(`{"ordered_at":"0000-01-01T00:00:00Z","total":-1,"currency":"ＪＰＹ"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s order.Submission
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if dec.Decode(&s) != nil {
			return
		}
		if s.Validate(testNow) != nil {
			return
		}
		var sum int64
		for _, l := range s.Lines {
			if l.Quantity < 1 || l.UnitPrice < 0 {
				t.Fatalf("valid line %+v", l)
			}
			sum += l.Quantity * l.UnitPrice
		}
		if s.Total == nil || *s.Total != sum-s.Discount || *s.Total < 0 || s.Discount < 0 {
			t.Fatalf("valid order with total %v, sum %d, discount %d", s.Total, sum, s.Discount)
		}
		if len(s.Lines) == 0 || len(s.Lines) > order.MaxLines {
			t.Fatalf("valid order with %d lines", len(s.Lines))
		}
	})
}
