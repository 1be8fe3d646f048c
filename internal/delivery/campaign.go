package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/id"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
)

// Campaign kinds.
const (
	KindRecall    = "recall"
	KindBroadcast = "broadcast"
)

// Campaign statuses.
const (
	StatusTargeting = "targeting" // the fan-out job is still planning messages
	StatusDone      = "done"      // every targeted customer has a message
)

// RecallInput starts a recall (SPEC C11): a transactional notice to every
// customer who bought the SKU (within the purchase window when given).
type RecallInput struct {
	SKU           string     `json:"sku" openapi:"required"`
	Lot           string     `json:"lot,omitempty" doc:"the affected lot, shown on the recall; orders carry no lot, so it does not narrow the buyers"`
	PurchasedFrom *time.Time `json:"purchased_from,omitempty" doc:"only orders placed at or after this time"`
	PurchasedTo   *time.Time `json:"purchased_to,omitempty" doc:"only orders placed at or before this time"`
	TemplateKey   string     `json:"template_key,omitempty" doc:"a stored template; or give subject and body"`
	Subject       string     `json:"subject,omitempty" doc:"Liquid; stored as the recall's own template"`
	Body          string     `json:"body,omitempty" doc:"Liquid; with subject, instead of template_key"`
	SMS           string     `json:"sms,omitempty" doc:"Liquid; the SMS and LINE text (default: body)"`
}

// Segment selects the customers of a broadcast: exactly one of all, tag
// or band.
type Segment struct {
	All  bool   `json:"all,omitempty"`
	Tag  string `json:"tag,omitempty"`
	Band string `json:"band,omitempty" doc:"fresh, cooling, stale or lost"`
}

// BroadcastInput starts a broadcast to a segment (SPEC C12). Each message
// goes through the care-first policy: consent, caps and quiet hours.
type BroadcastInput struct {
	Segment     Segment `json:"segment" openapi:"required"`
	Purpose     string  `json:"purpose" openapi:"required" doc:"info or sales"`
	TemplateKey string  `json:"template_key" openapi:"required"`
	Channel     string  `json:"channel,omitempty" doc:"best (default), line, sms or email"`
}

// Counts are how a campaign's messages stand.
type Counts struct {
	Targeted     int `json:"targeted" doc:"messages planned"`
	Pending      int `json:"pending" doc:"scheduled, deferred or being sent"`
	Sent         int `json:"sent" doc:"accepted by a provider or the outbox (sent, delivered, opened, clicked)"`
	Delivered    int `json:"delivered" doc:"reported delivered (or opened, clicked)"`
	Acknowledged int `json:"acknowledged" doc:"acknowledged by the customer on the notice page"`
	Unreachable  int `json:"unreachable" doc:"no channel reached the customer (suppressed unreachable, or failed)"`
	Suppressed   int `json:"suppressed" doc:"stopped by the policy (no consent, caps ...)"`
}

// Campaign is a recall or a broadcast with its counts.
type Campaign struct {
	ID            string     `json:"id"`
	Kind          string     `json:"kind" doc:"recall or broadcast"`
	Status        string     `json:"status" doc:"targeting, or done once every customer has a message"`
	Purpose       string     `json:"purpose"`
	Channel       string     `json:"channel"`
	TemplateKey   string     `json:"template_key"`
	SKU           string     `json:"sku,omitempty"`
	Lot           string     `json:"lot,omitempty"`
	PurchasedFrom *time.Time `json:"purchased_from,omitempty"`
	PurchasedTo   *time.Time `json:"purchased_to,omitempty"`
	Segment       *Segment   `json:"segment,omitempty"`
	Counts
	CreatedAt time.Time `json:"created_at"`
}

// FanoutKind is the job that plans a campaign's messages, a batch of
// customers per transaction, re-enqueueing itself until none is left.
const FanoutKind = "campaign.fanout"

type fanoutArgs struct {
	CampaignID string `json:"campaign_id"`
}

const maxText = 20000

