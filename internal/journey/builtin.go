package journey

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/id"
)

// Built-in journey keys (SPEC §3 C4).
const (
	BuiltinPostPurchase   = "post_purchase_care"
	BuiltinWinBack        = "win_back"
	BuiltinTicketFollowUp = "ticket_follow_up"
	BuiltinDunning        = "dunning"
)

// DunningPausedReason is why the built-in dunning journey is installed paused.
const DunningPausedReason = "督促の段階設定は督促機能とともに提供されます / the dunning ladder arrives with the dunning issue"

// builtin is a journey every shop gets, editable like its own.
type builtin struct {
	key, status, reason string
	def                 string // JSON as in docs/journeys.md
}

// builtins are installed in this order. post_purchase_care is the
// definition shown in docs/journeys.md, step for step: thanks and care at
// once (never an offer), usage help on day 3, the satisfaction check on
// day 14, the replenishment reminder 7 days before the consumable runs out
// (only when the order has one), then one modest related offer, which the
// policy lets through only after enough care; a new order of the same SKU
// ends the run.
var builtins = []builtin{
	{key: BuiltinPostPurchase, status: StatusActive, def: `{"name": "購入後のアフターフォロー",
 "trigger": {"type": "order_placed", "first_order": false, "sku": "", "category": ""},
 "steps": [
   {"id": "thanks",  "type": "send", "template": "care_thanks", "purpose": "care", "channel": "best"},
   {"id": "d3",      "type": "wait", "duration": "72h"},
   {"id": "help",    "type": "send", "template": "care_usage", "purpose": "care"},
   {"id": "d14",     "type": "wait", "duration": "264h"},
   {"id": "survey",  "type": "send", "template": "care_survey", "purpose": "care"},
   {"id": "has_consumable", "type": "branch", "if": {"fact": "order.has_consumable", "op": "eq", "value": true},
                     "then": "until_refill", "else": "offer_wait"},
   {"id": "until_refill", "type": "wait_until", "anchor": "consumption_end", "offset": "-168h"},
   {"id": "refill",  "type": "send", "template": "care_replenish", "purpose": "care", "sku": "consumable"},
   {"id": "offer_wait", "type": "wait", "duration": "72h"},
   {"id": "offer",   "type": "send", "template": "sales_related_offer", "purpose": "sales"},
   {"id": "end",     "type": "exit"}],
 "exit_on": [{"event": "order.placed", "same_sku": true}]}`},
	{key: BuiltinWinBack, status: StatusActive, def: `{"name": "ごぶさたのお声がけ",
 "trigger": {"type": "band_entered", "band": "cooling"},
 "steps": [
   {"id": "checkin", "type": "send", "template": "winback_checkin", "purpose": "care"},
   {"id": "end",     "type": "exit"}],
 "exit_on": [{"event": "order.placed"}]}`},
	{key: BuiltinTicketFollowUp, status: StatusActive, def: `{"name": "お問い合わせ後のフォロー",
 "trigger": {"type": "ticket_resolved"},
 "steps": [
   {"id": "d1",       "type": "wait", "duration": "24h"},
   {"id": "followup", "type": "send", "template": "ticket_followup", "purpose": "care"},
   {"id": "end",      "type": "exit"}]}`},
	{key: BuiltinDunning, status: StatusPaused, reason: DunningPausedReason, def: `{"name": "お支払いのご案内",
 "trigger": {"type": "invoice_overdue"},
 "steps": [
   {"id": "reminder", "type": "send", "template": "dunning_reminder", "purpose": "transactional"},
   {"id": "end",      "type": "exit"}],
 "exit_on": [{"event": "invoice.paid"}]}`},
}

// BuiltinDefinition returns the stock definition of a built-in journey.
func BuiltinDefinition(key string) (Definition, bool) {
	for _, b := range builtins {
		if b.key == key {
			var d Definition
			if err := json.Unmarshal([]byte(b.def), &d); err != nil {
				panic("journey: built-in " + key + " does not parse: " + err.Error()) // programmer error, caught by tests
			}
			return d, true
		}
	}
	return Definition{}, false
}

// EnsureBuiltins installs the built-in journeys and the default message
// templates they use for the shop, in tx. It is idempotent: a built-in the
// shop has (edited or not, active or paused) is left as it is.
func (s *Service) EnsureBuiltins(ctx context.Context, tx db.DBTX, shopID string) error {
	if err := s.Messages.EnsureDefaultTemplates(ctx, tx, shopID); err != nil {
		return err
	}
	now := s.Clock.Now()
	for _, b := range builtins {
		def, _ := BuiltinDefinition(b.key)
		if err := def.Validate(); err != nil {
			return fmt.Errorf("built-in journey %s: %w", b.key, err)
		}
		if _, err := insertJourney(ctx, tx, insertParams{ShopID: shopID, ID: id.New("jny"), BuiltinKey: b.key,
			Status: b.status, PausedReason: b.reason, Def: def, Now: now}); err != nil {
			return err
		}
	}
	return nil
}
