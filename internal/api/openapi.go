package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/httpx"
)

// op is what the OpenAPI document says about a route.
type op struct {
	summary string
	tag     string
	body    any     // request body: a value of the Go type decoded (nil: none)
	resp    any     // response body: a value of the Go type written (nil: none)
	status  int     // success status (default 200)
	query   []param // query parameters
	errors  []int   // error statuses beyond 400/401/429/500 (e.g. 404, 409, 422)
}

// param is a query parameter.
type param struct {
	name, desc string
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI builds the OpenAPI 3.1 document from the route table.
func (h *Handler) openAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range h.routes() {
		p := Prefix + rt.path
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		o := map[string]any{"summary": rt.doc.summary, "operationId": opID(rt.method, rt.path)}
		if rt.doc.tag != "" {
			o["tags"] = []string{rt.doc.tag}
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.doc.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.desc, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			o["parameters"] = params
		}
		if rt.doc.body != nil {
			o["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.doc.body))}}}
		}
		status := rt.doc.status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		if rt.doc.resp != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.doc.resp))}}
		}
		responses := map[string]any{itoa(status): ok}
		errStatuses := []int{http.StatusBadRequest, http.StatusInternalServerError}
		if !rt.public {
			errStatuses = append(errStatuses, http.StatusUnauthorized, http.StatusTooManyRequests)
		}
		if rt.doc.body != nil {
			errStatuses = append(errStatuses, http.StatusRequestEntityTooLarge)
		}
		for _, s := range append(errStatuses, rt.doc.errors...) {
			responses[itoa(s)] = map[string]any{"description": http.StatusText(s),
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		}
		o["responses"] = responses
		if !rt.public {
			o["security"] = []any{map[string]any{"apiKey": []string{}}}
		}
		paths[p][strings.ToLower(rt.method)] = o
	}
	g.schema(reflect.TypeOf(httpx.ErrorBody{}))
	g.defs["Error"] = g.defs["ErrorBody"]
	delete(g.defs, "ErrorBody")
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Kizukai API", "version": "1",
			"description": "After-follow platform. Authenticate with Authorization: Bearer <api key>; the key names its shop. " +
				"Errors are {\"error\": {\"code\", \"message\", \"fields\"}}. Lists are paginated with limit and cursor (next_cursor)."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"apiKey": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func opID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '{' || r == '}' || r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// schemaGen turns Go types into JSON Schema (2020-12, as OpenAPI 3.1 uses),
// following encoding/json's rules for field names.
type schemaGen struct {
	defs map[string]any
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if ref, ok := s["$ref"]; ok {
			return map[string]any{"oneOf": []any{map[string]any{"$ref": ref}, map[string]any{"type": "null"}}}
		}
		if typ, ok := s["type"].(string); ok {
			s["type"] = []string{typ, "null"}
		}
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if i := strings.IndexByte(name, '['); i >= 0 { // generic: List[customer.Customer] → ListCustomer
			name = name[:i] + strings.TrimPrefix(name[strings.LastIndexByte(name, '.')+1:], "")
			name = strings.NewReplacer("[", "", "]", "", ".", "", "/", "", "*", "").Replace(name)
		}
		if name != "" {
			if _, done := g.defs[name]; !done {
				g.defs[name] = map[string]any{} // placeholder against recursion
				g.defs[name] = g.object(t)
			}
			return map[string]any{"$ref": "#/components/schemas/" + name}
		}
		return g.object(t)
	}
	return map[string]any{}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if name == "" {
				name = f.Name
			}
			s := g.schema(f.Type)
			if d := f.Tag.Get("doc"); d != "" {
				if _, isRef := s["$ref"]; isRef {
					s = map[string]any{"allOf": []any{s}, "description": d}
				} else {
					s["description"] = d
				}
			}
			props[name] = s
			if strings.Contains(f.Tag.Get("openapi"), "required") {
				required = append(required, name)
			}
			_ = opts
		}
	}
	walk(t)
	o := map[string]any{"type": "object", "properties": props}
	if required != nil {
		sort.Strings(required)
		o["required"] = required
	}
	return o
}
