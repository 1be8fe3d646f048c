package demo

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/shop"
	"github.com/kizukai/kizukai/internal/staff"
)

// The demo shop's identity and its owner's login.
const (
	Slug       = "demo"
	ShopName   = "きづかい堂"
	OwnerEmail = "owner@demo.kizukai.example"
	KeyName    = "demo"
)

// profile is きづかい堂's public profile, shown in every message.
var profile = shop.ProfileParams{
	Name:          ShopName,
	SenderName:    "きづかい堂 お客さま窓口",
	PostalAddress: "〒150-0041 東京都渋谷区神南1-2-3 きづかいビル2F",
	ContactEmail:  "demo@kizukai.example",
	ContactPhone:  "03-5555-0123",
	Timezone:      "Asia/Tokyo",
}

// Deps is what Create needs from a wired Kizukai.
type Deps struct {
	DB       *db.DB
	Clock    clock.Clock // the demo's year ends at this clock's now
	Events   *event.Recorder
	Products *product.Service
	Orders   *order.Service
	Policies *policy.Service // for the first-response due times of tickets
	// SetupShop installs what every shop starts with (built-in journeys and
	// templates) in the transaction that creates the shop.
	SetupShop func(ctx context.Context, tx db.DBTX, shopID string) error
	// Replay, when set, wires Kizukai on a simulated clock starting at the
	// given time over the same database (see Engine): the orders of the
	// last ReplayDays go through it. Nil: every order is placed through
	// Orders, and the journeys send nothing for them.
	Replay func(ctx context.Context, start time.Time) (*Engine, error)
}

// Options tune Create.
type Options struct {
	Seed      uint64 // 0: DefaultSeed
	Customers int    // 0: DefaultCustomers
}

// Result says what Create did.
type Result struct {
	Shop shop.Shop
	// Existed is true when a complete demo shop was found: nothing was
	// created, and no password or key is returned.
	Existed bool
	// OwnerPassword is set only when the owner was created by this call.
	OwnerEmail    string
	OwnerPassword string
	APIKey        string // a new key named "demo"; empty when Existed
	Products      int
	Customers     int    // customers in the plan (all exist now)
	NewCustomers  int    // of which this call created
	Orders        int    // orders in the plan (all exist now)
	Answers       int    // post-purchase survey answers in the plan
	Tickets       int    // support tickets in the plan (low scores open more)
	SampleOrderID string // the newest order, for the curl example
}

// completeKey marks, in the kv table, a demo shop whose data is complete;
// seedKey keeps the seed and size it was made with ("seed/customers"), so a
// resumed run makes the same plan whatever --seed it is given.
func completeKey(shopID string) string { return "demo.complete." + shopID }
func seedKey(shopID string) string     { return "demo.seed." + shopID }