// CreateRecall stores a recall and its first fan-out job in one
// transaction; the messages are planned in the background (GET shows
// targeting until done).
func (s *Service) CreateRecall(ctx context.Context, shopID string, in RecallInput) (Campaign, error) {
	var f errs.Fields
	in.SKU, in.Lot, in.TemplateKey = strings.TrimSpace(in.SKU), strings.TrimSpace(in.Lot), strings.TrimSpace(in.TemplateKey)
	if in.SKU == "" || len(in.SKU) > 200 {
		f.Add("sku", "required, at most 200 bytes")
	}
	if utf8.RuneCountInString(in.Lot) > 200 {
		f.Add("lot", "at most 200 characters")
	}
	if in.PurchasedFrom != nil && in.PurchasedTo != nil && in.PurchasedTo.Before(*in.PurchasedFrom) {
		f.Add("purchased_to", "must not be before purchased_from")
	}
	inline := in.Subject != "" || in.Body != "" || in.SMS != ""
	switch {
	case in.TemplateKey != "" && inline:
		f.Add("template_key", "give template_key or subject and body, not both")
	case in.TemplateKey == "" && strings.TrimSpace(in.Body) == "":
		f.Add("body", "required without template_key")
	}
	if len(in.Subject) > maxText || len(in.Body) > maxText || len(in.SMS) > maxText {
		f.Add("body", "at most 20000 bytes")
	}
	if err := f.Err(); err != nil {
		return Campaign{}, err
	}
	c := Campaign{ID: id.New("rcl"), Kind: KindRecall, Status: StatusTargeting, Purpose: string(policy.Transactional),
		Channel: "best", TemplateKey: in.TemplateKey, SKU: in.SKU, Lot: in.Lot, PurchasedFrom: utc(in.PurchasedFrom),
		PurchasedTo: utc(in.PurchasedTo)}
	if inline {
		c.TemplateKey = c.ID // "rcl_..." is a valid template key
	}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		if inline {
			_, err := s.Messages.PutTemplateTx(ctx, tx, shopID, c.TemplateKey, message.TemplateInput{Name: "recall " + in.SKU,
				Purpose: c.Purpose, SubjectJA: in.Subject, BodyJA: in.Body, SMSJA: in.SMS})
			if err != nil {
				return renameFields(err, map[string]string{"subject_ja": "subject", "body_ja": "body", "sms_ja": "sms", "name": "sku"})
			}
		} else if err := s.checkTemplate(ctx, shopID, c.TemplateKey); err != nil {
			return err
		}
		return s.insertCampaign(ctx, tx, shopID, &c)
	})
	return c, err
}

// CreateBroadcast stores a broadcast and its first fan-out job.
func (s *Service) CreateBroadcast(ctx context.Context, shopID string, in BroadcastInput) (Campaign, error) {
	var f errs.Fields
	seg := in.Segment
	n := 0
	if seg.All {
		n++
	}
	if seg.Tag != "" {
		n++
	}
	if seg.Band != "" {
		n++
		if !slices.Contains(customer.Bands, seg.Band) {
			f.Add("segment.band", "one of "+strings.Join(customer.Bands, ", "))
		}
	}
	if n != 1 {
		f.Add("segment", "exactly one of all, tag or band")
	}
	if len(seg.Tag) > 100 {
		f.Add("segment.tag", "at most 100 bytes")
	}
	if in.Purpose != "info" && in.Purpose != "sales" {
		f.Add("purpose", "info or sales")
	}
	if in.Channel == "" {
		in.Channel = "best"
	}
	if !slices.Contains([]string{"best", "line", "sms", "email"}, in.Channel) {
		f.Add("channel", "best, line, sms or email")
	}
	if in.TemplateKey == "" {
		f.Add("template_key", "required")
	}
	if err := f.Err(); err != nil {
		return Campaign{}, err
	}
	if err := s.checkTemplate(ctx, shopID, in.TemplateKey); err != nil {
		return Campaign{}, err
	}
	c := Campaign{ID: id.New("bcs"), Kind: KindBroadcast, Status: StatusTargeting, Purpose: in.Purpose, Channel: in.Channel,
		TemplateKey: in.TemplateKey, Segment: &seg}
	err := s.DB.InTx(ctx, func(tx *db.Tx) error { return s.insertCampaign(ctx, tx, shopID, &c) })
	return c, err
}

// checkTemplate reports an unknown template as a validation error.
func (s *Service) checkTemplate(ctx context.Context, shopID, key string) error {
	_, err := s.Messages.GetTemplate(ctx, shopID, key)
	if errors.Is(err, errs.ErrNotFound) {
		return errs.Invalid("template_key", "no such template")
	}
	return err
}

