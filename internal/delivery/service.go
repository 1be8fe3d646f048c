package delivery

import (
	"context"
	"crypto/x509"
	"log/slog"
	"strings"
	"sync"

	"github.com/kizukai/kizukai/internal/clock"
	"github.com/kizukai/kizukai/internal/customer"
	"github.com/kizukai/kizukai/internal/db"
	"github.com/kizukai/kizukai/internal/errs"
	"github.com/kizukai/kizukai/internal/event"
	"github.com/kizukai/kizukai/internal/jobs"
	"github.com/kizukai/kizukai/internal/message"
	"github.com/kizukai/kizukai/internal/policy"
	"github.com/kizukai/kizukai/internal/ticket"
	"github.com/kizukai/kizukai/internal/token"
)

// Deps are what the delivery service needs.
type Deps struct {
	DB        *db.DB
	Clock     clock.Clock
	Queue     *jobs.Queue
	Events    *event.Recorder
	Customers *customer.Service
	Messages  *message.Service
	Tickets   *ticket.Service
	Policies  *policy.Service
	Signer    *token.Signer
	// SecretKey is the instance secret key; channel secrets are encrypted
	// under a key derived from it (at least 32 bytes).
	SecretKey []byte
	// BaseURL is the public URL of this server: unsubscribe, tracking and
	// status-callback URLs are built on it, and Twilio signatures are
	// checked against it.
	BaseURL string
	// URLs says which provider hosts shops may configure.
	URLs URLPolicy
	Log  *slog.Logger
	// FanoutBatch is how many customers one recall or broadcast job
	// targets per transaction (default 500).
	FanoutBatch int
	// SMTPRootCAs replaces the system roots for SMTP servers (tests with a
	// self-signed server).
	SMTPRootCAs *x509.CertPool
}

// Service is the delivery pipeline: channel settings, the Deliverer the
// message service hands released messages to, the message.send worker,
// status callbacks, and recall and broadcast fan-out.
type Service struct {
	Deps
	sealer *sealer

	mu        sync.Mutex
	senders   map[string]*senderEntry // by shop ID + "/" + channel
	newSender SenderFunc
}

// New returns a Service. It fails only on a secret key shorter than 32
// bytes (a wiring mistake).
func New(d Deps) (*Service, error) {
	sl, err := newSealer(d.SecretKey)
	if err != nil {
		return nil, err
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.FanoutBatch <= 0 {
		d.FanoutBatch = 500
	}
	return &Service{Deps: d, sealer: sl, senders: map[string]*senderEntry{}}, nil
}

// Workers returns the job workers of delivery: message.send and the
// recall/broadcast fan-out.
func (s *Service) Workers() []jobs.Worker {
	return []jobs.Worker{sendWorker{s: s}, jobs.Func(FanoutKind, s.workFanout)}
}

// Channel returns a channel's settings as the API shows them: secrets
// only as whether they are set. A channel never configured shows
// configured false (its messages go to the outbox).
func (s *Service) Channel(ctx context.Context, shopID, ch string) (View, error) {
	if _, ok := providersOf[ch]; !ok {
		return View{}, errs.NotFound("channel_not_found", "channels are email, sms and line")
	}
	all, err := s.loadSettings(ctx, s.DB, shopID)
	if err != nil {
		return View{}, err
	}
	st, ok := all[ch]
	if !ok {
		return View{Channel: ch, Provider: providersOf[ch][0], RatePerSecond: defaultRate[providersOf[ch][0]],
			WebhookPath: s.webhookPath(shopID, ch, providersOf[ch][0])}, nil
	}
	v := st.view()
	v.WebhookPath = s.webhookPath(shopID, ch, st.Provider)
	return v, nil
}

// webhookPath is where the channel's provider posts back, if anywhere.
func (s *Service) webhookPath(shopID, ch, provider string) string {
	switch {
	case ch == "sms" && provider == ProviderGeneric:
		return "/hooks/sms/generic/" + shopID
	case ch == "sms" && provider == ProviderTwilio:
		return "/hooks/sms/twilio/" + shopID
	case ch == "line":
		return "/hooks/line/" + shopID
	}
	return ""
}

// PutChannel validates and stores a channel's settings (see Input). A
// secret left out keeps the stored one; nothing is stored when any field
// is invalid.
func (s *Service) PutChannel(ctx context.Context, shopID, ch string, in Input) (View, error) {
	var st Settings
	err := s.DB.InTx(ctx, func(tx *db.Tx) error {
		all, err := s.loadSettings(ctx, tx, shopID)
		if err != nil {
			return err
		}
		if st, err = s.URLs.merge(ctx, shopID, ch, in, all[ch]); err != nil {
			return err
		}
		st.UpdatedAt = s.Clock.Now().UTC()
		return s.storeSettings(ctx, tx, &st)
	})
	if err != nil {
		return View{}, err
	}
	v := st.view()
	v.WebhookPath = s.webhookPath(shopID, ch, st.Provider)
	return v, nil
}

// settingsFor returns one channel's settings of a shop, read in d.
func (s *Service) settingsFor(ctx context.Context, d db.DBTX, shopID, ch string) (Settings, bool, error) {
	all, err := s.loadSettings(ctx, d, shopID)
	if err != nil {
		return Settings{}, false, err
	}
	st, ok := all[ch]
	return st, ok, nil
}

// LineSecret returns the shop's LINE channel secret ("" when LINE is not
// configured), for the webhook's signature check.
func (s *Service) LineSecret(ctx context.Context, shopID string) (string, error) {
	st, ok, err := s.settingsFor(ctx, s.DB, shopID, "line")
	if err != nil || !ok {
		return "", err
	}
	return st.ChannelSecret, nil
}

// SMSSecrets returns the shop's SMS provider and its callback key: the
// generic gateway's secret or Twilio's auth token ("" when SMS is not
// configured).
func (s *Service) SMSSecrets(ctx context.Context, shopID string) (provider, key string, err error) {
	st, ok, err := s.settingsFor(ctx, s.DB, shopID, "sms")
	if err != nil || !ok {
		return "", "", err
	}
	if st.Provider == ProviderTwilio {
		return st.Provider, st.AuthToken, nil
	}
	return st.Provider, st.Secret, nil
}
