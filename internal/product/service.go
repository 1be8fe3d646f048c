package product

import (
	"context"
	"slices"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
)

// Service is the product catalogue use cases.
type Service struct {
	db    *db.DB
	clock clock.Clock
}

// NewService returns a Service.
func NewService(d *db.DB, clk clock.Clock) *Service {
	return &Service{db: d, clock: clk}
}

// Put creates or replaces the shop's product sku and reports whether it was
// created. d is validated here.
func (s *Service) Put(ctx context.Context, shopID, sku string, d Details) (Product, bool, error) {
	if err := d.Validate(sku); err != nil {
		return Product{}, false, err
	}
	var p Product
	var created bool
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		p, created, err = s.PutTx(ctx, tx, shopID, sku, d)
		return err
	})
	return p, created, err
}

// PutTx is Put in the caller's transaction (the admin UI records its
// audit entry in the same one). d is validated here.
func (s *Service) PutTx(ctx context.Context, tx db.DBTX, shopID, sku string, d Details) (Product, bool, error) {
	if err := d.Validate(sku); err != nil {
		return Product{}, false, err
	}
	created, err := put(ctx, tx, shopID, d, s.clock.Now())
	if err != nil {
		return Product{}, false, err
	}
	p, err := bySKU(ctx, tx, shopID, sku)
	return p, created, err
}

// BySKU returns the shop's product sku, or a not-found error.
func (s *Service) BySKU(ctx context.Context, shopID, sku string) (Product, error) {
	if !ValidSKU(sku) {
		return Product{}, errNotFound
	}
	return bySKU(ctx, s.db, shopID, sku)
}

// BySKUs returns the shop's products among skus, keyed by SKU; SKUs not in
// the catalogue are simply absent. It runs on d, so callers may use it
// inside their own transaction.
func (s *Service) BySKUs(ctx context.Context, d db.DBTX, shopID string, skus []string) (map[string]Product, error) {
	uniq := slices.Clone(skus)
	slices.Sort(uniq)
	return bySKUs(ctx, d, shopID, slices.Compact(uniq))
}

// ListParams selects a page of a shop's products, by SKU.
type ListParams struct {
	ShopID   string
	Category string // optional: only this category
	Query    string // optional: SKU or name contains this (case-insensitive for ASCII)
	AfterSKU string // keyset: the last SKU of the previous page
	Limit    int
}

// List returns a page of products and whether more follow.
func (s *Service) List(ctx context.Context, p ListParams) ([]Product, bool, error) {
	want := p.Limit
	p.Limit++
	items, err := list(ctx, s.db, p)
	if err != nil {
		return nil, false, err
	}
	if len(items) > want {
		return items[:want], true, nil
	}
	return items, false, nil
}

// KnownSKUs reports which of skus are in the shop's catalogue (the set of
// those that are), reading only the keys: orders use it to mark lines.
func (s *Service) KnownSKUs(ctx context.Context, d db.DBTX, shopID string, skus []string) (map[string]bool, error) {
	uniq := slices.Clone(skus)
	slices.Sort(uniq)
	return knownSKUs(ctx, d, shopID, slices.Compact(uniq))
}
