package admin

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/admin/stats"
)

// TestCatalogueIsComplete: both languages have the same keys, and every
// key a template or the code names exists.
func TestCatalogueIsComplete(t *testing.T) {
	t.Parallel()
	ja, en := slices.Sorted(maps.Keys(catalogue["ja"])), slices.Sorted(maps.Keys(catalogue["en"]))
	for _, k := range ja {
		if _, ok := catalogue["en"][k]; !ok {
			t.Errorf("%q lacks English", k)
		}
	}
	for _, k := range en {
		if _, ok := catalogue["ja"][k]; !ok {
			t.Errorf("%q lacks Japanese", k)
		}
	}
	used := regexp.MustCompile(`\.L\.Tf? "([a-z0-9_.]+)"`)
	err := fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if !hasKey(m[1]) {
				t.Errorf("%s uses missing key %q", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, n := range navigation {
		keys = append(keys, n[0])
	}
	for _, n := range settingsTabs {
		keys = append(keys, n[0])
	}
	for _, r := range roles {
		keys = append(keys, "role."+string(r), "role.desc."+string(r))
	}
	for _, b := range stats.Bands {
		keys = append(keys, "band."+b)
	}
	for _, p := range stats.Purposes {
		keys = append(keys, "purpose."+p)
	}
	for _, k := range stats.TicketKinds {
		keys = append(keys, "kind."+k)
	}
	for _, g := range statusGroups {
		keys = append(keys, g.key)
	}
	for _, ks := range errorKeys {
		keys = append(keys, ks[0], ks[1])
	}
	for _, k := range keys {
		if !hasKey(k) {
			t.Errorf("missing key %q", k)
		}
	}
}

// FuzzSafeNext: whatever comes in, the redirect stays inside the admin UI.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/admin/", "/admin/settings", "//evil.example", "/admin/\\evil", "https://evil.example/admin/",
		"/admin/login?next=x", "/admin/../x", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if !strings.HasPrefix(got, "/admin/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n") {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
	})
}

func TestNiceMaxAndNum(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want int }{{0, 1}, {1, 1}, {3, 5}, {7, 10}, {11, 20}, {250, 500}, {1000, 1000}, {1001, 2000}}
	for _, tt := range tests {
		if got := niceMax(tt.in); got != tt.want {
			t.Errorf("niceMax(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
	l := Lang{Code: "ja"}
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := l.Num(in); got != want {
			t.Errorf("Num(%d) = %q, want %q", in, got, want)
		}
	}
	c := columnChart(l, []bar{{Value: 0}, {Value: 5}, {Value: 10}})
	if c.Bars[2].H != chartBase-chartTop || c.Bars[0].H != 0 || c.Bars[1].Y != chartBase-(chartBase-chartTop)/2 {
		t.Fatalf("geometry: %+v", c.Bars)
	}
}
