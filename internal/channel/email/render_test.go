package email

import (
	"bytes"
	"flag"
	"maps"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/clock"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func renderClient(t testing.TB) *Client {
	t.Helper()
	c, err := New(Config{SMTPURL: "smtp://mail.hidamari.example", From: "info@hidamari.example", Clock: clock.NewSimulated(testNow)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRenderGolden(t *testing.T) {
	t.Parallel()
	c := renderClient(t)
	m := testMessage()
	m.HTML = AppendPixel(TrackLinks("<html><body>"+m.HTML+"</body></html>", func(n int, u string) string {
		return "https://kizukai.example/c/TOKEN" + string(rune('0'+n))
	}), "https://kizukai.example/o/TOKEN")
	var buf bytes.Buffer
	if err := c.Render(&buf, m); err != nil {
		t.Fatal(err)
	}
	golden(t, "care.eml", sortHeaders(buf.Bytes()))
}

// sortHeaders puts the header fields of a rendered email in name order
// (go-mail writes them in map order) and uses LF line ends, so the golden
// file is stable and readable.
func sortHeaders(eml []byte) []byte {
	s := strings.ReplaceAll(string(eml), "\r\n", "\n")
	head, body, _ := strings.Cut(s, "\n\n")
	var fields []string
	for _, line := range strings.Split(head, "\n") {
		if len(fields) > 0 && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			fields[len(fields)-1] += "\n" + line
			continue
		}
		fields = append(fields, line)
	}
	slices.Sort(fields)
	return []byte(strings.Join(fields, "\n") + "\n\n" + body)
}

func TestMessageID(t *testing.T) {
	t.Parallel()
	tests := []struct{ id, want string }{
		{"msg_01JD", "msg_01JD@shop.example"},
		{"msg_01JD", "msg_01JD@shop.example"}, // stable
		{"a>b\r\nBcc: x", "h" + MessageID("a>b\r\nBcc: x", "")[1:33] + "@shop.example"},
	}
	for _, tt := range tests {
		if got := MessageID(tt.id, "shop.example"); got != tt.want || strings.ContainsAny(got, "<>\r\n ") {
			t.Errorf("MessageID(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// headerKeys are the headers every rendered non-transactional test email has.
var headerKeys = []string{"Content-Type", "Date", "From", "List-Unsubscribe", "List-Unsubscribe-Post",
	"Message-Id", "Mime-Version", "Reply-To", "Subject", "To", "X-Kizukai-Message"}

// FuzzHeaderInjection renders emails whose subject, names and extra header
// value come from the fuzzer and checks with net/mail that no input ever
// adds or replaces a header, and that the subject survives (control
// characters as spaces).
func FuzzHeaderInjection(f *testing.F) {
	f.Add("件名\r\nBcc: victim@example.com", "山田\r\nX-Evil: 1", "ok\nTo: x@evil.example", "shop\r\n\r\nbody")
	f.Add("plain", "", "", "")
	f.Add("=?UTF-8?B?QmNjOiB4?=", "\"q\" <a@b>", "\x00\x1b\x7f", "\u2028\u0085")
	f.Add(strings.Repeat("長い件名", 40), strings.Repeat("n", 200), "v", "s")
	c := renderClient(f)
	f.Fuzz(func(t *testing.T, subject, toName, extra, senderName string) {
		m := testMessage()
		m.Subject, m.To.Name, m.Sender.Name = subject, toName, senderName
		m.Headers = map[string]string{"X-Kizukai-Message": extra}
		var buf bytes.Buffer
		if err := c.Render(&buf, m); err != nil {
			return // refused as a whole, never sent
		}
		msg, err := mail.ReadMessage(&buf)
		if err != nil {
			t.Fatalf("rendered email does not parse: %v", err)
		}
		keys := slices.Sorted(maps.Keys(msg.Header))
		if !slices.Equal(keys, headerKeys) {
			t.Fatalf("headers %v, want %v", keys, headerKeys)
		}
		for _, k := range keys {
			if len(msg.Header[k]) != 1 {
				t.Fatalf("header %s appears %d times", k, len(msg.Header[k]))
			}
		}
		if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != m.To.Email {
			t.Fatalf("To = %v, %v", to, err)
		}
		if got := msg.Header.Get("Message-Id"); got != "<"+MessageID(m.ID, "hidamari.example")+">" {
			t.Fatalf("Message-ID = %q", got)
		}
		if strings.ToValidUTF8(subject, "") == subject {
			got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err == nil && got != strings.TrimSpace(clean(subject)) && got != clean(subject) {
				t.Fatalf("Subject = %q, want %q", got, clean(subject))
			}
		}
	})
}
