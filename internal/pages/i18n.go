package pages

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Lang is the language a page is rendered in, with its message catalogue
// and number and date formats.
type Lang struct {
	Code string // ja or en
}

// T returns the catalogue text of key; a missing key shows itself (a test
// checks that every key used by a template exists in both languages).
func (l Lang) T(key string) string {
	if s, ok := catalogue[l.Code][key]; ok {
		return s
	}
	return key
}

// Tf is T with fmt.Sprintf arguments.
func (l Lang) Tf(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// Yen formats an amount of the currency's smallest unit: ¥2,800 for JPY.
func (l Lang) Yen(amount int64, currency string) string {
	if currency == "" || currency == "JPY" {
		if amount < 0 {
			return "-¥" + groupDigits(-amount)
		}
		return "¥" + groupDigits(amount)
	}
	return groupDigits(amount) + " " + currency
}

// Date formats a day: 2026年11月23日 or November 23, 2026.
func (l Lang) Date(t time.Time) string {
	if l.Code == "en" {
		return t.Format("January 2, 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// DateTime formats a day and time: 2026年11月23日 10:00 or November 23, 2026 10:00.
func (l Lang) DateTime(t time.Time) string { return l.Date(t) + " " + t.Format("15:04") }

func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// chooseLang picks the page language: ?lang=ja|en, else the customer's
// locale, else English when the browser prefers it to Japanese, else ja.
func chooseLang(r *http.Request, customerLocale string) Lang {
	switch q := r.URL.Query().Get("lang"); q {
	case "ja", "en":
		return Lang{Code: q}
	}
	if customerLocale == "ja" || customerLocale == "en" {
		return Lang{Code: customerLocale}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "ja"):
			return Lang{Code: "ja"}
		case strings.HasPrefix(tag, "en"):
			return Lang{Code: "en"}
		}
	}
	return Lang{Code: "ja"}
}
