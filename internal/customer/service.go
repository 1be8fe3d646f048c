package customer

import (
	"context"
	"slices"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/jobs"
)

// Service is the customer use cases: upsert, consent, export, erase, import.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	events *event.Recorder
	queue  *jobs.Queue // the freshness sweep's (see UseQueue)
}

// NewService returns a Service.
func NewService(d *db.DB, clk clock.Clock, events *event.Recorder) *Service {
	return &Service{db: d, clock: clk, events: events, queue: jobs.NewQueue(clk)}
}

// UpsertTx creates the shop's customer with in.ExternalID or updates it,
// in the caller's transaction, and records inline consent changes. It
// validates in (normalising it in place). created tells whether a new
// customer was made. The result has tags and consents but no freshness:
// callers that show it use Upsert or FreshnessOf.
//
// Concurrent upserts of one external ID are safe on both engines: one
// INSERT ... ON CONFLICT DO UPDATE makes exactly one row.
func (s *Service) UpsertTx(ctx context.Context, tx db.DBTX, shopID string, in Input) (Customer, bool, error) {
	if err := in.Validate(); err != nil {
		return Customer{}, false, err
	}
	now := s.clock.Now()
	newID := id.New("cus")
	c, err := upsertRow(ctx, tx, shopID, newID, in, now)
	if err != nil {
		return Customer{}, false, err
	}
	created := c.ID == newID
	if err := s.afterWrite(ctx, tx, shopID, c.ID, in); err != nil {
		return Customer{}, false, err
	}
	c, err = s.loadTx(ctx, tx, shopID, c.ID)
	return c, created, err
}

// Upsert is UpsertTx in a transaction of its own; the result includes
// freshness.
func (s *Service) Upsert(ctx context.Context, shopID string, in Input) (Customer, bool, error) {
	var c Customer
	var created bool
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		c, created, err = s.UpsertTx(ctx, tx, shopID, in)
		return err
	})
	if err != nil {
		return Customer{}, false, err
	}
	c, err = s.withFreshness(ctx, shopID, c)
	return c, created, err
}

// Update changes the fields of in that are present on the customer with
// the given ID (PATCH). in.ExternalID may be empty or the stored one: the
// shop's ID of a customer never changes.
func (s *Service) Update(ctx context.Context, shopID, customerID string, in Input) (Customer, error) {
	if err := in.validate(false); err != nil {
		return Customer{}, err
	}
	var c Customer
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		old, err := byID(ctx, tx, shopID, customerID)
		if err != nil {
			return err
		}
		if in.ExternalID != "" && in.ExternalID != old.ExternalID {
			return errs.Invalid("external_id", "cannot change; create another customer instead")
		}
		if _, err := updateRow(ctx, tx, shopID, customerID, in, s.clock.Now()); err != nil {
			return err
		}
		if err := s.afterWrite(ctx, tx, shopID, customerID, in); err != nil {
			return err
		}
		c, err = s.loadTx(ctx, tx, shopID, customerID)
		return err
	})
	if err != nil {
		return Customer{}, err
	}
	return s.withFreshness(ctx, shopID, c)
}

// afterWrite stores what lives outside the customers row: tags and consents.
func (s *Service) afterWrite(ctx context.Context, tx db.DBTX, shopID, customerID string, in Input) error {
	if in.Tags != nil {
		if err := replaceTags(ctx, tx, shopID, customerID, *in.Tags); err != nil {
			return err
		}
	}
	return s.applyConsents(ctx, tx, shopID, customerID, in.Consents, in.onlyConsentChanges, s.clock.Now())
}

// loadTx reads a customer with tags and consents.
func (s *Service) loadTx(ctx context.Context, d db.DBTX, shopID, customerID string) (Customer, error) {
	c, err := byID(ctx, d, shopID, customerID)
	if err != nil {
		return Customer{}, err
	}
	cs := []Customer{c}
	if err := loadExtras(ctx, d, shopID, cs); err != nil {
		return Customer{}, err
	}
	return cs[0], nil
}

// withFreshness fills c.Freshness, read outside any transaction.
func (s *Service) withFreshness(ctx context.Context, shopID string, c Customer) (Customer, error) {
	cs := []Customer{c}
	if err := s.fillFreshness(ctx, shopID, cs); err != nil {
		return Customer{}, err
	}
	return cs[0], nil
}

