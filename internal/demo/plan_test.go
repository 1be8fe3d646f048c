package demo

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/staff"
)

var planEnd = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

func TestPlanIsReproducible(t *testing.T) {
	t.Parallel()
	a := NewPlan(DefaultSeed, planEnd, DefaultCustomers)
	b := NewPlan(DefaultSeed, planEnd, DefaultCustomers)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed and end gave two different plans")
	}
	c := NewPlan(DefaultSeed+1, planEnd, DefaultCustomers)
	if reflect.DeepEqual(a.Orders, c.Orders) {
		t.Fatal("another seed gave the same orders")
	}
}

func TestPlanShape(t *testing.T) {
	t.Parallel()
	p := NewPlan(DefaultSeed, planEnd, DefaultCustomers)
	if n := len(p.Customers); n < 250 || n > DefaultCustomers {
		t.Errorf("%d customers, want 250 to %d", n, DefaultCustomers)
	}
	if n := len(p.Orders); n < 1500 || n > 2500 {
		t.Errorf("%d orders, want 1,500 to 2,500", n)
	}
	first, last := p.Orders[0].OrderedAt, p.Orders[len(p.Orders)-1].OrderedAt
	if span := last.Sub(first); span < 300*24*time.Hour || first.Before(planEnd.AddDate(-1, 0, 0)) || last.After(planEnd) {
		t.Errorf("orders from %s to %s; want a year ending at %s", first, last, planEnd)
	}
	if !last.After(planEnd.Add(-3 * 24 * time.Hour)) {
		t.Errorf("the newest order is %s: the year should run up to now", last)
	}

	catalogue := map[string]Product{}
	for _, pr := range p.Products {
		catalogue[pr.SKU] = pr
	}
	signup := map[string]time.Time{}
	patterns := map[string]int{}
	locales := map[string]int{}
	for _, c := range p.Customers {
		signup[c.ExternalID] = c.SignupAt
		patterns[c.Pattern]++
		locales[c.Locale]++
	}
	orderIDs := map[string]bool{}
	customersWithOrders := map[string]bool{}
	for _, o := range p.Orders {
		if orderIDs[o.ExternalID] {
			t.Errorf("order external ID %s twice", o.ExternalID)
		}
		orderIDs[o.ExternalID] = true
		customersWithOrders[o.CustomerExternalID] = true
		su, ok := signup[o.CustomerExternalID]
		if !ok || !su.Before(o.OrderedAt) {
			t.Errorf("order %s of %s at %s, before its customer signed up (%s)", o.ExternalID, o.CustomerExternalID, o.OrderedAt, su)
		}
		if n := len(o.Lines); n < 1 || n > 4 {
			t.Errorf("order %s has %d lines", o.ExternalID, n)
		}
		if (o.Store == storeOnline) != (o.Channel == "online") || receiptPrefix[o.Store] == "" {
			t.Errorf("order %s: store %q with channel %q", o.ExternalID, o.Store, o.Channel)
		}
		for _, l := range o.Lines {
			if pr, ok := catalogue[l.SKU]; !ok || pr.Price != l.UnitPrice || l.Quantity < 1 {
				t.Errorf("order %s line %+v does not match the catalogue", o.ExternalID, l)
			}
		}
		sub := o.submission()
		if err := sub.Validate(planEnd); err != nil {
			t.Errorf("order %s is refused by the order rules: %v", o.ExternalID, err)
		}
	}
	if len(customersWithOrders) != len(p.Customers) {
		t.Errorf("%d customers, %d with orders: everyone in the plan bought", len(p.Customers), len(customersWithOrders))
	}
	for _, pat := range []string{"loyal", "slipping", "regular", "lapsed", "once", "new"} {
		if patterns[pat] < len(p.Customers)/20 {
			t.Errorf("only %d %s customers: %v", patterns[pat], pat, patterns)
		}
	}
	if locales["en"] == 0 || locales["en"] > len(p.Customers)/10 {
		t.Errorf("locales %v: want mostly ja and a few en", locales)
	}
}

var lineIDRE = regexp.MustCompile(`^U[0-9a-f]{32}$`)

