package customer

import (
	"context"
	"slices"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
)

// Service is the customer use cases: upsert, consent, export, erase, import.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	events *event.Recorder
}

// NewService returns a Service.
func NewService(d *db.DB, clk clock.Clock, events *event.Recorder) *Service {
	return &Service{db: d, clock: clk, events: events}
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
	f, err := FreshnessOf(ctx, s.db, shopID, c.ID, s.clock.Now())
	if err != nil {
		return Customer{}, err
	}
	c.Freshness = f
	return c, nil
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

// List returns a page of the shop's customers in ID order, with tags,
// consents and freshness, and whether more follow.
//
// The band filter is applied after reading: freshness is computed per
// customer from their orders, so a band query scans the shop's customers
// page by page until the page is full. A later issue stores freshness and
// indexes the band; until then this is O(customers) for rare bands.
func (s *Service) List(ctx context.Context, p ListParams) ([]Customer, bool, error) {
	var f errs.Fields
	if p.Band != "" && !slices.Contains(Bands, p.Band) {
		f.Add("band", "one of fresh, cooling, stale, lost")
	}
	for name, v := range map[string]string{"q": p.Query, "tag": p.Tag, "external_id": p.ExternalID} {
		if len(v) > 200 || !printable(v) {
			f.Add(name, "at most 200 characters, no control characters")
		}
	}
	if err := f.Err(); err != nil {
		return nil, false, err
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	now := s.clock.Now()
	calc := newFreshnessCalc(s.db, p.ShopID, now)
	var out []Customer
	after := p.AfterID
	batch := p.Limit + 1
	if p.Band != "" {
		batch = max(batch, 200)
	}
	for {
		page, err := listRows(ctx, s.db, p, after, batch)
		if err != nil {
			return nil, false, err
		}
		for _, c := range page {
			f, err := calc.forCustomer(ctx, c.ID)
			if err != nil {
				return nil, false, err
			}
			if p.Band != "" && (f == nil || f.Band != p.Band) {
				continue
			}
			c.Freshness = f
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