// fillFreshness sets the Freshness of cs (at most maxInList) to their live
// freshness at the clock's now, computed from the stored inputs (latest
// order, expected interval) so that the score decays continuously. A
// customer whose freshness was never stored (without orders, or created
// before migration 00007 and not yet backfilled, see BackfillFreshness)
// has it computed from their orders instead: one query finds which of them
// have orders at all.
func (s *Service) fillFreshness(ctx context.Context, shopID string, cs []Customer) error {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	stored, err := loadStoredFreshness(ctx, s.db, shopID, ids)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	var unstored []string
	for i := range cs {
		if sf := stored[cs[i].ID]; sf.computed {
			cs[i].Freshness = sf.freshness(now)
		} else {
			unstored = append(unstored, cs[i].ID)
		}
	}
	if len(unstored) == 0 {
		return nil
	}
	withOrders, err := customersWithOrders(ctx, s.db, shopID, unstored)
	if err != nil {
		return err
	}
	var calc *freshnessCalc
	for i := range cs {
		if _, ok := stored[cs[i].ID]; ok || !withOrders[cs[i].ID] {
			continue // stored, or no order: no freshness (SPEC §6)
		}
		if calc == nil {
			calc = newFreshnessCalc(s.db, shopID, now)
		}
		if cs[i].Freshness, err = calc.forCustomer(ctx, cs[i].ID); err != nil {
			return err
		}
	}
	return nil
}

// ByID returns the shop's customer with tags, consents and freshness.
// Erased customers and other shops' customers are not found.
func (s *Service) ByID(ctx context.Context, shopID, customerID string) (Customer, error) {
	c, err := s.loadTx(ctx, s.db, shopID, customerID)
	if err != nil {
		return Customer{}, err
	}
	return s.withFreshness(ctx, shopID, c)
}

// ByExternalIDTx returns the shop's customer with the given external ID,
// with tags and consents (no freshness), read in tx.
func (s *Service) ByExternalIDTx(ctx context.Context, tx db.DBTX, shopID, externalID string) (Customer, error) {
	c, err := byExternalID(ctx, tx, shopID, externalID)
	if err != nil {
		return Customer{}, err
	}
	return s.loadTx(ctx, tx, shopID, c.ID)
}

// IDsByExternalIDTx maps the external IDs of the shop's live (not erased)
// customers among externalIDs to their IDs, read in tx; unknown ones are
// absent from the map. It is one query (per 1000 IDs) and loads nothing
// else: an order batch needs only the IDs of up to 1000 customers, which
// ByExternalIDTx would read in four queries each.
func (s *Service) IDsByExternalIDTx(ctx context.Context, tx db.DBTX, shopID string, externalIDs []string) (map[string]string, error) {
	return idsByExternalID(ctx, tx, shopID, externalIDs)
}

// Names maps the shop's live customers among ids to their names (erased
// and unknown ones are absent), one query per 1000 IDs: for lists that
// show who a row is about, where ByID would read four times per row.
func (s *Service) Names(ctx context.Context, shopID string, ids []string) (map[string]string, error) {
	return namesByID(ctx, s.db, shopID, ids)
}

// List returns a page of the shop's customers in ID order, with tags,
// consents and freshness, and whether more follow.
//
// The band filter is an indexed query on the stored band
// (customer_freshness_band: shop_id, freshness_band, customer_id), which the order.placed
// subscriber and the freshness sweep keep current: under the simulated
// clock it is exact, in real time the stored band may lag the live one by
// the sweep's delay (about a second). A customer whose live band (the one
// shown) already differs is left out, so every item shows the band asked
// for; one that has just entered the band appears once the sweep stores it.
func (s *Service) List(ctx context.Context, p ListParams) ([]Customer, bool, error) {
	var f errs.Fields
	if p.Band != "" && !slices.Contains(Bands, p.Band) {
		f.Add("band", "one of fresh, cooling, stale, lost")
	}
	p.validateFilters(&f)
	if err := f.Err(); err != nil {
		return nil, false, err
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	var out []Customer
	after := p.AfterID
	batch := p.Limit + 1
	for {
		page, err := listRows(ctx, s.db, p, after, batch)
		if err != nil {
			return nil, false, err
		}
		if err := s.fillFreshness(ctx, p.ShopID, page); err != nil {
			return nil, false, err
		}
		for _, c := range page {
			if p.Band != "" && (c.Freshness == nil || c.Freshness.Band != p.Band) {
				continue // the sweep has yet to store its new band
			}
			out = append(out, c)
			if len(out) > p.Limit {
				break
			}
		}
		if len(out) > p.Limit || len(page) < batch {
			break
		}
		after = page[len(page)-1].ID
	}
	more := len(out) > p.Limit
	if more {
		out = out[:p.Limit]
	}
	if err := loadExtras(ctx, s.db, p.ShopID, out); err != nil {
		return nil, false, err
	}
	return out, more, nil
}
