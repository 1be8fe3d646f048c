package message

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCompile(t *testing.T) {
	t.Parallel()
	e := newEngine()
	tests := []struct {
		name    string
		src     string
		wantErr string // "" for none
	}{
		{"plain text", "こんにちは", ""},
		{"known variable", "{{ customer.name }}様", ""},
		{"filters", `{{ customer.name | default: "お客" | append: "様" | truncate: 20 }}`, ""},
		{"filter keyword argument", `{{ customer.name | default: "x", allow_false: true }}`, ""},
		{"if and case", `{% if product.goal != "" and links.survey %}a{% elsif order.total contains "円" %}b{% else %}c{% endif %}` +
			`{% case shop.name %}{% when "a", "b" %}x{% else %}y{% endcase %}{% unless order.date == blank %}d{% endunless %}`, ""},
		{"trim markers", "{%- if customer.name -%}\n{{- customer.name -}}\n{%- endif -%}", ""},
		{"comment and raw ignore their inside", `{% comment %}{{ secret }}{% for x in y %}{% endcomment %}{% raw %}{{ nope }}{% endraw %}`, ""},
		{"quoted strings are not variables", `{{ "customer.nmae" | append: 'foo.bar' }}`, ""},
		{"numbers", `{{ customer.name | truncate: 12.5 }}{% if 1 < 2 %}x{% endif %}`, ""},
		{"unknown variable", "{{ customer.nmae }}", "unknown variable customer.nmae"},
		{"unknown variable in a false branch", `{% if false %}{{ password }}{% endif %}`, "unknown variable password"},
		{"unknown variable in a condition", `{% if customer.age > 3 %}x{% endif %}`, "unknown variable customer.age"},
		{"unknown variable as filter argument", `{{ customer.name | append: shop.secret }}`, "unknown variable shop.secret"},
		{"whole object", `{{ customer }}`, "unknown variable customer"},
		{"unknown filter", `{{ customer.name | replace: "a", "aaaa" }}`, "unknown filter replace"},
		{"loops are not allowed", `{% for i in (1..100000000) %}x{% endfor %}`, "tag {% for %} is not allowed"},
		{"assign is not allowed", `{% assign a = "x" %}`, "tag {% assign %} is not allowed"},
		{"capture is not allowed", `{% capture a %}x{% endcapture %}`, "tag {% capture %} is not allowed"},
		{"include is not allowed", `{% include "/etc/passwd" %}`, "tag {% include %} is not allowed"},
		{"render is not allowed", `{% render "x" %}`, "tag {% render %} is not allowed"},
		{"brackets", `{{ customer["name"] }}`, "no [ ]"},
		{"unclosed string", `{{ "abc }}`, "not closed"},
		{"unclosed comment", `{% comment %}abc`, "not closed"},
		{"syntax error", `{% if customer.name %}x`, "syntax error"},
		{"too large", strings.Repeat("あ", maxFieldBytes), "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := compile(e, tt.src)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("compile: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("compile error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRenderTemplate(t *testing.T) {
	t.Parallel()
	e := newEngine()
	v := Vars{CustomerName: "山田 花子", ProductGoal: "毎朝のおいしい一杯"}
	tests := []struct {
		name, src, want string
	}{
		{"variables", "{{ customer.name }}様、{{ product.goal }}", "山田 花子様、毎朝のおいしい一杯"},
		{"empty value", `{% if product.name != "" %}x{% else %}none{% endif %}`, "none"},
		{"no HTML escaping in text", "{{ customer.name | append: \"<b>\" }}", "山田 花子<b>"},
		{"escape filter", "{{ \"<b>\" | escape }}", "&lt;b&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tpl, err := compile(e, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			got, err := renderTemplate(context.Background(), tpl, v.bindings())
			if err != nil || got != tt.want {
				t.Fatalf("render = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestRenderBounds(t *testing.T) {
	t.Parallel()
	e := newEngine()
	tpl, err := compile(e, "{{ product.guide }}{{ product.guide }}")
	if err != nil {
		t.Fatal(err)
	}
	big := Vars{ProductGuide: strings.Repeat("x", maxOutputBytes/2+1)}
	if _, err := renderTemplate(context.Background(), tpl, big.bindings()); !errors.Is(err, errOutputLimit) {
		t.Fatalf("over the output limit: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := renderTemplate(ctx, tpl, Vars{}.bindings()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled render: %v", err)
	}
}

// FuzzTemplateRender: any template text with any values compiles or is
// refused, and renders or errs, without panicking or hanging; a template
// that uses an unknown variable is always refused.
func FuzzTemplateRender(f *testing.F) {
	for _, t := range defaultTemplates {
		f.Add(t.BodyJA, "山田 花子", "乾燥肌をうるおす")
		f.Add(t.SMSEN, "Ann", "")
	}
	for _, s := range []string{"{{ customer.name }}", "{% if %}", "{{", "{% raw %}{{", "{{ a | }}", "{{ customer.name | truncate: -1 }}",
		"{{ customer.name | date: '%Y' }}", "{% case x %}{% when %}{% endcase %}", "{{ 1..2 }}", "{{ customer.name.size }}",
		"{% comment %}", "{%- -%}", "{{ - }}", "{{ '\\' }}", "{{ customer.name | truncatewords: 99999999999 }}"} {
		f.Add(s, "x", "y")
	}
	e := newEngine()
	f.Fuzz(func(t *testing.T, src, name, goal string) {
		start := time.Now()
		tpl, err := compile(e, src)
		if err == nil {
			v := Vars{CustomerName: name, ProductGoal: goal, ProductName: name}
			_, _ = renderTemplate(context.Background(), tpl, v.bindings())
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("compile and render took %s", d)
		}
		// The same text after an unknown variable is always refused.
		if _, err := compile(e, "{{ nosuch.variable }}"+src); err == nil && len(src) < maxFieldBytes-30 {
			t.Fatalf("unknown variable accepted before %q", src)
		}
	})
}
