// Package token makes and checks the signed tokens of public URLs.
//
// A token names one shop, one object and one purpose (a receipt token cannot
// unsubscribe anyone), may expire, and carries a 128-bit HMAC-SHA256 tag made
// with a key derived per shop from the instance's secret key. Nothing is
// stored: the tag is the proof. Tokens hold IDs only, never personal data.
// The package imports nothing from the project.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// Purpose says what a token may be used for.
type Purpose byte

// Purposes of public tokens. Never renumber: issued tokens carry them.
const (
	Receipt     Purpose = 'r'
	Survey      Purpose = 's'
	Preferences Purpose = 'p'
	Unsubscribe Purpose = 'u'
	Ack         Purpose = 'a'
	Click       Purpose = 'k'
	Coupon      Purpose = 'c'
	Open        Purpose = 'o'
)

const (
	version = 1
	tagLen  = 16 // 128 bits
	maxID   = 64
)

// ErrInvalid is returned for every token that is malformed, forged, of
// another purpose or expired: callers show one friendly "not found" page.
var ErrInvalid = errors.New("invalid token")

// Claims is what a token says.
type Claims struct {
	Purpose  Purpose
	ShopID   string
	ObjectID string
	Expires  time.Time // zero: never
}

// Signer makes and checks tokens with the instance's secret key.
type Signer struct {
	secret []byte
}

// NewSigner returns a Signer; secret must hold at least 32 bytes.
func NewSigner(secret []byte) (*Signer, error) {
	if len(secret) < 32 {
		return nil, errors.New("token secret must be at least 32 bytes")
	}
	return &Signer{secret: append([]byte(nil), secret...)}, nil
}

func (s *Signer) shopKey(shopID string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("kizukai/token/v1/shop/" + shopID))
	return m.Sum(nil)
}

var b64 = base64.RawURLEncoding

// Sign returns a URL-safe token for c.
func (s *Signer) Sign(c Claims) (string, error) {
	if len(c.ShopID) == 0 || len(c.ShopID) > maxID || len(c.ObjectID) == 0 || len(c.ObjectID) > maxID {
		return "", errors.New("token: shop and object IDs must be 1 to 64 bytes")
	}
	var exp uint64
	if !c.Expires.IsZero() {
		exp = uint64(c.Expires.Unix())
	}
	p := make([]byte, 0, 3+binary.MaxVarintLen64+len(c.ShopID)+len(c.ObjectID))
	p = append(p, version, byte(c.Purpose))
	p = binary.AppendUvarint(p, exp)
	p = append(p, byte(len(c.ShopID)))
	p = append(p, c.ShopID...)
	p = append(p, c.ObjectID...)
	m := hmac.New(sha256.New, s.shopKey(c.ShopID))
	m.Write(p)
	return b64.EncodeToString(p) + "." + b64.EncodeToString(m.Sum(nil)[:tagLen]), nil
}

// Verify checks tok for the wanted purpose at time now and returns its claims.
func (s *Signer) Verify(tok string, want Purpose, now time.Time) (Claims, error) {
	if len(tok) > 400 {
		return Claims{}, ErrInvalid
	}
	payload, tag, ok := strings.Cut(tok, ".")
	if !ok {
		return Claims{}, ErrInvalid
	}
	p, err := b64.DecodeString(payload)
	if err != nil || len(p) < 4 || p[0] != version || Purpose(p[1]) != want {
		return Claims{}, ErrInvalid
	}
	t, err := b64.DecodeString(tag)
	if err != nil || len(t) != tagLen {
		return Claims{}, ErrInvalid
	}
	exp, n := binary.Uvarint(p[2:])
	if n <= 0 {
		return Claims{}, ErrInvalid
	}
	rest := p[2+n:]
	if len(rest) < 1 || int(rest[0]) == 0 || int(rest[0]) > maxID || len(rest) < 1+int(rest[0])+1 {
		return Claims{}, ErrInvalid
	}
	c := Claims{Purpose: want, ShopID: string(rest[1 : 1+rest[0]]), ObjectID: string(rest[1+rest[0]:])}
	if len(c.ObjectID) > maxID {
		return Claims{}, ErrInvalid
	}
	m := hmac.New(sha256.New, s.shopKey(c.ShopID))
	m.Write(p)
	if !hmac.Equal(m.Sum(nil)[:tagLen], t) {
		return Claims{}, ErrInvalid
	}
	if exp != 0 {
		c.Expires = time.Unix(int64(exp), 0).UTC()
		if !now.Before(c.Expires) {
			return Claims{}, ErrInvalid
		}
	}
	return c, nil
}
