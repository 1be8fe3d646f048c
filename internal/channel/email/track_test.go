package email

import (
	"fmt"
	"strings"
	"testing"
)

func TestTrackLinks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		urls           []string
	}{
		{"double quotes", `<a href="https://a.example/x">x</a>`, `<a href="https://k.example/c/0">x</a>`, []string{"https://a.example/x"}},
		{"single quotes and other attributes", `<a class='b' HREF='http://a.example/?q=1&amp;r=2' target=_blank>x</a>`,
			`<a class='b' HREF="https://k.example/c/0" target=_blank>x</a>`, []string{"http://a.example/?q=1&r=2"}},
		{"unquoted", `<A href=https://a.example/u>x</A>`, `<A href="https://k.example/c/0">x</A>`, []string{"https://a.example/u"}},
		{"spaces around =", `<a  href = "https://a.example/" >`, `<a  href = "https://k.example/c/0" >`, []string{"https://a.example/"}},
		{"counts in order", `<a href="https://1.example">1</a><p><a href="https://2.example">2</a>`,
			`<a href="https://k.example/c/0">1</a><p><a href="https://k.example/c/1">2</a>`, []string{"https://1.example", "https://2.example"}},
		{"mailto, tel and anchors stay", `<a href="mailto:a@b">m</a><a href="tel:03">t</a><a href="#top">#</a>`,
			`<a href="mailto:a@b">m</a><a href="tel:03">t</a><a href="#top">#</a>`, nil},
		{"other tags stay", `<abbr href="https://x.example"><area href="https://y.example"><img src="https://z.example">`,
			`<abbr href="https://x.example"><area href="https://y.example"><img src="https://z.example">`, nil},
		{"data-href is not href", `<a data-href="https://x.example" href="https://y.example">`,
			`<a data-href="https://x.example" href="https://k.example/c/0">`, []string{"https://y.example"}},
		{"> inside a quoted value", `<a title="a>b" href="https://y.example">`, `<a title="a>b" href="https://k.example/c/0">`, []string{"https://y.example"}},
		{"comments stay", `<!-- <a href="https://x.example"> --><a href="https://y.example">`,
			`<!-- <a href="https://x.example"> --><a href="https://k.example/c/0">`, []string{"https://y.example"}},
		{"unterminated", `<a href="https://x.example`, `<a href="https://x.example`, nil},
		{"text only", `こんにちは & ようこそ`, `こんにちは & ようこそ`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var urls []string
			got := TrackLinks(tt.in, func(n int, u string) string {
				urls = append(urls, u)
				return fmt.Sprintf("https://k.example/c/%d", n)
			})
			if got != tt.want || fmt.Sprint(urls) != fmt.Sprint(tt.urls) {
				t.Fatalf("TrackLinks = %s (urls %q)\nwant %s (urls %q)", got, urls, tt.want, tt.urls)
			}
		})
	}
}

func TestTrackLinksEscapesTheRewrite(t *testing.T) {
	t.Parallel()
	got := TrackLinks(`<a href="https://a.example">x</a>`, func(int, string) string { return `https://k.example/?a=1&b="><script>` })
	if want := `<a href="https://k.example/?a=1&amp;b=&#34;&gt;&lt;script&gt;">x</a>`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestOpenPixel(t *testing.T) {
	t.Parallel()
	if got := OpenPixel(`https://k.example/o/T?a=1&b="`); got != `<img src="https://k.example/o/T?a=1&amp;b=&#34;" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">` {
		t.Fatalf("OpenPixel = %s", got)
	}
	tests := []struct{ in, want string }{
		{"<html><body><p>x</p></BODY></html>", "<html><body><p>x</p>" + OpenPixel("u") + "</BODY></html>"},
		{"<p>x</p>", "<p>x</p>" + OpenPixel("u")},
		{"İİ</body>", "İİ" + OpenPixel("u") + "</body>"},
	}
	for _, tt := range tests {
		if got := AppendPixel(tt.in, "u"); got != tt.want {
			t.Errorf("AppendPixel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzTrackLinks(f *testing.F) {
	for _, s := range []string{`<a href="https://a.example">x</a>`, `<a href='x`, `<!--`, `<a href=https://a>`, `<a b c d=e href = "http://x">`, "<a\thref=\"http://x\"/>", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		calls := 0
		out := TrackLinks(in, func(n int, u string) string {
			if n != calls {
				t.Fatalf("n = %d, want %d", n, calls)
			}
			calls++
			return u
		})
		// Rewriting with the identity is a fixed point after one pass, and
		// sees the same links again.
		again := 0
		if TrackLinks(out, func(_ int, u string) string { again++; return u }) != out || again != calls {
			t.Fatalf("identity rewrite is not stable: %q -> %q (%d vs %d links)", in, out, calls, again)
		}
		marked := TrackLinks(in, func(int, string) string { return "https://k.example/c" })
		if strings.Count(marked, "https://k.example/c") < calls {
			t.Fatalf("a rewritten link is missing from %q", marked)
		}
	})
}