// insertCampaign stores c and enqueues its first fan-out job.
func (s *Service) insertCampaign(ctx context.Context, tx db.DBTX, shopID string, c *Campaign) error {
	c.CreatedAt = s.Clock.Now().UTC()
	if err := insertCampaignRow(ctx, tx, shopID, *c); err != nil {
		return err
	}
	_, _, err := s.Queue.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: FanoutKind, ShopID: shopID,
		Args: fanoutArgs{CampaignID: c.ID}, UniqueKey: FanoutKind + ":" + c.ID})
	return err
}

// Campaign returns a recall or broadcast of the shop with its counts.
func (s *Service) Campaign(ctx context.Context, shopID, kind, id string) (Campaign, error) {
	c, err := campaignByID(ctx, s.DB, shopID, id)
	if err == nil && c.Kind != kind {
		err = errCampaignNotFound
	}
	if err != nil {
		if errors.Is(err, errCampaignNotFound) {
			return Campaign{}, errs.NotFound(kind+"_not_found", kind+" not found")
		}
		return Campaign{}, err
	}
	targeted := c.Targeted
	if c.Counts, err = campaignCounts(ctx, s.DB, shopID, id); err != nil {
		return Campaign{}, err
	}
	c.Targeted = targeted
	return c.Campaign, nil
}

// workFanout plans the messages of the next batch of a campaign's
// customers in one transaction (multi-row inserts): a message per customer (dedupe key
// <kind>:<campaign>:<customer>, so a repeated batch plans nothing twice),
// its row in campaign_messages, the cursor moved past the batch, and the
// next fan-out job, or the campaign marked done.
func (s *Service) workFanout(ctx context.Context, j *jobs.Job) error {
	var args fanoutArgs
	if err := j.Decode(&args); err != nil {
		return jobs.Cancel(err)
	}
	return s.DB.InTx(ctx, func(tx *db.Tx) error {
		c, err := campaignByID(ctx, tx, j.ShopID, args.CampaignID)
		if errors.Is(err, errCampaignNotFound) || err == nil && c.Status == StatusDone {
			return jobs.CompleteTx(ctx, tx, j)
		}
		if err != nil {
			return err
		}
		ids, err := targets(ctx, tx, j.ShopID, c, s.FanoutBatch)
		if err != nil {
			return err
		}
		ps := make([]message.CreateParams, len(ids))
		for i, cus := range ids {
			ps[i] = message.CreateParams{ShopID: j.ShopID, CustomerID: cus, SKU: c.SKU, TemplateKey: c.TemplateKey,
				Purpose: policy.Purpose(c.Purpose), Channel: c.Channel, DedupeKey: c.Kind + ":" + c.ID + ":" + cus}
		}
		if len(ps) > 0 {
			ms, _, err := s.Messages.CreateManyTx(ctx, tx, ps)
			if err != nil {
				return fmt.Errorf("plan %s messages: %w", c.Kind, err)
			}
			if err := insertCampaignMessages(ctx, tx, j.ShopID, c.ID, ids, ms); err != nil {
				return err
			}
		}
		done := len(ids) < s.FanoutBatch
		cursor := c.Cursor
		if len(ids) > 0 {
			cursor = ids[len(ids)-1]
		}
		if err := advanceCampaign(ctx, tx, j.ShopID, c.ID, cursor, len(ids), done, s.Clock.Now()); err != nil {
			return err
		}
		if done && c.Kind == KindRecall {
			if err := deleteStaged(ctx, tx, j.ShopID, c.ID); err != nil {
				return err
			}
		}
		if err := jobs.CompleteTx(ctx, tx, j); err != nil {
			return err
		}
		if done {
			return nil
		}
		_, _, err = s.Queue.Enqueue(ctx, tx, jobs.EnqueueParams{Kind: FanoutKind, ShopID: j.ShopID,
			Args: fanoutArgs{CampaignID: c.ID}, UniqueKey: FanoutKind + ":" + c.ID})
		return err
	})
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// renameFields renames the fields of a validation error.
func renameFields(err error, names map[string]string) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Fields == nil {
		return err
	}
	out := &errs.Error{Kind: e.Kind, Code: e.Code, Message: e.Message, Fields: map[string]string{}}
	for k, v := range e.Fields {
		if n, ok := names[k]; ok {
			k = n
		}
		out.Fields[k] = v
	}
	return out
}
