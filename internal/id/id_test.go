package id

import (
	"sort"
	"testing"
)

func TestNewSortsAndIsUnique(t *testing.T) {
	t.Parallel()
	const n = 10000
	ids := make([]string, n)
	seen := make(map[string]bool, n)
	for i := range ids {
		ids[i] = New("cus")
		if seen[ids[i]] {
			t.Fatalf("duplicate id %s", ids[i])
		}
		seen[ids[i]] = true
		if !HasPrefix(ids[i], "cus") {
			t.Fatalf("bad id %q", ids[i])
		}
	}
	if !sort.StringsAreSorted(ids) {
		t.Fatal("ids made in sequence do not sort in sequence")
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	a, b := Token("kz_"), Token("kz_")
	if a == b || len(a) != 3+52 {
		t.Fatalf("tokens %q %q", a, b)
	}
}
