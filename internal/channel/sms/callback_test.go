package sms

import (
	"errors"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/errs"
)

func TestVerifyCallback(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"msg_1","status":"delivered"}`)
	good := Sign(testSecret, body)
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   bool
	}{
		{"valid", testSecret, body, good, true},
		{"upper-case hex", testSecret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), true},
		{"other body", testSecret, []byte(`{"id":"msg_1","status":"failed"}`), good, false},
		{"other secret", []byte("another-secret-of-16"), body, good, false},
		{"empty secret", nil, body, Sign(nil, body), false},
		{"no prefix", testSecret, body, strings.TrimPrefix(good, "sha256="), false},
		{"sha1 prefix", testSecret, body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"truncated", testSecret, body, good[:len(good)-2], false},
		{"not hex", testSecret, body, "sha256=" + strings.Repeat("zz", 32), false},
		{"empty header", testSecret, body, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := VerifyCallback(tt.secret, tt.body, tt.header); got != tt.want {
				t.Fatalf("VerifyCallback = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		want  Callback
		kind  error
		field string
	}{
		{"delivered", `{"id":"msg_1","status":"delivered"}`, Callback{ID: "msg_1", Status: "delivered"}, nil, ""},
		{"failed with error", `{"id":"msg_1","status":"failed","error":"unknown subscriber"}`, Callback{ID: "msg_1", Status: "failed", Error: "unknown subscriber"}, nil, ""},
		{"extra fields ignored", `{"id":"msg_1","status":"delivered","gateway_ref":"x"}`, Callback{ID: "msg_1", Status: "delivered"}, nil, ""},
		{"long error truncated", `{"id":"m","status":"failed","error":"` + strings.Repeat("あ", 300) + `"}`, Callback{ID: "m", Status: "failed", Error: strings.Repeat("あ", 166)}, nil, ""},
		{"not json", `id=msg_1`, Callback{}, errs.ErrMalformed, ""},
		{"two objects", `{"id":"a","status":"delivered"}{}`, Callback{}, errs.ErrMalformed, ""},
		{"trailing bracket", `{"id":"a","status":"delivered"}]`, Callback{}, errs.ErrMalformed, ""},
		{"array", `[]`, Callback{}, errs.ErrMalformed, ""},
		{"wrong type", `{"id":1,"status":"delivered"}`, Callback{}, errs.ErrMalformed, ""},
		{"null", `null`, Callback{}, errs.ErrInvalid, "id"},
		{"no id", `{"status":"delivered"}`, Callback{}, errs.ErrInvalid, "id"},
		{"long id", `{"id":"` + strings.Repeat("a", 201) + `","status":"delivered"}`, Callback{}, errs.ErrInvalid, "id"},
		{"unknown status", `{"id":"a","status":"sent"}`, Callback{}, errs.ErrInvalid, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCallback([]byte(tt.body))
			if tt.kind == nil {
				if err != nil || got != tt.want {
					t.Fatalf("ParseCallback = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err %v, want %v", err, tt.kind)
			}
			var e *errs.Error
			if tt.field != "" && (!errors.As(err, &e) || e.Fields[tt.field] == "") {
				t.Fatalf("err %v does not name %s", err, tt.field)
			}
			if len(tt.body) > 8 && strings.Contains(err.Error(), tt.body[:8]) {
				t.Fatalf("error text quotes the body: %v", err)
			}
		})
	}
}

func FuzzVerifyCallback(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), []byte(`{"id":"msg_1","status":"delivered"}`), "sha256=00", byte(0))
	f.Add([]byte(""), []byte(""), "", byte(3))
	f.Add([]byte("k"), []byte("\x00\xff"), "sha256="+strings.Repeat("a", 64), byte(200))
	f.Fuzz(func(t *testing.T, secret, body []byte, header string, flip byte) {
		_ = VerifyCallback(secret, body, header) // never panics
		sig := Sign(secret, body)
		if got := VerifyCallback(secret, body, sig); got != (len(secret) > 0) {
			t.Fatalf("verify(sign(x)) = %v with a %d-byte secret", got, len(secret))
		}
		if len(body) > 0 {
			mutated := append([]byte(nil), body...)
			mutated[int(flip)%len(mutated)] ^= 1 | flip
			if VerifyCallback(secret, mutated, sig) {
				t.Fatal("a mutated body verified")
			}
		}
	})
}

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{`{"id":"msg_1","status":"delivered"}`, `{"id":"m","status":"failed","error":"x"}`,
		`null`, `[]`, `{"id":"\ud800","status":"failed"}`, `{"id":"a","status":"delivered"}{}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseCallback(body)
		if err != nil {
			if !errors.Is(err, errs.ErrMalformed) && !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("uncategorised error %v", err)
			}
			if len(body) >= 12 && strings.Contains(err.Error(), string(body)) {
				t.Fatal("error text quotes the body")
			}
			return
		}
		if c.ID == "" || len(c.ID) > maxCallbackID || (c.Status != StatusDelivered && c.Status != StatusFailed) || len(c.Error) > maxCallbackError {
			t.Fatalf("accepted an invalid callback %+v", c)
		}
	})
}
