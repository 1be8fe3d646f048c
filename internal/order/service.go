package order

import (
	"context"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/product"
	"github.com/kizukai/kizukai/internal/token"
)

// Service is the order use cases: ingest one or a batch, idempotently.
type Service struct {
	db        *db.DB
	clock     clock.Clock
	events    *event.Recorder
	customers *customer.Service
	products  *product.Service
	signer    *token.Signer
	baseURL   string
}

// NewService returns a Service. baseURL is the public URL of this Kizukai
// (receipt links are built on it).
func NewService(d *db.DB, clk clock.Clock, events *event.Recorder, customers *customer.Service, signer *token.Signer, baseURL string) *Service {
	return &Service{db: d, clock: clk, events: events, customers: customers, products: product.NewService(d, clk),
		signer: signer, baseURL: strings.TrimRight(baseURL, "/")}
}

// PlacedData is the data of an order.placed event.
type PlacedData struct {
	OrderID    string   `json:"order_id"`
	ExternalID string   `json:"external_id"`
	Total      int64    `json:"total"`
	Currency   string   `json:"currency"`
	SKUs       []string `json:"skus"`
	Channel    string   `json:"channel"`
	Store      string   `json:"store"`
	// FirstOrder is true when no other order of the customer had been
	// recorded before this one (in ingestion order, not by ordered_at).
	FirstOrder bool `json:"first_order"`
}

// Place ingests one order (validated here, normalising sub in place).
// created is false when the same order was posted before: the stored order
// is returned and nothing is written. Errors: validation (422, the inline
// customer's fields under "customer."), an unknown customer_external_id
// (422), order_conflict when external_id exists with other content (409).
func (s *Service) Place(ctx context.Context, shopID string, sub Submission) (Order, bool, error) {
	rs, err := s.PlaceBatch(ctx, shopID, []Submission{sub})
	if err != nil {
		return Order{}, false, err
	}
	if rs[0].Err != nil {
		return Order{}, false, rs[0].Err
	}
	return rs[0].Order, rs[0].Created, nil
}

// ByID returns the shop's order with its lines and receipt URL.
func (s *Service) ByID(ctx context.Context, shopID, orderID string) (Order, error) {
	o, err := byID(ctx, s.db, shopID, orderID)
	if err != nil {
		return Order{}, err
	}
	return s.withReceipt(o), nil
}

// ListParams selects a page of a shop's orders, newest first.
type ListParams struct {
	ShopID     string
	CustomerID string    // optional: only this customer's
	Before     time.Time // keyset: ordered_at of the previous page's last order
	BeforeID   string    // keyset: its ID ("" for the first page)
	Limit      int
}

// List returns a page of orders with lines and receipt URLs, and whether
// more follow.
func (s *Service) List(ctx context.Context, p ListParams) ([]Order, bool, error) {
	want := p.Limit
	p.Limit++
	os, err := list(ctx, s.db, p)
	if err != nil {
		return nil, false, err
	}
	more := len(os) > want
	if more {
		os = os[:want]
	}
	for i := range os {
		os[i] = s.withReceipt(os[i])
	}
	return os, more, nil
}

// ReceiptURL returns the public URL of o's digital receipt: the base URL,
// "/r/" and a token signed for (shop, order, receipt) that never expires.
// The token is not stored; it is made again on every call, identically.
func (s *Service) ReceiptURL(o Order) string {
	tok, err := s.signer.Sign(token.Claims{Purpose: token.Receipt, ShopID: o.ShopID, ObjectID: o.ID})
	if err != nil {
		return "" // only for IDs over 64 bytes, which this package never makes
	}
	return s.baseURL + "/r/" + tok
}

func (s *Service) withReceipt(o Order) Order {
	o.ReceiptURL = s.ReceiptURL(o)
	return o
}
