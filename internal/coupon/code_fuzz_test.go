package coupon

import (
	"strings"
	"testing"
)

// FuzzNormalizeCode: whatever a till or a person sends as a code, the
// result is either refused or a well-formed code that normalises to
// itself and shows as groups of four.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{NewCode(), "abcd-efgh-jklm", "ＡＢＣＤ　ＥＦＧＨ　ＪＫＬＭ", "ABCD-EFGH-JKL0", "", "ー", "ｱｲｳ", "ABCDEFGHJKLMN", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := NormalizeCode(s)
		if !ok {
			if c != "" {
				t.Fatalf("refused %q but returned %q", s, c)
			}
			return
		}
		if len(c) != CodeLength {
			t.Fatalf("%q → %q: length %d", s, c, len(c))
		}
		for _, r := range c {
			if !strings.ContainsRune(alphabet, r) {
				t.Fatalf("%q → %q: %q outside the alphabet", s, c, r)
			}
		}
		if again, ok := NormalizeCode(c); !ok || again != c {
			t.Fatalf("%q → %q → %q %v", s, c, again, ok)
		}
		if d, ok := NormalizeCode(Display(c)); !ok || d != c {
			t.Fatalf("display %q does not read back: %q %v", Display(c), d, ok)
		}
	})
}
