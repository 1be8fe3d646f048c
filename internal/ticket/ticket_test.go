package ticket

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCreateInput feeds arbitrary POST /tickets bodies through decoding and
// Validate: what passes is trimmed, within limits and of a known kind.
func FuzzCreateInput(f *testing.F) {
	for _, s := range []string{
		`{"customer_id":"cus_1","kind":"question","subject":"使い方"}`,
		`{"customer_external_id":" C1 ","kind":"complaint","subject":" 割れ ","body":"a\nb\tc"}`,
		`{"customer_id":"x","customer_external_id":"y","kind":"other","subject":"s"}`,
		`{"kind":"refund","subject":""}`, `{"subject":"a\u0000b"}`, `{"body":"\ud800"}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in CreateInput
		if json.Unmarshal(body, &in) != nil || in.Validate() != nil {
			return
		}
		if (in.CustomerID == "") == (in.CustomerExternalID == "") {
			t.Fatalf("customer refs: %q %q", in.CustomerID, in.CustomerExternalID)
		}
		if !slices.Contains(Kinds, in.Kind) || in.Subject == "" || in.Subject != strings.TrimSpace(in.Subject) ||
			utf8.RuneCountInString(in.Subject) > MaxSubject || utf8.RuneCountInString(in.Body) > MaxBody || !utf8.ValidString(in.Body) {
			t.Fatalf("accepted %+v", in)
		}
	})
}

func FuzzUpdateInput(f *testing.F) {
	for _, s := range []string{`{"status":"resolved"}`, `{"assignee":" 佐藤 "}`, `{"status":"done"}`, `{}`, `{"assignee":"\u0007"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in UpdateInput
		if json.Unmarshal(body, &in) != nil || in.Validate() != nil {
			return
		}
		if in.Status != nil && !slices.Contains(Statuses, *in.Status) {
			t.Fatalf("status %q accepted", *in.Status)
		}
		if in.Assignee != nil && (*in.Assignee != strings.TrimSpace(*in.Assignee) || !line(*in.Assignee, maxAssignee)) {
			t.Fatalf("assignee %q accepted", *in.Assignee)
		}
	})
}
