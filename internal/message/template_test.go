package message

import (
	"errors"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/db/dbtest"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/policy"
)

func TestPutTemplate(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		good := TemplateInput{Name: "お礼", Purpose: "care", SubjectJA: "{{ shop.name }}より", BodyJA: "{{ customer.name }}様、ありがとうございます。",
			SMSJA: "{{ shop.sender_name }}です。ありがとうございます。", BodyEN: "Thank you, {{ customer.name }}."}
		tpl, err := b.svc.PutTemplate(b.ctx, b.shop.ID, "my_thanks", good)
		if err != nil || tpl.UpdatedAt == nil || tpl.Builtin {
			t.Fatalf("put: %+v %v", tpl, err)
		}

		bad := []struct {
			name  string
			key   string
			in    TemplateInput
			field string
			want  string
		}{
			{"unknown variable", "my_thanks", with(good, func(in *TemplateInput) { in.BodyJA = "{{ customer.nmae }}" }), "body_ja", "unknown variable customer.nmae"},
			{"unknown variable in English SMS", "my_thanks", with(good, func(in *TemplateInput) { in.SMSEN = "{% if x %}{% endif %}" }), "sms_en", "unknown variable x"},
			{"syntax", "my_thanks", with(good, func(in *TemplateInput) { in.SubjectJA = "{% if customer.name %}" }), "subject_ja", "syntax error"},
			{"two-line subject", "my_thanks", with(good, func(in *TemplateInput) { in.SubjectJA = "a\nb" }), "subject_ja", "one line"},
			{"no body", "my_thanks", with(good, func(in *TemplateInput) { in.BodyJA = " " }), "body_ja", "required"},
			{"purpose", "my_thanks", with(good, func(in *TemplateInput) { in.Purpose = "spam" }), "purpose", "must be one of"},
			{"key", "My-Thanks", good, "key", "lower-case"},
			{"sms too long", "my_thanks", with(good, func(in *TemplateInput) { in.SMSJA = strings.Repeat("あ", 661) }), "sms_ja", "661 characters"},
			{"sms with long values", "my_thanks", with(good, func(in *TemplateInput) { in.SMSJA = "{{ product.guide }}" }), "sms_ja", "the SMS limit is 660"},
			{"long body used as sms", "my_thanks", with(good, func(in *TemplateInput) { in.SMSJA, in.BodyJA = "", "{{ product.guide }}" }), "sms_ja", "required: body_ja is used for SMS"},
			{"field too large", "my_thanks", with(good, func(in *TemplateInput) { in.BodyEN = strings.Repeat("a", maxFieldBytes+1) }), "body_en", "at most"},
		}
		for _, tt := range bad {
			_, err := b.svc.PutTemplate(b.ctx, b.shop.ID, tt.key, tt.in)
			if p, ok := fieldErr(err, tt.field); !ok || !strings.Contains(p, tt.want) {
				t.Errorf("%s: %v, want %s: ...%s...", tt.name, err, tt.field, tt.want)
			}
		}
		got, err := b.svc.GetTemplate(b.ctx, b.shop.ID, "my_thanks")
		if err != nil || got.BodyJA != good.BodyJA || got.SMSJA != good.SMSJA || got.Name != "お礼" {
			t.Fatalf("stored template changed by refused puts: %+v %v", got, err)
		}

		// A shop with a shorter SMS limit refuses what fits 660.
		longer := with(good, func(in *TemplateInput) { in.SMSJA = "{{ shop.sender_name }}です。{{ product.name }}" })
		if _, err := b.svc.PutTemplate(b.ctx, b.shop.ID, "my_thanks", longer); err != nil {
			t.Fatal(err)
		}
		pol := policy.Defaults()
		pol.SMSMaxChars = 70
		if _, err := b.policies.Put(b.ctx, b.shop.ID, pol); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.PutTemplate(b.ctx, b.shop.ID, "my_thanks", longer); err == nil {
			t.Fatal("an SMS over the shop's limit was accepted")
		} else if p, _ := fieldErr(err, "sms_ja"); !strings.Contains(p, "limit is 70") {
			t.Fatalf("sms_ja: %v", err)
		}
	})
}

