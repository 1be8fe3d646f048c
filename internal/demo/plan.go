package demo

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// DefaultSeed makes the default demo: the same shop on every machine.
const DefaultSeed uint64 = 20240401

// DefaultCustomers is how many customers the default demo has.
const DefaultCustomers = 300

// jst is the shop's time zone. Japan has no daylight saving time, so a fixed
// zone gives the same plan as Asia/Tokyo without needing tzdata.
var jst = time.FixedZone("JST", 9*3600)

// Plan is everything the demo shop holds, before it is written.
type Plan struct {
	Products  []Product
	Customers []Customer     // in sign-up order
	Orders    []Order        // in time order
	Answers   []SurveyAnswer // post-purchase survey answers, in time order
	Tickets   []Ticket       // support tickets, in the order they were opened
}

// Customer is a planned customer with the history of their consent.
type Customer struct {
	ExternalID       string
	Name             string
	Email            string
	Phone            string // as a customer writes it: 090-1234-5678
	LineUserID       string
	PostalAddress    string
	Locale           string
	PreferredChannel string
	Tags             []string
	Attributes       map[string]any
	SignupAt         time.Time
	SignupSource     string   // pos_signup or online_signup
	Granted          []string // channels the customer opted in to at sign-up
	Withdrawals      []Withdrawal
	Pattern          string // loyal, slipping, regular, lapsed, once or new: how they buy
}

// Withdrawal is a consent the customer withdrew after signing up.
type Withdrawal struct {
	Channel string
	Source  string
	At      time.Time
}

// Order is a planned receipt.
type Order struct {
	ExternalID         string
	CustomerExternalID string
	OrderedAt          time.Time
	Channel            string // store or online
	Store              string
	Lines              []Line
}

// Line is one line of a planned order.
type Line struct {
	SKU       string
	Quantity  int
	UnitPrice int64
}

// Total is the sum of the order's lines.
func (o Order) Total() int64 {
	var t int64
	for _, l := range o.Lines {
		t += int64(l.Quantity) * l.UnitPrice
	}
	return t
}

// persona is what a customer comes to the shop for.
type persona struct {
	tags    []string
	staples []string // consumables bought again and again, the first sets the rhythm
	extras  []string // bought now and then
	starter string   // a durable some buy with their first order
	weight  int
}

var personas = []persona{
	{tags: []string{"乾燥肌"}, staples: []string{"SK-LOT-150", "SK-CRM-50"}, extras: []string{"BD-HND-50", "LV-TWL-02"}, weight: 14},
	{tags: []string{"敏感肌"}, staples: []string{"SK-LOT-150", "SK-SER-30"}, extras: []string{"BD-HND-50", "SK-CRM-50"}, weight: 10},
	{tags: []string{"ダイエット"}, staples: []string{"FD-DSH-30"}, extras: []string{"HL-PRO-1K", "HL-SUP-VD"}, starter: "LV-YGM-6", weight: 9},
	{tags: []string{"健康志向"}, staples: []string{"FD-GMR-5K"}, extras: []string{"DR-GTB-50", "HL-SUP-VD"}, weight: 10},
	{tags: []string{"コーヒー好き"}, staples: []string{"DR-COF-200"}, extras: []string{"DR-GTB-50"}, starter: "KT-KTL-08", weight: 11},
	{tags: []string{"お茶好き"}, staples: []string{"DR-GTB-50"}, extras: []string{"FD-GMR-5K"}, starter: "KT-KTL-08", weight: 7},
	{tags: []string{"運動習慣"}, staples: []string{"HL-PRO-1K"}, extras: []string{"HL-SUP-VD", "FD-DSH-30"}, starter: "LV-YGM-6", weight: 7},
	{tags: []string{"香り好き"}, staples: []string{"BD-BTH-10", "LV-ARM-10"}, extras: []string{"BD-HND-50", "LV-TWL-02"}, weight: 9},
	{tags: []string{"ヘアケア"}, staples: []string{"HR-SHP-RF", "HR-TRT-RF"}, extras: []string{"BD-BTH-10"}, weight: 8},
	{tags: []string{"オーラルケア"}, staples: []string{"OR-TBH-3"}, extras: []string{"BD-HND-50"}, starter: "OR-TBR-01", weight: 5},
	{tags: []string{"オーラルケア"}, staples: []string{"OR-MTB-3"}, extras: []string{"DR-GTB-50"}, weight: 4},
}

// pattern is how a customer buys, with its share of the customer base.
type pattern struct {
	name   string
	weight int
}

