package engagement

import (
	"slices"
	"strings"
	"testing"
)

func TestLinks(t *testing.T) {
	t.Parallel()
	body := "ご購入ありがとうございます。\nレシート：https://shop.example/r/abc.DEF_1\n" +
		"(詳しくは http://shop.example/guide?x=1&y=2).\n「https://shop.example/a」、javascript:alert(1) " +
		"ftp://files.example/x https://user:pw@evil.example/ https:/// mailto:a@b.jp https://ok.example/end。"
	want := []string{"https://shop.example/r/abc.DEF_1", "http://shop.example/guide?x=1&y=2", "https://shop.example/a", "https://ok.example/end"}
	if got := Links(body); !slices.Equal(got, want) {
		t.Fatalf("Links = %q\nwant    %q", got, want)
	}
	if got := Links(strings.Repeat("https://a.example/ ", 500)); len(got) != MaxLinks {
		t.Fatalf("%d links, want at most %d", len(got), MaxLinks)
	}
}

func TestParseClickObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		obj string
		id  string
		n   int
		ok  bool
	}{
		{"msg_1.1", "msg_1", 1, true},
		{"msg_1.42", "msg_1", 42, true},
		{"msg.1.2", "msg.1", 2, true},
		{"msg_1", "", 0, false},
		{"msg_1.", "", 0, false},
		{".1", "", 0, false},
		{"msg_1.0", "", 0, false},
		{"msg_1.-1", "", 0, false},
		{"msg_1.01", "", 0, false},
		{"msg_1.+1", "", 0, false},
		{"msg_1.99999", "", 0, false},
	}
	for _, tt := range tests {
		id, n, ok := ParseClickObject(tt.obj)
		if id != tt.id || n != tt.n || ok != tt.ok {
			t.Errorf("ParseClickObject(%q) = %q, %d, %v", tt.obj, id, n, ok)
		}
		if ok && ClickObject(id, n) != tt.obj {
			t.Errorf("ClickObject does not round-trip %q", tt.obj)
		}
	}
}

func FuzzParseClickObject(f *testing.F) {
	for _, s := range []string{"msg_1.1", "a.b", "", ".", "msg.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, obj string) {
		id, n, ok := ParseClickObject(obj)
		if ok && (n < 1 || id == "" || ClickObject(id, n) != obj) {
			t.Fatalf("%q → %q %d", obj, id, n)
		}
	})
}

func FuzzLinks(f *testing.F) {
	f.Add("see https://a.example/x. and http://b.example")
	f.Add("javascript:alert(1) https://u:p@h/")
	f.Fuzz(func(t *testing.T, body string) {
		for _, l := range Links(body) {
			if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
				t.Fatalf("link %q from %q", l, body)
			}
		}
	})
}
