package admin

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Lang is the language a page is rendered in, with its catalogue and
// number and date formats.
type Lang struct {
	Code string // ja or en
}

// T returns the catalogue text of key; a missing key shows itself (a test
// checks that every key the templates use exists in both languages).
func (l Lang) T(key string) string {
	if s, ok := catalogue[l.Code][key]; ok {
		return s
	}
	return key
}

// Tf is T with fmt.Sprintf arguments.
func (l Lang) Tf(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// Problem translates a validation problem of the domain (English text) to
// the page's language; an unknown problem is shown as it is.
func (l Lang) Problem(p string) string {
	if s, ok := catalogue[l.Code]["problem."+p]; ok {
		return s
	}
	if l.Code == "ja" {
		for _, pp := range problemPatterns {
			if m := pp.re.FindStringSubmatchIndex(p); m != nil {
				return string(pp.re.ExpandString(nil, pp.ja, p, m))
			}
		}
	}
	return p
}

// problemPatterns translate the domain's problems that carry a value (a
// variable name, a count, a limit) to Japanese; English pages show the
// domain's own text.
var problemPatterns = []struct {
	re *regexp.Regexp
	ja string
}{
	{regexp.MustCompile(`^unknown variable (\S+) \(known: (.*)\)$`), "変数 ${1} はありません。使える変数: ${2}"},
	{regexp.MustCompile(`^unknown filter (\S+) \(allowed: (.*)\)$`), "フィルター ${1} は使えません。使えるもの: ${2}"},
	{regexp.MustCompile(`^tag \{% (\S+) %\} is not allowed \(allowed: (.*)\)$`), "タグ {% ${1} %} は使えません。使えるもの: ${2}"},
	{regexp.MustCompile(`^\{% (\S+) %\} is not closed$`), "{% ${1} %} が閉じられていません（{% end${1} %} を書いてください）。"},
	{regexp.MustCompile(`^syntax error: (.*)$`), "書き方に誤りがあります: ${1}"},
	{regexp.MustCompile(`^does not render: (.*)$`), "表示できません: ${1}"},
	{regexp.MustCompile(`^at most (\d+) bytes$`), "${1} バイト以内にしてください。"},
	{regexp.MustCompile(`^required: (\S+) is used for SMS and renders to (\d+) characters with long values; the SMS limit is (\d+)$`),
		"SMS用の短い文を入力してください。${1} をSMSに使うと、長い値で ${2} 文字になり、上限の ${3} 文字を超えます。"},
	{regexp.MustCompile(`^renders to (\d+) characters with long values; the SMS limit is (\d+)$`),
		"長い値を入れると ${1} 文字になり、SMSの上限 ${2} 文字を超えます。短くしてください。"},
	{regexp.MustCompile(`^a whole number from (\d+) to (\d+)$`), "${1}〜${2} の整数で入力してください。"},
	{regexp.MustCompile(`^"(\S+)" is not one of line, sms, email, postal$`), "「${1}」は選べません（line、sms、email、postal から選びます）。"},
	{regexp.MustCompile(`^"(\S+)" appears twice$`), "「${1}」が2回選ばれています。"},
	{regexp.MustCompile(`^must be one of (.*)$`), "次のいずれかにしてください: ${1}"},
}

// Num formats a count with digit grouping: 12,345.
func (l Lang) Num(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && c != '-' && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// DateTime formats an instant in the shop's zone: 2026年11月23日 10:00 or
// 2026-11-23 10:00.
func (l Lang) DateTime(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if l.Code == "en" {
		return t.Format("2006-01-02 15:04")
	}
	return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), int(t.Month()), t.Day(), t.Format("15:04"))
}

// Date formats a day in the shop's zone.
func (l Lang) Date(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if l.Code == "en" {
		return t.Format("Jan 2, 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// chooseLang picks the language: the switch's cookie, else Japanese.
func chooseLang(r *http.Request) Lang {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "ja" || c.Value == "en") {
		return Lang{Code: c.Value}
	}
	return Lang{Code: "ja"}
}

// channelName is the translated name of a channel (line, sms, email,
// postal, phone, or best for "the best reachable one"); an unknown one is
// shown as it is.
func channelName(l Lang, ch string) string {
	if ch != "" && hasKey("channel."+ch) {
		return l.T("channel." + ch)
	}
	return ch
}

func hasKey(key string) bool {
	_, ok := catalogue["ja"][key]
	return ok
}

// funcs are the template helpers beyond the view's methods.
var funcs = template.FuncMap{
	"half":  func(f float64) float64 { return f / 2 },
	"field": profileField,
}

// formField is one labelled text input with its error.
type formField struct {
	L                              Lang
	Name, Label, Hint, Value, Type string
	Autocomplete, Error            string
	Required                       bool
}

// profileField builds a field of the shop profile form; its label and
// hint are "profile.<name>" and "profile.<name>_hint".
func profileField(v profileView, name, value, typ, autocomplete string, required bool) formField {
	f := formField{L: v.L, Name: name, Label: v.L.T("profile." + name), Value: value, Type: typ,
		Autocomplete: autocomplete, Required: required, Error: v.Errors[name]}
	if hasKey("profile." + name + "_hint") {
		f.Hint = v.L.T("profile." + name + "_hint")
	}
	return f
}

// switchLang stores the chosen language and goes back to the page.
func (h *Handler) switchLang(w http.ResponseWriter, r *http.Request, v *visit) error {
	f, err := readForm(w, r)
	if err != nil {
		return err
	}
	lang, _ := single(f, "lang")
	if lang != "ja" && lang != "en" {
		lang = "ja"
	}
	h.setCookie(w, langCookie, lang, 365*24*3600)
	next, _ := single(f, "next")
	if next == "/admin/login" || strings.HasPrefix(next, "/admin/login?") {
		return seeOther(w, r, "/admin/login")
	}
	return seeOther(w, r, safeNext(next))
}
