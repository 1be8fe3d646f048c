package policy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
)

// Service reads and stores each shop's policy.
type Service struct {
	db    *db.DB
	clock clock.Clock
}

// NewService returns a Service.
func NewService(d *db.DB, clk clock.Clock) *Service {
	return &Service{db: d, clock: clk}
}

// Get returns the shop's policy read through d (the database or the
// caller's transaction): the stored one, or Defaults when the shop has none.
// A field missing from a stored policy (one added after it was saved) takes
// its default.
func (s *Service) Get(ctx context.Context, d db.DBTX, shopID string) (Policy, error) {
	body, ok, err := load(ctx, d, shopID)
	if err != nil || !ok {
		return Defaults(), err
	}
	p := Defaults()
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return Policy{}, fmt.Errorf("stored policy of shop %s: %w", shopID, err)
	}
	return p, nil
}

// Put validates p and stores it as the shop's whole policy, returning what
// is stored. Callers that take a partial object start from Defaults, so
// absent fields take their defaults.
func (s *Service) Put(ctx context.Context, shopID string, p Policy) (Policy, error) {
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		return s.PutTx(ctx, tx, shopID, p)
	})
	if err != nil {
		return Policy{}, err
	}
	return p, nil
}

// PutTx is Put in the caller's transaction (the admin UI audits the change
// in the same one). A policy that fails Validate stores nothing.
func (s *Service) PutTx(ctx context.Context, tx db.DBTX, shopID string, p Policy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode policy: %w", err)
	}
	return store(ctx, tx, shopID, string(body), s.clock.Now())
}