// Create makes the demo shop, or completes one that a previous run left
// half made, or, when a complete one exists, does nothing and says so.
func Create(ctx context.Context, deps Deps, opts Options) (Result, error) {
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	if opts.Customers <= 0 {
		opts.Customers = DefaultCustomers
	}
	began := deps.Clock.Now()
	s, err := ensureShop(ctx, deps.DB, began, deps.SetupShop)
	if err != nil {
		return Result{}, err
	}
	res := Result{Shop: s}
	if _, done, err := db.GetValue(ctx, deps.DB, completeKey(s.ID)); err != nil || done {
		res.Existed = done
		return res, err
	}
	stored, err := db.InsertValue(ctx, deps.DB, seedKey(s.ID), fmt.Sprintf("%d/%d", opts.Seed, opts.Customers), began)
	if err != nil {
		return Result{}, err
	}
	if _, err := fmt.Sscanf(stored, "%d/%d", &opts.Seed, &opts.Customers); err != nil {
		return Result{}, fmt.Errorf("stored demo options %q: %w", stored, err)
	}
	// The plan ends when the shop was made, not now: a resumed run then
	// makes the very same orders, which the idempotent ingest accepts.
	plan := NewPlan(opts.Seed, s.CreatedAt, opts.Customers)
	res.Products, res.Customers, res.Orders = len(plan.Products), len(plan.Customers), len(plan.Orders)
	res.Answers, res.Tickets = len(plan.Answers), len(plan.Tickets)

	if err := putProducts(ctx, deps.Products, s.ID, plan.Products); err != nil {
		return Result{}, err
	}
	if res.NewCustomers, err = putCustomers(ctx, deps, s.ID, plan.Customers); err != nil {
		return Result{}, err
	}
	history, recent := plan.Orders, []Order(nil)
	from := s.CreatedAt.AddDate(0, 0, -ReplayDays)
	if deps.Replay != nil {
		history, recent = splitOrders(plan.Orders, from)
	}
	var orderIDs map[string]string
	if res.SampleOrderID, orderIDs, err = putOrders(ctx, deps.Orders, s.ID, history); err != nil {
		return Result{}, err
	}
	if len(recent) > 0 {
		newest, ids, err := replayOrders(ctx, deps.Replay, s.ID, recent, from, s.CreatedAt)
		if err != nil {
			return Result{}, err
		}
		res.SampleOrderID = newest
		maps.Copy(orderIDs, ids)
	}
	fb := newFeedback(deps, s.ID)
	if err := fb.putAnswers(ctx, plan.Answers, orderIDs); err != nil {
		return Result{}, err
	}
	if err := fb.putTickets(ctx, plan.Tickets); err != nil {
		return Result{}, err
	}
	if res.OwnerEmail, res.OwnerPassword, err = ensureOwner(ctx, deps.DB, s.ID, deps.Clock.Now()); err != nil {
		return Result{}, err
	}
	if res.APIKey, _, err = shop.CreateKey(ctx, deps.DB, s.ID, KeyName, deps.Clock.Now()); err != nil {
		return Result{}, err
	}
	if err := db.SetValue(ctx, deps.DB, completeKey(s.ID), "1", deps.Clock.Now()); err != nil {
		return Result{}, err
	}
	return res, nil
}

// ensureShop returns the demo shop, creating it with its profile if needed.
// Two processes racing here agree on one shop: the loser reads the winner's.
func ensureShop(ctx context.Context, d *db.DB, now time.Time, setup func(context.Context, db.DBTX, string) error) (shop.Shop, error) {
	s, err := shop.BySlug(ctx, d, Slug)
	if err == nil || !errors.Is(err, errs.ErrNotFound) {
		return s, err
	}
	err = d.InTx(ctx, func(tx *db.Tx) error {
		created, err := shop.Create(ctx, tx, shop.CreateParams{Slug: Slug, Name: ShopName, Timezone: "Asia/Tokyo", Locale: "ja"}, now)
		if err != nil {
			return err
		}
		if s, err = shop.UpdateProfile(ctx, tx, created.ID, profile); err != nil {
			return err
		}
		if setup != nil {
			return setup(ctx, tx, created.ID)
		}
		return nil
	})
	if errors.Is(err, errs.ErrConflict) {
		return shop.BySlug(ctx, d, Slug)
	}
	return s, err
}

func putProducts(ctx context.Context, ps *product.Service, shopID string, products []Product) error {
	for _, p := range products {
		d := product.Details{
			Name: p.Name, Category: p.Category, Price: &p.Price, Goal: p.Goal, Guide: p.Guide,
			RelatedSKUs: p.Related, UpgradeSKU: p.Upgrade,
		}
		if p.ConsumptionDays > 0 {
			d.ConsumptionDays = &p.ConsumptionDays
		}
		if _, _, err := ps.Put(ctx, shopID, p.SKU, d); err != nil {
			return fmt.Errorf("product %s: %w", p.SKU, err)
		}
	}
	return nil
}

// stepClock is a clock the demo moves to each customer's sign-up time, so
// that customers and their consent history carry the times they would
// have had, not the time the demo was made.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t.UTC().Truncate(time.Microsecond)
}

