package coupon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
)

// Service is the coupon use cases: campaigns, issuing and redeeming codes.
type Service struct {
	db     *db.DB
	clock  clock.Clock
	events *event.Recorder
}

// NewService returns a Service.
func NewService(d *db.DB, clk clock.Clock, events *event.Recorder) *Service {
	return &Service{db: d, clock: clk, events: events}
}

// CreateCampaign validates in and stores a new campaign.
func (s *Service) CreateCampaign(ctx context.Context, shopID string, in CampaignInput) (Campaign, error) {
	now := s.clock.Now()
	if err := in.Validate(now); err != nil {
		return Campaign{}, err
	}
	c := Campaign{ID: id.New(campaignIDPrefix), Name: in.Name, DiscountType: in.DiscountType, DiscountValue: in.DiscountValue,
		ValidDays: in.ValidDays, PerCustomerLimit: 1, TotalLimit: in.TotalLimit, CreatedAt: now.UTC()}
	if in.EndsAt != nil {
		t := in.EndsAt.UTC()
		c.EndsAt = &t
	}
	if in.PerCustomerLimit != nil {
		c.PerCustomerLimit = *in.PerCustomerLimit
	}
	if err := insertCampaign(ctx, s.db, shopID, c); err != nil {
		return Campaign{}, err
	}
	return campaignByID(ctx, s.db, shopID, c.ID)
}

// Campaign returns the shop's campaign with its issued and redeemed counts.
func (s *Service) Campaign(ctx context.Context, shopID, campaignID string) (Campaign, error) {
	return campaignByID(ctx, s.db, shopID, campaignID)
}

// CampaignsExist returns which of ids are campaigns of the shop (the
// journey engine checks the campaigns its coupon steps name).
func (s *Service) CampaignsExist(ctx context.Context, tx db.DBTX, shopID string, ids []string) (map[string]bool, error) {
	return existingCampaigns(ctx, tx, shopID, ids)
}

// Issue issues a new code of the campaign to the customer; see IssueTx.
func (s *Service) Issue(ctx context.Context, shopID, campaignID string, in IssueInput) (Coupon, error) {
	var k Coupon
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		var err error
		k, _, err = s.IssueTx(ctx, tx, shopID, campaignID, in)
		return err
	})
	return k, err
}

// maxCodeTries bounds the draws of a code: with 60 bits a collision is
// already all but impossible, so a second failure means a bug.
const maxCodeTries = 5

// IssueTx issues a code of the campaign to the customer in the caller's
// transaction and records coupon.issued there. The code expires valid_days
// after now, or at the campaign's end if that comes first. With an
// IssueKey that issued a code already, it answers that code and created
// is false.
//
// An unknown campaign is not found; an unknown or erased customer, or an
// order that is not the customer's, is a validation error naming the
// field; an ended campaign or a reached limit is a conflict
// (campaign_ended, campaign_limit_reached, customer_limit_reached). A
// refusal writes nothing, so the caller's transaction may go on.
func (s *Service) IssueTx(ctx context.Context, tx db.DBTX, shopID, campaignID string, in IssueInput) (Coupon, bool, error) {
	in.CustomerID, in.OrderID = strings.TrimSpace(in.CustomerID), strings.TrimSpace(in.OrderID)
	if in.CustomerID == "" {
		return Coupon{}, false, errs.Invalid("customer_id", "required")
	}
	c, err := campaignByID(ctx, tx, shopID, campaignID)
	if err != nil {
		return Coupon{}, false, err
	}
	// Under the customer's lock, a second issue with the same key (a
	// retried journey step) finds the first one's code.
	if err := lockCustomer(ctx, tx, shopID, in.CustomerID); err != nil {
		return Coupon{}, false, err
	}
	if in.IssueKey != "" {
		k, err := couponBy(ctx, tx, byIssueKeySQL, shopID, in.IssueKey)
		if err == nil {
			return k, false, nil
		}
		if !errors.Is(err, errs.ErrNotFound) {
			return Coupon{}, false, err
		}
	}
	if in.OrderID != "" {
		if err := checkOrder(ctx, tx, shopID, in.OrderID, in.CustomerID); err != nil {
			return Coupon{}, false, err
		}
	}
	// The customer's lock keeps their count still; the claim comes last,
	// so that every refusal leaves nothing written (the journey engine
	// goes on in the same transaction after one).
	n, err := customerCount(ctx, tx, shopID, c.ID, in.CustomerID)
	if err != nil {
		return Coupon{}, false, err
	}
	if n >= c.PerCustomerLimit {
		return Coupon{}, false, errCustomerLimit
	}
	now := s.clock.Now().UTC()
	if err := claim(ctx, tx, shopID, c, now); err != nil {
		return Coupon{}, false, err
	}
	k := Coupon{CampaignID: c.ID, CustomerID: in.CustomerID, OrderID: in.OrderID, ExpiresAt: expiry(c, now), CreatedAt: now,
		DiscountType: c.DiscountType, DiscountValue: c.DiscountValue, CampaignName: c.Name}
	for try := 0; ; try++ {
		if try == maxCodeTries {
			return Coupon{}, false, fmt.Errorf("issue coupon: no free code after %d draws", maxCodeTries)
		}
		k.Code = NewCode()
		ok, err := insertCoupon(ctx, tx, shopID, in.IssueKey, k)
		if err != nil {
			return Coupon{}, false, err
		}
		if ok {
			break
		}
	}
	_, _, err = s.events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: k.CustomerID, Type: EventIssued,
		ExternalID: "coupon:" + k.Code, OccurredAt: now, Now: now,
		Data: EventData{Code: k.Code, CampaignID: c.ID, OrderID: k.OrderID, ExpiresAt: k.ExpiresAt}})
	if err != nil {
		return Coupon{}, false, err
	}
	return k, true, nil
}

