package customer

import (
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers/v2"
)

// phoneRegion is the region assumed for numbers written without a country
// code: most shops and customers are Japanese (SPEC §2).
const phoneRegion = "JP"

// Limits on raw input before it reaches a parser.
const (
	maxPhoneInput = 64
	maxEmail      = 254 // RFC 5321 path limit
	maxLocalPart  = 64
	maxDomain     = 253
	maxLabel      = 63
)

var (
	errPhone = errors.New("not a valid phone number; use e.g. 090-1234-5678 or +81 90 1234 5678")
	errEmail = errors.New("not a valid email address; use e.g. hanako@example.jp")
)

// NormalizePhone validates a phone number and returns it in E.164
// (+819012345678). Numbers without a country code are read as Japanese;
// full-width digits and hyphens, spaces and brackets are accepted. It is
// idempotent: NormalizePhone of its own output returns that output.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxPhoneInput || !utf8.ValidString(s) {
		return "", errPhone
	}
	n, err := phonenumbers.Parse(s, phoneRegion)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", errPhone
	}
	out := phonenumbers.Format(n, phonenumbers.E164)
	// Re-parse the result: a number whose E.164 form reads back as another
	// number (which libphonenumber allows for a few odd inputs) is refused,
	// so that what we store is stable.
	again, err := phonenumbers.Parse(out, phoneRegion)
	if err != nil || !phonenumbers.IsValidNumber(again) || phonenumbers.Format(again, phonenumbers.E164) != out {
		return "", errPhone
	}
	return out, nil
}

// NormalizeEmail validates a single bare address (no display name, no
// angle brackets, no quoted local part) of at most 254 characters whose
// domain has a dot, and returns it with the domain in lower case. The local
// part is kept as written: it may be case-sensitive. It is idempotent.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxEmail || !printable(s) {
		return "", errEmail
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", errEmail
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "", errEmail
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if len(local) > maxLocalPart || strings.ContainsAny(local, " \"\\") || !validDomain(domain) {
		return "", errEmail
	}
	return local + "@" + domain, nil
}

// validDomain accepts an ASCII host name (internationalised domains in
// their xn-- form) with at least two labels and a TLD that is not numeric.
func validDomain(d string) bool {
	if len(d) > maxDomain || !strings.Contains(d, ".") {
		return false
	}
	labels := strings.Split(d, ".")
	for _, l := range labels {
		if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return len(tld) >= 2 && strings.Trim(tld, "0123456789") != ""
}
