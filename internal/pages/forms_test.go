package pages

import (
	"io/fs"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/token"
)

func TestCatalogueIsComplete(t *testing.T) {
	t.Parallel()
	ja, en := slices.Sorted(maps.Keys(catalogue["ja"])), slices.Sorted(maps.Keys(catalogue["en"]))
	if !slices.Equal(ja, en) {
		for _, k := range ja {
			if _, ok := catalogue["en"][k]; !ok {
				t.Errorf("en lacks %s", k)
			}
		}
		for _, k := range en {
			if _, ok := catalogue["ja"][k]; !ok {
				t.Errorf("ja lacks %s", k)
			}
		}
	}
	// Every literal key a template or handler uses exists.
	keyRE := regexp.MustCompile(`\.(?:T|Tf) "([a-z_.0-9]+)"|T\("([a-z_.0-9]+)"\)|"([a-z]+\.[a-z_]+)"`)
	used := map[string]bool{}
	_ = fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(files, p)
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			used[m[1]+m[2]] = true
		}
		return nil
	})
	for k := range used {
		if k == "" {
			continue
		}
		if _, ok := catalogue["ja"][k]; !ok {
			t.Errorf("template key %q missing", k)
		}
	}
	// Keys built at run time.
	for _, prefix := range []string{"channel.", "kind.", "survey.csat."} {
		n := 0
		for k := range catalogue["ja"] {
			if strings.HasPrefix(k, prefix) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no %s keys", prefix)
		}
	}
	for _, ch := range pushChannels {
		if _, ok := catalogue["en"]["channel."+ch]; !ok {
			t.Errorf("channel.%s missing", ch)
		}
	}
	for _, k := range ContactKinds {
		if _, ok := catalogue["en"]["kind."+k]; !ok {
			t.Errorf("kind.%s missing", k)
		}
	}
	for _, f := range []string{"kind", "name", "email", "phone", "subject", "order_ref", "message"} {
		if _, ok := catalogue["ja"]["contact.err."+f]; !ok {
			t.Errorf("contact.err.%s missing", f)
		}
	}
}

func TestYen(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n    int64
		cur  string
		want string
	}{{2800, "JPY", "¥2,800"}, {0, "", "¥0"}, {1234567, "JPY", "¥1,234,567"}, {-500, "JPY", "-¥500"}, {999, "JPY", "¥999"}, {1000, "USD", "1,000 USD"}} {
		if got := (Lang{Code: "ja"}).Yen(tt.n, tt.cur); got != tt.want {
			t.Errorf("Yen(%d, %s) = %q, want %q", tt.n, tt.cur, got, tt.want)
		}
	}
}

func TestParseSurveyForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		form   string
		fields []string
		csat   int
		nps    int // -1: nil
	}{
		{"full", "csat=5&nps=10&comment=good", nil, 5, 10},
		{"no nps", "csat=1", nil, 1, -1},
		{"empty nps", "csat=3&nps=", nil, 3, -1},
		{"spaces", "csat=+4+&nps=+0", nil, 4, 0},
		{"missing csat", "nps=3", []string{"csat"}, 0, 3},
		{"csat range", "csat=6&nps=11", []string{"csat", "nps"}, 0, -1},
		{"csat twice", "csat=5&csat=1", []string{"csat"}, 0, -1},
		{"comment twice", "csat=5&comment=a&comment=b", []string{"comment"}, 5, -1},
		{"comment not utf-8", "csat=5&comment=%ff", []string{"comment"}, 5, -1},
		{"comment too long", "csat=5&comment=" + strings.Repeat("a", 2001), []string{"comment"}, 5, -1},
		{"plus sign", "csat=%2B5", nil, 5, -1},
		{"hex", "csat=0x5", []string{"csat"}, 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, _ := url.ParseQuery(tt.form)
			a, fields := parseSurveyForm(f, "ja")
			if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
			if len(tt.fields) > 0 {
				return
			}
			nps := -1
			if a.NPS != nil {
				nps = *a.NPS
			}
			if a.CSAT != tt.csat || nps != tt.nps {
				t.Fatalf("answer %+v", a)
			}
		})
	}
}

func FuzzSurveyForm(f *testing.F) {
	for _, s := range []string{"csat=5&nps=9&comment=ok", "csat=&nps=", "csat=1&csat=2", "comment=%ff", "csat=99999999999999999999", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		a, fields := parseSurveyForm(v, "en")
		if len(fields) > 0 {
			return
		}
		if a.CSAT < 1 || a.CSAT > 5 || a.NPS != nil && (*a.NPS < 0 || *a.NPS > 10) || !utf8.ValidString(a.Comment) ||
			utf8.RuneCountInString(a.Comment) > 2000 {
			t.Fatalf("accepted a bad answer %+v from %q", a, raw)
		}
	})
}

func TestParsePrefsForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		form      string
		fields    []string
		granted   []string
		preferred string
	}{
		{"none", "", nil, nil, ""},
		{"two", "consent=email&consent=line&preferred=line", nil, []string{"email", "line"}, "line"},
		{"all", "consent=email&consent=sms&consent=line&consent=postal&consent=phone", nil, []string{"email", "line", "phone", "postal", "sms"}, ""},
		{"unknown", "consent=fax", []string{"consent"}, nil, ""},
		{"too many", "consent=email&consent=email&consent=email&consent=email&consent=email&consent=email", []string{"consent"}, nil, ""},
		{"bad preferred", "preferred=EMAIL", []string{"preferred"}, nil, ""},
		{"preferred twice", "preferred=sms&preferred=sms", []string{"preferred"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, _ := url.ParseQuery(tt.form)
			p, fields := parsePrefsForm(v)
			if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
			if len(tt.fields) > 0 {
				return
			}
			var granted []string
			for ch, g := range p.Granted {
				if g {
					granted = append(granted, ch)
				}
			}
			slices.Sort(granted)
			if !slices.Equal(granted, tt.granted) || p.Preferred != tt.preferred {
				t.Fatalf("got %v %q", granted, p.Preferred)
			}
		})
	}
}

