package message

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/token"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleVars are a real-looking customer, product and order.
func sampleVars(locale string) Vars {
	v := Vars{
		CustomerName: "山田 花子", ShopName: "ひだまり珈琲", SenderName: "ひだまり珈琲 店主 森",
		ContactEmail: "hello@hidamari.example.jp", ContactPhone: "03-1234-5678",
		ProductName: "深煎りブレンド 200g", ProductGoal: "毎朝のおいしい一杯",
		ProductGuide: "・お湯は沸騰してから少し置いた90℃前後がおすすめです。\n・1杯に豆10g、お湯150mlが目安です。\n・開封後は密閉して冷暗所で保存し、2週間ほどでお召し上がりください。",
		OrderTotal:   "3,300円", OrderDate: "2026年11月23日",
		ReceiptURL: "https://kizukai.example/r/RECEIPT-TOKEN", SurveyURL: "https://kizukai.example/s/SURVEY-TOKEN",
		UnsubscribeURL: "https://kizukai.example/u/UNSUBSCRIBE-TOKEN", PreferencesURL: "https://kizukai.example/p/PREFERENCES-TOKEN",
	}
	if locale == "en" {
		v.CustomerName, v.OrderTotal, v.OrderDate = "Ann Smith", "¥3,300", "November 23, 2026"
	}
	return v
}

func TestDefaultTemplatesGolden(t *testing.T) {
	t.Parallel()
	s := &Service{engine: newEngine()}
	for _, tpl := range defaultTemplates {
		t.Run(tpl.Key, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			for _, c := range []struct {
				title  string
				locale string
				v      Vars
			}{
				{"ja", "ja", sampleVars("ja")},
				{"en", "en", sampleVars("en")},
				{"ja, no name, product or order", "ja", Vars{ShopName: "ひだまり珈琲", SenderName: "ひだまり珈琲",
					UnsubscribeURL: "https://kizukai.example/u/T", PreferencesURL: "https://kizukai.example/p/T"}},
			} {
				r, err := s.renderFor(context.Background(), tpl, c.locale, c.v)
				if err != nil {
					t.Fatalf("%s: %v", c.title, err)
				}
				if r.Locale != c.locale {
					t.Fatalf("%s: locale %s", c.title, r.Locale)
				}
				fmt.Fprintf(&buf, "==== %s ====\n--- subject\n%s\n--- body\n%s\n--- sms\n%s\n\n", c.title, r.Subject, r.Body, r.SMS)
			}
			path := filepath.Join("testdata", tpl.Key+".golden")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/message -run Golden -update)", err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Errorf("%s differs from the rendering; diff with -update and review:\n%s", path, buf.String())
			}
		})
	}
}

// TestDefaultTemplatesRules checks the house rules of the shipped copy:
// each template validates (SMS within 660 characters with long values);
// care never sells; every email names the sender and carries a way out;
// every non-transactional SMS names the sender and the opt-out link.
func TestDefaultTemplatesRules(t *testing.T) {
	t.Parallel()
	signer, err := token.NewSigner(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Deps: Deps{Signer: signer, BaseURL: "https://kizukai.example.co.jp"}, engine: newEngine()}
	sales := []string{"今なら", "割引", "セール", "クーポン", "OFF", "円", "お得", "限定", "discount", "sale", "offer", "order.total"}
	for _, tpl := range defaultTemplates {
		t.Run(tpl.Key, func(t *testing.T) {
			t.Parallel()
			tt := tpl
			if err := s.validateTemplate(context.Background(), "shop_x", &tt, defaultSMSMaxChars); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if tpl.Purpose == "care" {
				for _, f := range tt.fields() {
					for _, w := range sales {
						if strings.Contains(*f.src, w) {
							t.Errorf("care template %s contains %q", f.name, w)
						}
					}
				}
			}
			for _, body := range []string{tpl.BodyJA, tpl.BodyEN} {
				if !strings.Contains(body, "{{ shop.sender_name }}") || !strings.Contains(body, "shop.contact_email") ||
					!strings.Contains(body, "shop.contact_phone") {
					t.Error("an email body does not name the sender and contact")
				}
				if !strings.Contains(body, "{{ links.unsubscribe }}") && !strings.Contains(body, "{{ links.preferences }}") {
					t.Error("an email body has no opt-out or settings link")
				}
			}
			for _, sms := range []string{tpl.SMSJA, tpl.SMSEN} {
				if !strings.HasPrefix(sms, "{{ shop.sender_name }}") {
					t.Error("an SMS does not start with the sender")
				}
				if tpl.Purpose != "transactional" && !strings.Contains(sms, "{{ links.unsubscribe }}") {
					t.Error("an SMS has no opt-out link")
				}
			}
		})
	}
}
