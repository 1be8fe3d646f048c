package delivery

import (
	"context"
	"fmt"

	"golang.org/x/time/rate"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/channel/email"
	"github.com/kizukai/kizukai/internal/channel/line"
	"github.com/kizukai/kizukai/internal/channel/sms"
)

// senderEntry is a provider client built from one version of a shop's
// channel settings, with its rate limiter. Kept per node: an SMTP client
// holds open connections, and the limiter must outlive one message.
type senderEntry struct {
	version int64
	sender  channel.Sender
	limiter *rate.Limiter
}

// closer is a sender holding connections (email.Client).
type closer interface{ Close() error }

// SenderFunc builds the sender of a channel's settings; tests replace the
// providers with channeltest.Recorder through Service.SetSenderFunc.
type SenderFunc func(st Settings) (channel.Sender, error)

// SetSenderFunc replaces how senders are built (tests only).
func (s *Service) SetSenderFunc(f SenderFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newSender = f
	s.senders = map[string]*senderEntry{}
}

// buildSender makes the provider client of st.
func (s *Service) buildSender(st Settings) (channel.Sender, error) {
	switch st.Provider {
	case ProviderSMTP:
		return email.New(email.Config{SMTPURL: st.smtpURL(), From: st.From, StartTLS: st.StartTLS, Clock: s.Clock,
			RootCAs: s.SMTPRootCAs})
	case ProviderGeneric:
		return sms.NewGeneric(sms.GenericConfig{URL: st.URL, From: st.SenderID, Secret: []byte(st.Secret)})
	case ProviderTwilio:
		cb := ""
		if s.BaseURL != "" {
			cb = s.BaseURL + "/hooks/sms/twilio/" + st.ShopID
		}
		return sms.NewTwilio(sms.TwilioConfig{BaseURL: st.BaseURL, AccountSID: st.AccountSID, AuthToken: st.AuthToken,
			From: st.From, StatusCallback: cb})
	case ProviderLINE:
		return line.New(line.Config{ChannelAccessToken: st.ChannelToken, ChannelSecret: st.ChannelSecret, Endpoint: st.Endpoint})
	}
	return nil, fmt.Errorf("provider %q unknown", st.Provider)
}

// sender returns the cached sender and limiter of st, rebuilding them when
// the settings changed since.
func (s *Service) sender(st Settings) (*senderEntry, error) {
	key := st.ShopID + "/" + st.Channel
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.senders[key]; ok && e.version == st.Version {
		return e, nil
	}
	build := s.newSender
	if build == nil {
		build = s.buildSender
	}
	snd, err := build(st)
	if err != nil {
		return nil, channel.Permanent(fmt.Errorf("channel %s settings: %w", st.Channel, err))
	}
	if old, ok := s.senders[key]; ok {
		if c, ok := old.sender.(closer); ok {
			_ = c.Close()
		}
	}
	burst := max(1, int(st.RatePerSecond))
	e := &senderEntry{version: st.Version, sender: snd, limiter: rate.NewLimiter(rate.Limit(st.RatePerSecond), burst)}
	s.senders[key] = e
	return e, nil
}

// Close closes the providers' idle connections (SMTP).
func (s *Service) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.senders {
		if c, ok := e.sender.(closer); ok {
			_ = c.Close()
		}
		delete(s.senders, k)
	}
}

// wait blocks until the provider's rate allows one more message.
func (e *senderEntry) wait(ctx context.Context) error {
	if err := e.limiter.Wait(ctx); err != nil {
		return channel.Retryable(fmt.Errorf("rate limit wait: %w", err))
	}
	return nil
}
