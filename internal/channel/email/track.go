package email

import (
	"html"
	"strings"
)

// TrackLinks returns htmlText with the href of every <a> element that
// points to an http or https URL replaced by rewrite(n, url), n counting
// those links from 0 in document order. rewrite gets the URL unescaped and
// its result is escaped back into the attribute, so a URL can neither break
// out of the attribute nor add markup. Other links (mailto:, tel:, #...),
// comments and everything else are copied unchanged. It is pure: the
// pipeline's rewrite typically returns a signed click-redirect URL, and
// returns the URL unchanged for links that must stay direct (unsubscribe).
func TrackLinks(htmlText string, rewrite func(n int, url string) string) string {
	var b strings.Builder
	b.Grow(len(htmlText))
	n := 0
	for i := 0; i < len(htmlText); {
		lt := strings.IndexByte(htmlText[i:], '<')
		if lt < 0 {
			b.WriteString(htmlText[i:])
			break
		}
		lt += i
		b.WriteString(htmlText[i:lt])
		if strings.HasPrefix(htmlText[lt:], "<!--") {
			end := strings.Index(htmlText[lt+4:], "-->")
			if end < 0 {
				b.WriteString(htmlText[lt:])
				break
			}
			end += lt + 4 + 3
			b.WriteString(htmlText[lt:end])
			i = end
			continue
		}
		end := tagEnd(htmlText, lt)
		tag := htmlText[lt:end]
		if isAnchor(tag) {
			tag = rewriteHref(tag, func(u string) string {
				r := rewrite(n, u)
				n++
				return r
			})
		}
		b.WriteString(tag)
		i = end
	}
	return b.String()
}

// tagEnd returns the index just after the '>' closing the tag opened at
// s[start], skipping '>' inside quoted attribute values; len(s) if none.
func tagEnd(s string, start int) int {
	var quote byte
	for i := start + 1; i < len(s); i++ {
		switch c := s[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1
		}
	}
	return len(s)
}

// isAnchor reports whether tag is an <a ...> start tag.
func isAnchor(tag string) bool {
	return len(tag) > 3 && (tag[1] == 'a' || tag[1] == 'A') && isSpace(tag[2])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// rewriteHref replaces the value of the first href attribute of tag when
// it is an http(s) URL.
func rewriteHref(tag string, rewrite func(string) string) string {
	i := 2
	for i < len(tag) {
		for i < len(tag) && (isSpace(tag[i]) || tag[i] == '/') {
			i++
		}
		nameStart := i
		for i < len(tag) && !isSpace(tag[i]) && tag[i] != '=' && tag[i] != '>' && tag[i] != '/' {
			i++
		}
		name := strings.ToLower(tag[nameStart:i])
		if name == "" {
			return tag
		}
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			continue // attribute without a value
		}
		i++
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		valStart, valEnd := i, i
		if i < len(tag) && (tag[i] == '"' || tag[i] == '\'') {
			q := tag[i]
			end := strings.IndexByte(tag[i+1:], q)
			if end < 0 {
				return tag
			}
			valStart, valEnd = i+1, i+1+end
			i = valEnd + 1
		} else {
			for i < len(tag) && !isSpace(tag[i]) && tag[i] != '>' {
				i++
			}
			valEnd = i
		}
		if name != "href" {
			continue
		}
		u := strings.TrimSpace(html.UnescapeString(tag[valStart:valEnd]))
		if l := strings.ToLower(u); !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
			return tag
		}
		quoted := `"` + html.EscapeString(rewrite(u)) + `"`
		start, stop := valStart, valEnd
		if valStart > 0 && (tag[valStart-1] == '"' || tag[valStart-1] == '\'') {
			start, stop = valStart-1, valEnd+1
		}
		return tag[:start] + quoted + tag[stop:]
	}
	return tag
}

// OpenPixel returns the HTML of a 1×1 invisible image loading url, for the
// pipeline to place at the end of the body (see AppendPixel).
func OpenPixel(url string) string {
	return `<img src="` + html.EscapeString(url) + `" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`
}

// AppendPixel inserts OpenPixel(url) just before the last </body> of
// htmlText, or at its end when there is none.
func AppendPixel(htmlText, url string) string {
	i := lastIndexFold(htmlText, "</body>")
	if i < 0 {
		return htmlText + OpenPixel(url)
	}
	return htmlText[:i] + OpenPixel(url) + htmlText[i:]
}

// lastIndexFold is strings.LastIndex ignoring ASCII case, on the original
// byte offsets (strings.ToLower may change the length of other text).
func lastIndexFold(s, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
