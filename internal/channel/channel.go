package channel

import "context"

// PurposeTransactional is the purpose of a message the customer needs
// whatever their marketing consent (a payment reminder, a recall). Every
// other purpose is non-transactional: an email then must carry
// List-Unsubscribe (RFC 8058) and every message must name its sender
// (特定電子メール法).
const PurposeTransactional = "transactional"

// Message is one rendered message to one recipient, as a Sender sees it.
type Message struct {
	ID             string            // message id: the idempotency key
	ShopID         string            // the shop sending it
	To             Recipient         // who receives it; a provider uses the field it needs
	Purpose        string            // transactional, care, info or sales
	Subject        string            // email only
	Text           string            // plain text body (email text part, SMS body, LINE text)
	HTML           string            // email HTML part; empty sends text only
	Headers        map[string]string // extra email headers (e.g. X-Kizukai-Message); never addresses
	UnsubscribeURL string            // one-click opt-out URL; required for non-transactional email
	Sender         Identity          // who sends it, as the law requires it to be shown
}

// Transactional reports whether m is transactional (see PurposeTransactional).
func (m Message) Transactional() bool { return m.Purpose == PurposeTransactional }

// Recipient is the contact points of one customer. Each is personal data.
type Recipient struct {
	Email      string // email address
	Phone      string // E.164, e.g. +819012345678
	LineUserID string // LINE user ID (U + 32 hex digits)
	Name       string // display name; may be empty
}

// Identity names the sender of a message: the shop's legal name, postal
// address and a contact, which 特定電子メール法 requires in every
// non-transactional email and SMS (the rendered body carries them; an
// email provider also uses Name and Email in From and Reply-To).
type Identity struct {
	Name    string // the sender's name as shown in From and in the footer
	Address string // postal address
	Contact string // complaints and inquiries contact (phone or URL)
	Email   string // reply address; may be empty
}

// Receipt is what a provider said when it accepted a message.
type Receipt struct {
	ProviderID string // the provider's id for the message, for status callbacks
	Segments   int    // SMS segments billed; 0 for other channels
}

// Sender sends messages over one channel provider. Implementations are
// safe for concurrent use.
type Sender interface {
	// Name is the provider's stable name ("smtp", "sms_generic", "twilio", "line").
	Name() string
	// Send sends m once. A nil error means the provider accepted it. Errors
	// are classified (see IsRetryable, IsPermanent, IsAmbiguous).
	Send(ctx context.Context, m Message) (Receipt, error)
	// Dedupes reports whether the provider honours m.ID as an idempotency
	// key, so an Ambiguous failure may be retried without a duplicate.
	Dedupes() bool
}
