package journey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/coupon"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/order"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/product"
)

// Deps are what the journey engine needs.
type Deps struct {
	DB        *db.DB
	Clock     clock.Clock
	Queue     *jobs.Queue
	Events    *event.Recorder
	Messages  *message.Service
	Customers *customer.Service
	Products  *product.Service
	Orders    *order.Service
	Policies  *policy.Service
	// Coupons issues the codes of coupon steps; nil: coupon steps only
	// record coupon.requested (as before campaigns existed).
	Coupons *coupon.Service
}

// Service is the journey engine and its use cases.
type Service struct {
	Deps
	// versions caches definitions by shop, journey and version: a stored
	// version never changes, so the cache needs no invalidation.
	versions sync.Map

	batchOnce sync.Once
	steps     *stepBatcher // journey.step jobs worked together (batch.go)
}

// NewService returns a Service.
func NewService(d Deps) *Service {
	return &Service{Deps: d}
}

// Journey statuses.
const (
	StatusActive = "active"
	StatusPaused = "paused"
	StatusDraft  = "draft"
)

// Journey is a journey with its newest definition.
type Journey struct {
	ID           string     `json:"id"`
	BuiltinKey   string     `json:"builtin_key" doc:"post_purchase_care, win_back, ticket_follow_up or dunning for the built-in journeys; empty for the shop's own"`
	Name         string     `json:"name"`
	Status       string     `json:"status" doc:"active, paused or draft"`
	PausedReason string     `json:"paused_reason" doc:"why it was paused (set by the annoyance brake or by staff)"`
	Version      int        `json:"version" doc:"the newest version: new runs use it; runs in flight finish on the version they started on"`
	Definition   Definition `json:"definition"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Input creates a journey: its definition and, optionally, its status.
type Input struct {
	Definition
	Status string `json:"status,omitempty" doc:"draft (default) or active"`
}

// ListParams selects a page of a shop's journeys in ID order.
type ListParams struct {
	ShopID  string
	AfterID string
	Limit   int // default 50
}

// List returns a page of the shop's journeys and whether more follow.
func (s *Service) List(ctx context.Context, p ListParams) ([]Journey, bool, error) {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	js, err := listJourneys(ctx, s.DB, p.ShopID, p.AfterID, p.Limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(js) > p.Limit {
		return js[:p.Limit], true, nil
	}
	return js, false, nil
}

// ByID returns the shop's journey.
func (s *Service) ByID(ctx context.Context, shopID, journeyID string) (Journey, error) {
	return journeyByID(ctx, s.DB, shopID, journeyID)
}

// Create validates in and stores a new journey at version 1, as a draft or
// (when in.Status is active and every template and coupon campaign it
// names exists) active.
func (s *Service) Create(ctx context.Context, shopID string, in Input) (Journey, error) {
	if in.Status == "" {
		in.Status = StatusDraft
	}
	err := in.Definition.Validate()
	if in.Status != StatusDraft && in.Status != StatusActive {
		var f errs.Fields
		if e := (*errs.Error)(nil); errors.As(err, &e) {
			f = e.Fields
		}
		f.Add("status", "draft or active")
		err = f.Err()
	}
	if err != nil {
		return Journey{}, err
	}
	jid := id.New("jny")
	err = s.DB.InTx(ctx, func(tx *db.Tx) error {
		if in.Status == StatusActive {
			if err := s.checkRefs(ctx, tx, shopID, &in.Definition); err != nil {
				return err
			}
		}
		_, err := insertJourney(ctx, tx, insertParams{ShopID: shopID, ID: jid, Status: in.Status, Def: in.Definition, Now: s.Clock.Now()})
		return err
	})
	if err != nil {
		return Journey{}, err
	}
	return journeyByID(ctx, s.DB, shopID, jid)
}

// Update stores def as the journey's next version. Runs in flight finish
// on the version they started on; runs started from now on use the new
// one. An active journey's new version must name existing templates and
// coupon campaigns.
func (s *Service) Update(ctx context.Context, shopID, journeyID string, def Definition) (Journey, error) {
	if err := def.Validate(); err != nil {
		return Journey{}, err
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		st, err := journeyStatus(ctx, tx, shopID, journeyID)
		if err != nil {
			return err
		}
		if st == StatusActive {
			if err := s.checkRefs(ctx, tx, shopID, &def); err != nil {
				return err
			}
		}
		_, err = addVersion(ctx, tx, shopID, journeyID, def, s.Clock.Now())
		return err
	})
	if err != nil {
		return Journey{}, err
	}
	return journeyByID(ctx, s.DB, shopID, journeyID)
}

// Activate makes the journey start runs on its triggers and clears any
// paused reason. Every template and coupon campaign its newest version
// names must exist (422 naming steps[i].template or steps[i].campaign_id
// otherwise).
func (s *Service) Activate(ctx context.Context, shopID, journeyID string) (Journey, error) {
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		return s.ActivateTx(ctx, tx, shopID, journeyID)
	})
	if err != nil {
		return Journey{}, err
	}
	return journeyByID(ctx, s.DB, shopID, journeyID)
}

// ActivateTx is Activate in the caller's transaction (the admin UI audits
// the change in the same one).
func (s *Service) ActivateTx(ctx context.Context, tx db.DBTX, shopID, journeyID string) error {
	j, err := journeyByID(ctx, tx, shopID, journeyID)
	if err != nil {
		return err
	}
	if err := s.checkRefs(ctx, tx, shopID, &j.Definition); err != nil {
		return err
	}
	return setStatus(ctx, tx, shopID, journeyID, StatusActive, "", s.Clock.Now())
}

// PausedByStaff is the paused_reason of a journey paused through the API.
const PausedByStaff = "スタッフが停止しました / paused by staff"

// Pause stops the journey: it starts no new runs, and the messages of its
// runs in flight are suppressed (journey_paused) when they come due, so
// that activating it again resumes those runs where their rhythm is.
func (s *Service) Pause(ctx context.Context, shopID, journeyID string) (Journey, error) {
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		return s.PauseTx(ctx, tx, shopID, journeyID)
	})
	if err != nil {
		return Journey{}, err
	}
	return journeyByID(ctx, s.DB, shopID, journeyID)
}

// PauseTx is Pause in the caller's transaction.
func (s *Service) PauseTx(ctx context.Context, tx db.DBTX, shopID, journeyID string) error {
	return setStatus(ctx, tx, shopID, journeyID, StatusPaused, PausedByStaff, s.Clock.Now())
}

// IsPaused reports whether the shop's journey is paused (the message
// service asks when a message comes due; see message.SetJourneyPausedFunc).
// A journey that does not exist is not paused.
func (s *Service) IsPaused(ctx context.Context, tx db.DBTX, shopID, journeyID string) (bool, error) {
	if journeyID == "" {
		return false, nil
	}
	st, err := journeyStatus(ctx, tx, shopID, journeyID)
	if err != nil {
		if errors.Is(err, errs.ErrNotFound) {
			return false, nil
		}
		return false, err
	}
	return st == StatusPaused, nil
}

// checkRefs reports every send step whose template the shop lacks and
// every coupon step whose campaign the shop lacks (an active journey must
// name only what exists).
func (s *Service) checkRefs(ctx context.Context, tx db.DBTX, shopID string, def *Definition) error {
	err := checkTemplates(ctx, tx, shopID, def)
	var f errs.Fields
	if e := (*errs.Error)(nil); errors.As(err, &e) && e.Kind == errs.ErrInvalid {
		f = e.Fields
	} else if err != nil {
		return err
	}
	if s.Coupons != nil {
		var ids []string
		for _, st := range def.Steps {
			if st.Type == StepCoupon && st.CampaignID != "" {
				ids = append(ids, st.CampaignID)
			}
		}
		have, err := s.Coupons.CampaignsExist(ctx, tx, shopID, ids)
		if err != nil {
			return err
		}
		for i, st := range def.Steps {
			if st.Type == StepCoupon && st.CampaignID != "" && !have[st.CampaignID] {
				f.Add(stepField(i, "campaign_id"), "the shop has no coupon campaign with this ID; create it (POST /coupon-campaigns) before activating")
			}
		}
	}
	return f.Err()
}

// checkTemplates reports every send step whose template the shop lacks.
func checkTemplates(ctx context.Context, tx db.DBTX, shopID string, def *Definition) error {
	keys, err := templateKeys(ctx, tx, shopID)
	if err != nil {
		return err
	}
	var f errs.Fields
	for _, i := range sortedKeys(def.Templates()) {
		if k := def.Steps[i].Template; !keys[k] {
			f.Add(stepField(i, "template"), fmt.Sprintf("the shop has no template %q; create it (PUT /templates/%s) before activating", k, k))
		}
	}
	return f.Err()
}

func sortedKeys(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// versionKey names one stored version.
type versionKey struct {
	shopID, journeyID string
	version           int
}

// definition returns a stored version, from the cache when it can.
func (s *Service) definition(ctx context.Context, d db.DBTX, shopID, journeyID string, version int) (*Definition, error) {
	k := versionKey{shopID, journeyID, version}
	if v, ok := s.versions.Load(k); ok {
		return v.(*Definition), nil
	}
	def, err := loadVersion(ctx, d, shopID, journeyID, version)
	if err != nil {
		return nil, err
	}
	s.versions.Store(k, def)
	return def, nil
}