func FuzzPrefsForm(f *testing.F) {
	for _, s := range []string{"consent=email&preferred=sms", "consent=", "preferred=&preferred=", "consent=%ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		p, fields := parsePrefsForm(v)
		if len(fields) > 0 {
			return
		}
		if len(p.Granted) != len(pushChannels) || p.Preferred != "" && !slices.Contains(pushChannels, p.Preferred) {
			t.Fatalf("accepted %+v from %q", p, raw)
		}
	})
}

func TestParseContactForm(t *testing.T) {
	t.Parallel()
	base := "kind=question&name=%E4%BD%90%E8%97%A4&email=a%40example.jp&message=hello"
	tests := []struct {
		name        string
		form        string
		needContact bool
		fields      []string
	}{
		{"ok", base, true, nil},
		{"phone only", "kind=return&name=x&phone=090-1234-5678&message=m", true, nil},
		{"from receipt", "kind=exchange&message=m", false, nil},
		{"no kind", "name=x&email=a%40example.jp&message=m", true, []string{"kind"}},
		{"kind other", "kind=other&message=m", false, []string{"kind"}},
		{"no contact", "kind=question&name=x&message=m", true, []string{"email"}},
		{"no name", "kind=question&email=a%40example.jp&message=m", true, []string{"name"}},
		{"bad email", "kind=question&name=x&email=@&message=m", true, []string{"email"}},
		{"bad phone", "kind=question&name=x&phone=abc&message=m", true, []string{"phone"}},
		{"no message", "kind=question&message=+", false, []string{"message"}},
		{"message twice", "kind=question&message=a&message=b", false, []string{"message"}},
		{"control in name", "kind=question&name=a%07&email=a%40example.jp&message=m", true, []string{"name"}},
		{"newline in subject", "kind=question&subject=a%0Ab&message=m", false, []string{"subject"}},
		{"long order ref", "kind=question&message=m&order_ref=" + strings.Repeat("1", 101), false, []string{"order_ref"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, _ := url.ParseQuery(tt.form)
			_, fields := parseContactForm(v, tt.needContact)
			if got := slices.Sorted(maps.Keys(fields)); !slices.Equal(got, tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
		})
	}
}

func FuzzContactForm(f *testing.F) {
	for _, s := range []string{"kind=question&name=a&email=a%40b.jp&message=m", "kind=defect&phone=%2B81312345678&message=x", "website=x", "message=%ff"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, needContact bool) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		c, fields := parseContactForm(v, needContact)
		if len(fields) > 0 {
			return
		}
		if !slices.Contains(ContactKinds, c.Kind) || c.Message == "" || utf8.RuneCountInString(c.Message) > maxMessage ||
			!utf8.ValidString(c.Name+c.Subject+c.OrderRef) || needContact && (c.Name == "" || c.Email == "" && c.Phone == "") {
			t.Fatalf("accepted %+v from %q", c, raw)
		}
	})
}

func TestFormToken(t *testing.T) {
	t.Parallel()
	s, _ := token.NewSigner([]byte(strings.Repeat("k", 32)))
	h := &Handler{Deps: Deps{Signer: s}}
	now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	tok := h.formToken("shp_1", now)
	other, _ := s.Sign(token.Claims{Purpose: purposeForm, ShopID: "shp_1", ObjectID: "contact.x", Expires: now.Add(time.Hour)})
	receipt, _ := s.Sign(token.Claims{Purpose: token.Receipt, ShopID: "shp_1", ObjectID: "contact.1"})
	tests := []struct {
		name string
		tok  string
		shop string
		at   time.Time
		want error
	}{
		{"at once", tok, "shp_1", now, errFormFast},
		{"after 2 s", tok, "shp_1", now.Add(2 * time.Second), errFormFast},
		{"after 3 s", tok, "shp_1", now.Add(3 * time.Second), nil},
		{"after 23 h", tok, "shp_1", now.Add(23 * time.Hour), nil},
		{"after a day", tok, "shp_1", now.Add(24 * time.Hour), errFormStale},
		{"other shop", tok, "shp_2", now.Add(time.Minute), errFormStale},
		{"bad object", other, "shp_1", now.Add(time.Minute), errFormStale},
		{"receipt token", receipt, "shp_1", now.Add(time.Minute), errFormStale},
		{"empty", "", "shp_1", now, errFormStale},
	}
	for _, tt := range tests {
		if got := h.checkFormToken(tt.tok, tt.shop, tt.at); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	for _, tt := range [][3]string{{"email", "hanako@example.jp", "h***@example.jp"}, {"sms", "+819012345678", "***5678"},
		{"phone", "+81", "***"}, {"line", "U123", "LINE"}, {"postal", "東京都渋谷区神南1-2-3", "東京都渋谷区…"}, {"email", "", ""}} {
		if got := mask(tt[0], tt[1]); got != tt[2] {
			t.Errorf("mask(%s, %s) = %q, want %q", tt[0], tt[1], got, tt[2])
		}
	}
}