func TestPlanCustomersAreValidAndFictitious(t *testing.T) {
	t.Parallel()
	p := NewPlan(DefaultSeed, planEnd, DefaultCustomers)
	emails := map[string]bool{}
	var withLine, withdrawals, vips, consenting int
	for _, c := range p.Customers {
		in := c.input()
		if err := in.Validate(); err != nil {
			t.Errorf("customer %s is refused by the customer rules: %v", c.ExternalID, err)
		}
		if c.Email != "" {
			if !strings.HasSuffix(c.Email, "@example.jp") && !strings.HasSuffix(c.Email, "@example.com") {
				t.Errorf("email %s is not at a reserved example domain", c.Email)
			}
			if emails[c.Email] {
				t.Errorf("email %s twice", c.Email)
			}
			emails[c.Email] = true
		}
		if c.Phone != "" {
			if _, err := customer.NormalizePhone(c.Phone); err != nil || !regexp.MustCompile(`^0[789]0-\d{4}-\d{4}$`).MatchString(c.Phone) {
				t.Errorf("phone %s: not a valid Japanese mobile number (%v)", c.Phone, err)
			}
		}
		if c.LineUserID != "" {
			withLine++
			if !lineIDRE.MatchString(c.LineUserID) {
				t.Errorf("LINE user ID %s", c.LineUserID)
			}
		}
		if c.Email == "" && c.Phone == "" && c.LineUserID == "" {
			t.Errorf("customer %s cannot be reached at all", c.ExternalID)
		}
		if c.Locale == "ja" && !strings.Contains(c.Name, " ") {
			t.Errorf("name %q: want family and given name", c.Name)
		}
		if len(c.Granted) > 0 {
			consenting++
		}
		for _, w := range c.Withdrawals {
			withdrawals++
			if !strings.Contains(strings.Join(c.Granted, ","), w.Channel) || !w.At.After(c.SignupAt) || w.At.After(planEnd) {
				t.Errorf("customer %s withdraws %s at %s (granted %v at %s)", c.ExternalID, w.Channel, w.At, c.Granted, c.SignupAt)
			}
		}
		for _, ch := range c.Granted {
			if ConsentText(c.Locale, ch) == "" {
				t.Errorf("no consent text for %s/%s", c.Locale, ch)
			}
		}
		for _, tag := range c.Tags {
			if tag == "vip" {
				vips++
			}
		}
	}
	n := len(p.Customers)
	if withLine < n/5 || consenting < n*7/10 || withdrawals < n/30 || vips != n/10 {
		t.Errorf("of %d customers: %d on LINE, %d consenting, %d withdrawals, %d vip", n, withLine, consenting, withdrawals, vips)
	}
}

func TestCatalogue(t *testing.T) {
	t.Parallel()
	products := Catalogue()
	if len(products) < 18 {
		t.Fatalf("%d products, want about 20", len(products))
	}
	skus := map[string]Product{}
	for _, p := range products {
		if _, dup := skus[p.SKU]; dup {
			t.Errorf("SKU %s twice", p.SKU)
		}
		skus[p.SKU] = p
	}
	durables := map[string]bool{"KT-KTL-08": true, "OR-TBR-01": true, "LV-YGM-6": true, "LV-TWL-02": true}
	for _, p := range products {
		if p.Goal == "" || p.Guide == "" || p.Price <= 0 || p.Category == "" {
			t.Errorf("%s lacks goal, guide, price or category", p.SKU)
		}
		// The guide is written politely (です・ます) and has a few paragraphs.
		if !strings.Contains(p.Guide, "ます") && !strings.Contains(p.Guide, "です") || strings.Count(p.Guide, "\n\n") < 3 {
			t.Errorf("%s: the guide should be a few polite paragraphs", p.SKU)
		}
		if durables[p.SKU] != (p.ConsumptionDays == 0) {
			t.Errorf("%s: consumption_days %d", p.SKU, p.ConsumptionDays)
		}
		for _, r := range append([]string{p.Upgrade}, p.Related...) {
			if _, ok := skus[r]; r != "" && !ok {
				t.Errorf("%s refers to unknown SKU %s", p.SKU, r)
			}
		}
		d := product.Details{Name: p.Name, Category: p.Category, Price: &p.Price, Goal: p.Goal, Guide: p.Guide,
			RelatedSKUs: p.Related, UpgradeSKU: p.Upgrade}
		if err := d.Validate(p.SKU); err != nil {
			t.Errorf("%s is refused by the product rules: %v", p.SKU, err)
		}
	}
}

func TestNewPassword(t *testing.T) {
	t.Parallel()
	a, b := NewPassword(), NewPassword()
	if a == b {
		t.Fatal("two passwords alike")
	}
	if !regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$`).MatchString(a) {
		t.Fatalf("password %q: want four groups of four base32 characters", a)
	}
	if err := staff.ValidatePassword(a); err != nil {
		t.Fatalf("password %q refused: %v", a, err)
	}
}
