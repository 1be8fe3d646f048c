package customer

import (
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"mobile with hyphens", "090-1234-5678", "+819012345678", true},
		{"mobile digits only", "09012345678", "+819012345678", true},
		{"full-width", "０９０−１２３４−５６７８", "+819012345678", true},
		{"full-width landline", "０３－１２３４－５６７８", "+81312345678", true},
		{"landline with brackets", "03(1234)5678", "+81312345678", true},
		{"international", "+81 90 1234 5678", "+819012345678", true},
		{"already E.164", "+819012345678", "+819012345678", true},
		{"spaces around", "  090 1234 5678 ", "+819012345678", true},
		{"US number", "+1 650 253 0000", "+16502530000", true},
		{"too short", "090-1234", "", false},
		{"letters", "call me", "", false},
		{"empty", "", "", false},
		{"too long", strings.Repeat("9", 100), "", false},
		{"invalid utf8", "090\xff1234", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizePhone(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain", "hanako@example.jp", "hanako@example.jp", true},
		{"domain lower-cased, local kept", "Hanako.Y@Example.CO.JP", "Hanako.Y@example.co.jp", true},
		{"plus address", "a+tag@mail.example.com", "a+tag@mail.example.com", true},
		{"trimmed", "  a@b.jp ", "a@b.jp", true},
		{"punycode domain", "a@xn--wgv71a119e.jp", "a@xn--wgv71a119e.jp", true},
		{"no dot in domain", "a@localhost", "", false},
		{"display name", "Hanako <a@b.jp>", "", false},
		{"angle brackets", "<a@b.jp>", "", false},
		{"two addresses", "a@b.jp, c@d.jp", "", false},
		{"no at", "hanako.example.jp", "", false},
		{"empty local", "@b.jp", "", false},
		{"quoted local", `"a b"@b.jp`, "", false},
		{"double dot domain", "a@b..jp", "", false},
		{"hyphen label", "a@-b.jp", "", false},
		{"numeric tld", "a@1.2.3.4", "", false},
		{"unicode domain", "a@日本.jp", "", false},
		{"too long", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 200) + ".jp", "", false},
		{"long local", strings.Repeat("a", 65) + "@b.jp", "", false},
		{"comment", "a@b.jp (x)", "", false},
		{"control", "a\x01@b.jp", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeEmail(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestInputValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    Input
		field string // "" when valid
	}{
		{"minimal", Input{ExternalID: "c1"}, ""},
		{"missing external_id", Input{}, "external_id"},
		{"blank external_id", Input{ExternalID: "  "}, "external_id"},
		{"long external_id", Input{ExternalID: strings.Repeat("x", 101)}, "external_id"},
		{"100 characters ok", Input{ExternalID: strings.Repeat("あ", 100)}, ""},
		{"erased prefix", Input{ExternalID: "erased:cus_x"}, "external_id"},
		{"bad phone", Input{ExternalID: "c", Phone: ptr("12")}, "phone"},
		{"empty phone clears", Input{ExternalID: "c", Phone: ptr("")}, ""},
		{"bad email", Input{ExternalID: "c", Email: ptr("x@y")}, "email"},
		{"bad locale", Input{ExternalID: "c", Locale: ptr("fr")}, "locale"},
		{"bad channel", Input{ExternalID: "c", PreferredChannel: ptr("fax")}, "preferred_channel"},
		{"pipe in tag", Input{ExternalID: "c", Tags: &[]string{"a|b"}}, "tags"},
		{"empty tag", Input{ExternalID: "c", Tags: &[]string{""}}, "tags"},
		{"long name", Input{ExternalID: "c", Name: ptr(strings.Repeat("名", 201))}, "name"},
		{"control in name", Input{ExternalID: "c", Name: ptr("a\x00b")}, "name"},
		{"multi-line address ok", Input{ExternalID: "c", PostalAddress: ptr("東京都\n千代田区")}, ""},
		{"consent unknown channel", Input{ExternalID: "c", Consents: map[string]ConsentInput{"fax": {Granted: ptr(true), Source: "x"}}}, "consents.fax"},
		{"consent without source", Input{ExternalID: "c", Consents: map[string]ConsentInput{"email": {Granted: ptr(true)}}}, "consents.email.source"},
		{"consent without granted", Input{ExternalID: "c", Consents: map[string]ConsentInput{"sms": {Source: "x"}}}, "consents.sms.granted"},
		{"empty attribute key", Input{ExternalID: "c", Attributes: map[string]any{"": 1}}, "attributes"},
		{"big attributes", Input{ExternalID: "c", Attributes: map[string]any{"a": strings.Repeat("x", 17<<10)}}, "attributes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.in.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !hasField(err, tt.field) {
				t.Fatalf("Validate = %v, want a problem with %s", err, tt.field)
			}
		})
	}
}

func TestValidateNormalises(t *testing.T) {
	t.Parallel()
	in := Input{ExternalID: " c1 ", Phone: ptr("090-1234-5678"), Email: ptr("A@B.JP"), Locale: ptr(""),
		Tags: &[]string{" vip ", "a", "vip"}}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "external_id", in.ExternalID, "c1")
	mustEqual(t, "phone", *in.Phone, "+819012345678")
	mustEqual(t, "email", *in.Email, "A@b.jp")
	mustEqual(t, "locale", *in.Locale, "ja")
	mustEqual(t, "tags", strings.Join(*in.Tags, ","), "a,vip")
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"090-1234-5678", "０９０−１２３４−５６７８", "+81312345678", "+1 650 253 0000",
		"03(1234)5678", "", "++", "+0", "0120-123-456", "tel:+81-3-1234-5678", "+44 20 7946 0958 ext. 12", "１２３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizePhone(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(n, "+") {
			t.Fatalf("NormalizePhone(%q) = %q: not E.164", s, n)
		}
		again, err := NormalizePhone(n)
		if err != nil || again != n {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", s, n, again, err)
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"hanako@example.jp", "A@B.JP", "a@b", "<a@b.jp>", "x <a@b.jp>", `"q"@b.jp`,
		"a@b.c", "a@xn--p1ai.xn--p1ai", "a.b@c.d.e", "a@@b.jp", "", "é@b.jp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if len(n) > maxEmail || strings.ContainsAny(n, " <>") {
			t.Fatalf("NormalizeEmail(%q) = %q", s, n)
		}
		again, err := NormalizeEmail(n)
		if err != nil || again != n {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", s, n, again, err)
		}
	})
}
