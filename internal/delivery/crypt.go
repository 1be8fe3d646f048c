package delivery

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealer encrypts provider secrets at rest with AES-256-GCM. The key is
// derived from the instance secret key (HMAC-SHA256 with a fixed label), so
// it differs from the token-signing keys made from the same secret. The
// additional data binds a sealed value to its shop and channel: a row
// copied to another shop does not open.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(secret []byte) (*sealer, error) {
	if len(secret) < 32 {
		return nil, errors.New("delivery: the secret key must be at least 32 bytes")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("kizukai/channel-settings/v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, fmt.Errorf("delivery: cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("delivery: gcm: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func aad(shopID, channel string) []byte { return []byte("kizukai/channel/" + shopID + "/" + channel) }

// seal returns base64(nonce || ciphertext) of plain.
func (s *sealer) seal(shopID, channel string, plain []byte) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("delivery: nonce: %w", err)
	}
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, aad(shopID, channel))), nil
}

// errSealed is returned for a sealed value that does not open: another
// instance secret key, or a value tampered with or copied.
var errSealed = errors.New("delivery: stored channel secrets do not decrypt with this instance's secret key")

// open reverses seal.
func (s *sealer) open(shopID, channel, sealed string) ([]byte, error) {
	if sealed == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return nil, errSealed
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], aad(shopID, channel))
	if err != nil {
		return nil, errSealed
	}
	return plain, nil
}