// putCustomers creates the planned customers that do not exist yet, each at
// its sign-up time with the consent it gave, then replays the withdrawals
// of those customers in time order. Customers that exist are left alone, so
// their consent history is never written twice. All in one transaction.
func putCustomers(ctx context.Context, deps Deps, shopID string, planned []Customer) (int, error) {
	clk := &stepClock{}
	svc := customer.NewService(deps.DB, clk, deps.Events)
	created := 0
	err := deps.DB.InTx(ctx, func(tx *db.Tx) error {
		var withdrawals []withdrawalOf
		for _, c := range planned {
			_, err := svc.ByExternalIDTx(ctx, tx, shopID, c.ExternalID)
			if err == nil {
				continue
			}
			if !errors.Is(err, errs.ErrNotFound) {
				return err
			}
			clk.set(c.SignupAt)
			if _, _, err := svc.UpsertTx(ctx, tx, shopID, c.input()); err != nil {
				return fmt.Errorf("customer %s: %w", c.ExternalID, err)
			}
			created++
			for _, w := range c.Withdrawals {
				withdrawals = append(withdrawals, withdrawalOf{c.ExternalID, w})
			}
		}
		slices.SortStableFunc(withdrawals, func(a, b withdrawalOf) int { return a.At.Compare(b.At) })
		no := false
		for _, w := range withdrawals {
			clk.set(w.At)
			in := customer.Input{ExternalID: w.externalID, Consents: map[string]customer.ConsentInput{
				w.Channel: {Granted: &no, Source: w.Source},
			}}
			if _, _, err := svc.UpsertTx(ctx, tx, shopID, in); err != nil {
				return fmt.Errorf("customer %s withdrawal: %w", w.externalID, err)
			}
		}
		return nil
	})
	return created, err
}

type withdrawalOf struct {
	externalID string
	Withdrawal
}

// input is the customer as an integrator would send it at sign-up.
func (c Customer) input() customer.Input {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	yes := true
	consents := map[string]customer.ConsentInput{}
	for _, ch := range c.Granted {
		consents[ch] = customer.ConsentInput{Granted: &yes, Source: c.SignupSource, Text: ConsentText(c.Locale, ch)}
	}
	tags := slices.Clone(c.Tags)
	return customer.Input{
		ExternalID: c.ExternalID, Name: opt(c.Name), Email: opt(c.Email), Phone: opt(c.Phone),
		LineUserID: opt(c.LineUserID), PostalAddress: opt(c.PostalAddress), Locale: opt(c.Locale),
		PreferredChannel: opt(c.PreferredChannel), Tags: &tags, Attributes: c.Attributes, Consents: consents,
	}
}

// ensureOwner creates the owner staff user with a fresh password, or, when
// the owner exists, leaves it alone and returns no password.
func ensureOwner(ctx context.Context, d *db.DB, shopID string, now time.Time) (string, string, error) {
	if _, err := staff.ByEmail(ctx, d, shopID, OwnerEmail); err == nil {
		return OwnerEmail, "", nil
	} else if !errors.Is(err, errs.ErrNotFound) {
		return "", "", err
	}
	pw := NewPassword()
	_, err := staff.Create(ctx, d, staff.CreateParams{ShopID: shopID, Email: OwnerEmail, Name: "きづかい堂 店長", Role: staff.Owner, Password: pw}, now)
	if errors.Is(err, errs.ErrConflict) { // another process made it first: its password is its own
		return OwnerEmail, "", nil
	}
	if err != nil {
		return "", "", err
	}
	return OwnerEmail, pw, nil
}

// passwordEnc is Crockford's lower-case base32: no i, l, o or u to misread.
var passwordEnc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewPassword returns a random password of 16 base32 characters (80 bits)
// in groups of four, easy to read off a terminal and type: xxxx-xxxx-xxxx-xxxx.
func NewPassword() string {
	s := passwordEnc.EncodeToString(id.Secret(10))
	return strings.Join([]string{s[0:4], s[4:8], s[8:12], s[12:16]}, "-")
}
