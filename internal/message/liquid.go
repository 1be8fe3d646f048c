package message

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/osteele/liquid"
	"github.com/osteele/liquid/parser"
	"github.com/osteele/liquid/render"
)

// Merchant templates are Liquid (what Shopify merchants know), restricted
// so that a template can neither read the server's files nor run away:
//
//   - Tags: only if/elsif/else/unless/case/when, comment and raw. No loops,
//     no assign or capture (string doubling), no include or render (files).
//     Without loops or assignments every node runs at most once, so the
//     work of a render is bounded by the template's size.
//   - Filters: an allowlist of string filters whose output is at most linear
//     in their input (no replace, which multiplies).
//   - Variables: exactly Variables, checked statically over every branch at
//     save time and again before every render, and the engine runs with
//     StrictVariables as a second net.
//   - Each field at most maxFieldBytes; output at most maxOutputBytes; the
//     render checks a deadline (renderTimeout) at every write.

// Variables are the names a template may use.
var Variables = []string{
	"customer.name",
	"shop.name", "shop.sender_name", "shop.contact_email", "shop.contact_phone",
	"product.name", "product.goal", "product.guide",
	"order.total", "order.date",
	"links.receipt", "links.survey", "links.unsubscribe", "links.preferences",
}

// allowedTags are the Liquid tags a template may use.
var allowedTags = []string{"if", "elsif", "else", "endif", "unless", "endunless", "case", "when", "endcase",
	"comment", "endcomment", "raw", "endraw"}

// allowedFilters are the Liquid filters a template may use.
var allowedFilters = []string{"default", "upcase", "downcase", "capitalize", "strip", "lstrip", "rstrip",
	"escape", "escape_once", "newline_to_br", "strip_newlines", "strip_html", "truncate", "truncatewords",
	"append", "prepend", "remove", "remove_first", "url_encode", "date", "size"}

// keywords of the expression language that are not variables.
var keywords = []string{"and", "or", "contains", "true", "false", "nil", "null", "empty", "blank"}

const (
	maxFieldBytes  = 20 << 10 // per template field
	maxOutputBytes = 256 << 10
	renderTimeout  = 2 * time.Second
)

// errOutputLimit stops a render whose output grows past maxOutputBytes.
var errOutputLimit = errors.New("template output over 256 KiB")

// newEngine returns the Liquid engine for merchant templates.
func newEngine() *liquid.Engine {
	e := liquid.NewEngine()
	e.StrictVariables()
	for _, t := range []string{"include", "render", "assign", "cycle", "break", "continue", "increment", "decrement"} {
		e.UnregisterTag(t)
	}
	e.RegisterTemplateStore(noFiles{})
	return e
}

// noFiles is a template store that has no files: include and render (which
// the tag check rejects anyway) can read nothing.
type noFiles struct{}

func (noFiles) ReadTemplate(string) ([]byte, error) {
	return nil, errors.New("templates cannot include files")
}

// compile checks src against the restrictions above and parses it. Its
// error is a sentence for the merchant (no personal data: it quotes only
// the template).
func compile(e *liquid.Engine, src string) (*liquid.Template, error) {
	if len(src) > maxFieldBytes {
		return nil, fmt.Errorf("at most %d bytes", maxFieldBytes)
	}
	if err := check(src); err != nil {
		return nil, err
	}
	t, serr := e.ParseString(src)
	if serr != nil {
		return nil, fmt.Errorf("syntax error: %s", liquidMessage(serr))
	}
	return t, nil
}

// check walks the template's tokens: allowed tags only, and every variable
// and filter in every expression known, in every branch.
func check(src string) error {
	toks := parser.Scan(src, parser.SourceLoc{}, nil)
	skipUntil := ""
	for _, tok := range toks {
		if skipUntil != "" {
			if tok.Type == parser.TagTokenType && tok.Name == skipUntil {
				skipUntil = ""
			}
			continue
		}
		switch tok.Type {
		case parser.ObjTokenType:
			if err := checkExpr(tok.Args); err != nil {
				return err
			}
		case parser.TagTokenType:
			if !slices.Contains(allowedTags, tok.Name) {
				return fmt.Errorf("tag {%% %s %%} is not allowed (allowed: if, unless, case, comment, raw)", clip(tok.Name))
			}
			switch tok.Name {
			case "comment", "raw":
				skipUntil = "end" + tok.Name
			case "if", "elsif", "unless", "case", "when":
				if err := checkExpr(tok.Args); err != nil {
					return err
				}
			}
		}
	}
	if skipUntil != "" {
		return fmt.Errorf("{%% %s %%} is not closed", strings.TrimPrefix(skipUntil, "end"))
	}
	return nil
}

// checkExpr scans one Liquid expression (the inside of {{ }} or a tag's
// arguments) for variable paths and filter names.
func checkExpr(s string) error {
	expectFilter := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return errors.New("a quoted string is not closed")
			}
			i += j + 2
		case c >= '0' && c <= '9':
			for i < len(s) && (isIdentPart(s[i]) || (s[i] == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9')) {
				i++
			}
		case c == '|':
			expectFilter = true
			i++
		case c == '[':
			return errors.New("write variables with dots, e.g. customer.name (no [ ])")
		case isIdentStart(c):
			j := i
			for j < len(s) && (isIdentPart(s[j]) || (s[j] == '.' && j+1 < len(s) && isIdentStart(s[j+1]))) {
				j++
			}
			if j < len(s) && s[j] == '?' {
				j++
			}
			name := s[i:j]
			i = j
			next := nextNonSpace(s, i)
			switch {
			case next == '[':
				return errors.New("write variables with dots, e.g. customer.name (no [ ])")
			case expectFilter:
				expectFilter = false
				if !slices.Contains(allowedFilters, name) {
					return fmt.Errorf("unknown filter %s (allowed: %s)", clip(name), strings.Join(allowedFilters, ", "))
				}
			case next == ':':
				// a filter's keyword argument, e.g. allow_false: true
			case slices.Contains(keywords, name):
			case !slices.Contains(Variables, name):
				return fmt.Errorf("unknown variable %s (known: %s)", clip(name), strings.Join(Variables, ", "))
			}
		default:
			i++
		}
	}
	return nil
}

func isIdentStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentPart(c byte) bool  { return isIdentStart(c) || c == '-' || (c >= '0' && c <= '9') }

func nextNonSpace(s string, i int) byte {
	for ; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
	return 0
}

// clip keeps a quoted piece of template short in error messages.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// liquidMessage is a Liquid error without its "Liquid error" wrapping.
func liquidMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "Liquid error: ")
	msg = strings.ReplaceAll(msg, "\n", " ")
	if r := []rune(msg); len(r) > 200 {
		msg = string(r[:200]) + "…"
	}
	return msg
}

// renderTemplate renders t with the bindings, bounded in output and time.
func renderTemplate(ctx context.Context, t *liquid.Template, b map[string]any) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, renderTimeout)
	defer cancel()
	w := &boundedWriter{ctx: ctx}
	if err := t.FRender(w, b); err != nil {
		switch {
		case errors.Is(err, errOutputLimit), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
			return "", err
		}
		return "", fmt.Errorf("render: %s", liquidMessage(err))
	}
	return w.buf.String(), nil
}

// boundedWriter collects output up to maxOutputBytes and stops a render
// whose context has ended.
type boundedWriter struct {
	ctx context.Context
	buf bytes.Buffer
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if w.buf.Len()+len(p) > maxOutputBytes {
		return 0, errOutputLimit
	}
	return w.buf.Write(p)
}

var _ render.TemplateStore = noFiles{}