func with(in TemplateInput, f func(*TemplateInput)) TemplateInput {
	f(&in)
	return in
}

func TestTemplatesDefaultsAndRender(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		ts, err := b.svc.ListTemplates(b.ctx, b.shop.ID)
		if err != nil || len(ts) != len(defaultTemplates) || ts[0].Key != "care_replenish" || !ts[0].Builtin || ts[0].UpdatedAt != nil {
			t.Fatalf("defaults before install: %d %v", len(ts), err)
		}
		edited := TemplateInput{Purpose: "care", BodyJA: "{{ customer.name }}様、いつもありがとう。"}
		if _, err := b.svc.PutTemplate(b.ctx, b.shop.ID, "care_thanks", edited); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := d.InTx(b.ctx, func(tx *db.Tx) error { return b.svc.EnsureDefaultTemplates(b.ctx, tx, b.shop.ID) }); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := d.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM templates WHERE shop_id = $1`, b.shop.ID).Scan(&n); err != nil || n != len(defaultTemplates) {
			t.Fatalf("%d stored templates (%v)", n, err)
		}
		got, err := b.svc.GetTemplate(b.ctx, b.shop.ID, "care_thanks")
		if err != nil || got.BodyJA != edited.BodyJA || !got.Builtin {
			t.Fatalf("edited default overwritten: %+v %v", got, err)
		}
		r, err := b.svc.Render(b.ctx, b.shop.ID, "care_thanks", "en", Vars{CustomerName: "花子"})
		if err != nil || r.Locale != "ja" || r.Body != "花子様、いつもありがとう。" || r.SMS != r.Body {
			t.Fatalf("render (no English text: Japanese): %+v %v", r, err)
		}
		r, err = b.svc.Render(b.ctx, b.shop.ID, "care_usage", "en", sampleVars("en"))
		if err != nil || r.Locale != "en" || !strings.HasPrefix(r.Body, "Dear Ann Smith,") {
			t.Fatalf("render en: %+v %v", r, err)
		}
		for _, key := range []string{"no_such", "Bad Key"} {
			if _, err := b.svc.GetTemplate(b.ctx, b.shop.ID, key); !errors.Is(err, errs.ErrNotFound) {
				t.Errorf("GetTemplate(%q): %v", key, err)
			}
		}
		if _, err := b.svc.GetTemplate(b.ctx, "shop_other", "care_thanks"); err != nil {
			t.Errorf("another shop sees the defaults: %v", err)
		}
	})
}

func TestPreview(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d)
		c := b.customer(t, "c1", "en", "email")
		r, err := b.svc.Preview(b.ctx, b.shop.ID, "care_survey", PreviewParams{CustomerID: c.ID})
		if err != nil || r.Locale != "en" || !strings.Contains(r.Body, "Dear 山田 花子,") || !strings.Contains(r.Body, "http://kizukai.test/u/") {
			t.Fatalf("preview: %+v %v", r, err)
		}
		r, err = b.svc.Preview(b.ctx, b.shop.ID, "care_survey", PreviewParams{CustomerID: c.ID, Locale: "ja"})
		if err != nil || r.Locale != "ja" || !strings.HasPrefix(r.Body, "山田 花子様") {
			t.Fatalf("preview ja: %+v %v", r, err)
		}
		for _, tt := range []struct {
			p     PreviewParams
			field string
		}{
			{PreviewParams{}, "customer_id"},
			{PreviewParams{CustomerID: "cus_nope"}, "customer_id"},
			{PreviewParams{CustomerID: c.ID, OrderID: "ord_nope"}, "order_id"},
			{PreviewParams{CustomerID: c.ID, Locale: "fr"}, "locale"},
		} {
			if _, err := b.svc.Preview(b.ctx, b.shop.ID, "care_survey", tt.p); err == nil {
				t.Errorf("%+v accepted", tt.p)
			} else if _, ok := fieldErr(err, tt.field); !ok {
				t.Errorf("%+v: %v, want a problem with %s", tt.p, err, tt.field)
			}
		}
		if _, err := b.svc.Preview(b.ctx, b.shop.ID, "no_such", PreviewParams{CustomerID: c.ID}); !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("unknown template: %v", err)
		}
	})
}