var patterns = []pattern{
	{"loyal", 31},   // on the consumption cycle, still buying: fresh
	{"slipping", 9}, // were loyal, a little overdue now: cooling
	{"regular", 18}, // now and then, irregular gaps
	{"lapsed", 16},  // stopped months ago: stale or lost
	{"once", 17},    // one purchase only
	{"new", 9},      // first purchase in the last six weeks
}

// homeStores are where customers usually shop, with their shares.
var homeStores = []pattern{{storeShibuya, 40}, {storeKichijoji, 30}, {storeOnline, 30}}

// NewPlan builds the demo shop's data for the year that ends at end, from
// seed: the same arguments always give the same plan.
func NewPlan(seed uint64, end time.Time, customers int) Plan {
	g := &gen{
		r:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		end:      end.UTC().Truncate(time.Second),
		products: map[string]Product{},
		emails:   map[string]bool{},
	}
	g.start = g.end.AddDate(-1, 0, 0)
	p := Plan{Products: Catalogue()}
	for _, pr := range p.Products {
		g.products[pr.SKU] = pr
		g.skus = append(g.skus, pr.SKU)
	}
	for i := range customers {
		c, orders := g.customer(i + 1)
		if len(orders) == 0 {
			continue
		}
		p.Customers = append(p.Customers, c)
		p.Orders = append(p.Orders, orders...)
	}
	slices.SortStableFunc(p.Customers, func(a, b Customer) int { return a.SignupAt.Compare(b.SignupAt) })
	slices.SortStableFunc(p.Orders, func(a, b Order) int {
		return cmp.Or(a.OrderedAt.Compare(b.OrderedAt), cmp.Compare(a.CustomerExternalID, b.CustomerExternalID))
	})
	numberReceipts(p.Orders)
	markVIPs(p)
	// Drawn after everything else, so that answers and tickets leave the
	// customers and orders of a seed as they were before the demo had them.
	p.Answers = g.answers(p)
	p.Tickets = g.tickets(p)
	return p
}

type gen struct {
	r          *rand.Rand
	start, end time.Time
	products   map[string]Product
	skus       []string // in catalogue order
	emails     map[string]bool
}

func (g *gen) between(lo, hi float64) float64 { return lo + g.r.Float64()*(hi-lo) }
func (g *gen) chance(p float64) bool          { return g.r.Float64() < p }

// day returns the time offset days after the start of the plan.
func (g *gen) day(offset float64) time.Time {
	return g.start.Add(time.Duration(offset * 24 * float64(time.Hour)))
}

// weighted picks one of items with a probability proportional to its weight.
func weighted[T any](g *gen, items []T, weight func(T) int) T {
	total := 0
	for _, it := range items {
		total += weight(it)
	}
	n := g.r.IntN(total)
	for _, it := range items {
		if n -= weight(it); n < 0 {
			return it
		}
	}
	return items[len(items)-1]
}

// customer plans one customer and their orders.
func (g *gen) customer(n int) (Customer, []Order) {
	byWeight := func(p pattern) int { return p.weight }
	pat := weighted(g, patterns, byWeight).name
	per := weighted(g, personas, func(p persona) int { return p.weight })
	home := weighted(g, homeStores, byWeight).name
	orders := g.orders(pat, per, home)
	c := g.person(n, home, per)
	c.Pattern = pat
	if len(orders) > 0 {
		c.SignupAt = orders[0].OrderedAt.Add(-time.Duration(g.between(3, 40)) * time.Minute)
		g.consents(&c)
	}
	for i := range orders {
		orders[i].CustomerExternalID = c.ExternalID
	}
	return c, orders
}

// orders plans a customer's purchases, oldest first.
func (g *gen) orders(pat string, per persona, home string) []Order {
	days := g.end.Sub(g.start).Hours() / 24
	primary := per.staples[0]
	cycle := func() float64 { return float64(g.products[primary].ConsumptionDays) }
	var first, stop float64 // offsets in days; no order after stop
	switch pat {
	case "loyal":
		first, stop = g.between(0, 45), days
	case "slipping":
		first, stop = g.between(0, 60), days-cycle()*g.between(1.25, 1.9)
	case "regular":
		first, stop = g.between(0, 120), days
	case "lapsed":
		first, stop = g.between(0, 90), days-cycle()*g.between(2.3, 9)
	case "once":
		first = g.between(0, days-21)
		stop = first
	case "new":
		first, stop = days-g.between(1, 42), days
	}
	stop = max(stop, first) // everyone in the plan bought at least once
	var out []Order
	at := first
	for at <= stop && at <= days {
		lines := g.lines(len(out) == 0, per, primary)
		qty := lines[0].Quantity
		out = append(out, g.order(at, home, lines))
		primary = g.maybeUpgrade(primary, len(out), &out[len(out)-1])
		gap := cycle() * float64(qty) * g.between(0.85, 1.2)
		if pat == "regular" {
			gap = max(14, g.r.ExpFloat64()*45)
		}
		at += gap
	}
	return out
}

