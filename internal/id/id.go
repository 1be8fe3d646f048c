// Package id makes identifiers and secrets.
//
// Object IDs are opaque strings such as "cus_01jd8x3k6q0v4m7n9p2r5t8w1y": a
// type prefix and 128 bits, the first 48 of which are a millisecond
// timestamp, so IDs sort in creation order and serve as keyset cursors. The
// timestamp is taken from the system clock on purpose: it orders rows, it is
// not a domain time. Secrets (API keys, token keys) are 256 random bits.
// The package imports nothing from the project.
package id

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// Crockford's base32 alphabet, lower case: no i, l, o or u to misread.
var enc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

var (
	mu     sync.Mutex
	lastMS uint64
	lastLo uint64 // low 64 bits of the last ID, to keep IDs of one millisecond increasing
	lastMi uint16
)

// New returns a new ID with the given prefix, e.g. New("cus").
func New(prefix string) string {
	ms := uint64(time.Now().UnixMilli())
	var r [10]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic("id: crypto/rand failed: " + err.Error()) // never happens on supported systems
	}
	mid := binary.BigEndian.Uint16(r[:2])
	lo := binary.BigEndian.Uint64(r[2:])

	mu.Lock()
	if ms <= lastMS {
		// Same millisecond (or the system clock stepped back): continue from
		// the last ID so that IDs made by this process never go down.
		ms = lastMS
		mid, lo = lastMi, lastLo+1
		if lo == 0 {
			mid++
		}
	}
	lastMS, lastMi, lastLo = ms, mid, lo
	mu.Unlock()

	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], ms<<16|uint64(mid))
	binary.BigEndian.PutUint64(b[8:16], lo)
	return prefix + "_" + enc.EncodeToString(b[:])
}

// HasPrefix reports whether s looks like an ID made by New(prefix).
func HasPrefix(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	return ok && len(rest) == 26
}

// Secret returns n random bytes.
func Secret(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("id: crypto/rand failed: " + err.Error())
	}
	return b
}

// Token returns a random string of 256 bits, URL-safe, with a prefix
// (for API keys such as "kz_live_...").
func Token(prefix string) string {
	return prefix + enc.EncodeToString(Secret(32))
}