// expiry is when a code of c issued at now expires.
func expiry(c Campaign, now time.Time) time.Time {
	var t time.Time
	if c.ValidDays != nil {
		t = now.Add(time.Duration(*c.ValidDays) * 24 * time.Hour)
	}
	if c.EndsAt != nil && (t.IsZero() || c.EndsAt.Before(t)) {
		t = *c.EndsAt
	}
	return t.UTC()
}

// ByCode returns the shop's coupon with this code (as typed: case, spaces
// and dashes do not matter).
func (s *Service) ByCode(ctx context.Context, shopID, code string) (Coupon, error) {
	c, ok := NormalizeCode(code)
	if !ok {
		return Coupon{}, errNoCoupon
	}
	return couponBy(ctx, s.db, byCodeSQL, shopID, c)
}

// ByOrder returns the coupons issued with the shop's order, oldest first.
func (s *Service) ByOrder(ctx context.Context, shopID, orderID string) ([]Coupon, error) {
	return byOrder(ctx, s.db, shopID, orderID)
}

// Redeem redeems the code once and records coupon.redeemed. Of many
// concurrent redemptions exactly one succeeds. An unknown code is not
// found, a redeemed one a conflict (already_redeemed), an expired one gone
// (expired); none of them changes anything.
func (s *Service) Redeem(ctx context.Context, shopID, code string, in RedeemInput) (Coupon, error) {
	if err := in.Validate(); err != nil {
		return Coupon{}, err
	}
	norm, ok := NormalizeCode(code)
	if !ok {
		return Coupon{}, errNoCoupon
	}
	var k Coupon
	err := s.db.InTx(ctx, func(tx *db.Tx) error {
		now := s.clock.Now().UTC()
		done, err := redeem(ctx, tx, shopID, norm, in.Reference, now)
		if err != nil {
			return err
		}
		if k, err = couponBy(ctx, tx, byCodeSQL, shopID, norm); err != nil {
			return err
		}
		if !done {
			if k.RedeemedAt != nil {
				return errRedeemed
			}
			return errExpired
		}
		_, _, err = s.events.Record(ctx, tx, event.RecordParams{ShopID: shopID, CustomerID: k.CustomerID, Type: EventRedeemed,
			ExternalID: "coupon:" + k.Code + ":redeemed", OccurredAt: now, Now: now,
			Data: EventData{Code: k.Code, CampaignID: k.CampaignID, OrderID: k.OrderID, ExpiresAt: k.ExpiresAt, Reference: k.Reference}})
		return err
	})
	if err != nil {
		return Coupon{}, err
	}
	return k, nil
}