// lines plans the lines of one order: the customer's staples, now and then
// an extra, and on a first visit sometimes the persona's durable.
func (g *gen) lines(first bool, per persona, primary string) []Line {
	qty := 1
	if g.chance(0.12) {
		qty = 2
	}
	lines := []Line{g.line(primary, qty)}
	for _, sku := range per.staples[1:] {
		// A secondary staple that lasts longer is bought on some visits only.
		if g.chance(float64(g.products[primary].ConsumptionDays) / float64(g.products[sku].ConsumptionDays)) {
			lines = append(lines, g.line(sku, 1))
		}
	}
	if first && per.starter != "" && g.chance(0.45) {
		lines = append(lines, g.line(per.starter, 1))
	}
	if g.chance(0.22) && len(lines) < 4 {
		sku := per.extras[g.r.IntN(len(per.extras))]
		if !slices.ContainsFunc(lines, func(l Line) bool { return l.SKU == sku }) {
			lines = append(lines, g.line(sku, 1))
		}
	}
	if g.chance(0.07) && len(lines) < 4 { // an impulse buy, or a gift
		sku := g.skus[g.r.IntN(len(g.skus))]
		if !slices.ContainsFunc(lines, func(l Line) bool { return l.SKU == sku }) {
			lines = append(lines, g.line(sku, 1))
		}
	}
	return lines
}

func (g *gen) line(sku string, qty int) Line {
	return Line{SKU: sku, Quantity: qty, UnitPrice: g.products[sku].Price}
}

// maybeUpgrade lets a repeat customer move up: to the large bottle, or from
// a manual toothbrush to the electric one (bought in this order) and then
// its refills. It returns the staple to buy from now on.
func (g *gen) maybeUpgrade(primary string, orders int, last *Order) string {
	up := g.products[primary].Upgrade
	if up == "" || orders < 2 || !g.chance(0.2) {
		return primary
	}
	if g.products[up].ConsumptionDays > 0 {
		return up
	}
	last.Lines = append(last.Lines, g.line(up, 1))
	for _, sku := range g.products[up].Related {
		if g.products[sku].ConsumptionDays > 0 {
			return sku
		}
	}
	return primary
}

// order places an order on the day at offset, at a time the store is open.
func (g *gen) order(offset float64, home string, lines []Line) Order {
	store := home
	if g.chance(0.12) {
		store = []string{storeShibuya, storeKichijoji, storeOnline}[g.r.IntN(3)]
	}
	d := g.day(offset).In(jst)
	var minutes int
	if store == storeOnline {
		minutes = 7*60 + g.r.IntN(17*60) // 07:00–23:59
	} else {
		minutes = 10*60 + g.r.IntN(10*60+30) // 10:00–20:29, store hours
	}
	at := time.Date(d.Year(), d.Month(), d.Day(), 0, minutes, g.r.IntN(60), 0, jst).UTC()
	if at.After(g.end) {
		at = g.end.Add(-time.Duration(1+g.r.IntN(90)) * time.Minute)
	}
	ch := "store"
	if store == storeOnline {
		ch = "online"
	}
	return Order{OrderedAt: at, Channel: ch, Store: store, Lines: lines}
}

// numberReceipts gives orders receipt numbers as a POS would: the store,
// the date in Japan and a counter per store and day.
func numberReceipts(orders []Order) {
	seq := map[string]int{}
	for i := range orders {
		o := &orders[i]
		key := receiptPrefix[o.Store] + "-" + o.OrderedAt.In(jst).Format("20060102")
		seq[key]++
		o.ExternalID = fmt.Sprintf("%s-%04d", key, seq[key])
	}
}

// markVIPs tags the tenth of customers who spent most in the year.
func markVIPs(p Plan) {
	spent := map[string]int64{}
	for _, o := range p.Orders {
		spent[o.CustomerExternalID] += o.Total()
	}
	ranked := slices.Clone(p.Customers)
	slices.SortStableFunc(ranked, func(a, b Customer) int {
		return cmp.Or(cmp.Compare(spent[b.ExternalID], spent[a.ExternalID]), cmp.Compare(a.ExternalID, b.ExternalID))
	})
	vip := map[string]bool{}
	for _, c := range ranked[:len(ranked)/10] {
		vip[c.ExternalID] = true
	}
	for i := range p.Customers {
		c := &p.Customers[i]
		if vip[c.ExternalID] {
			c.Tags = append(c.Tags, "vip")
			c.Attributes["member_rank"] = "gold"
		}
	}
}
