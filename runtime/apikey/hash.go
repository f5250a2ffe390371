package apikey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// hashPrefix starts the text form of a Hash, naming the algorithm so that a
// stored record says how its hash was made.
const hashPrefix = "sha256:"

// Hash is the SHA-256 digest of an API key, or its HMAC-SHA256 under a
// server-side pepper (see Hasher). Records hold a Hash, never the key.
//
// Its text form, used by encoding/json, is "sha256:" followed by 64 lowercase
// hex digits. The zero Hash means "no hash" and is never stored.
type Hash [sha256.Size]byte

// HashKey returns the plain SHA-256 hash of key, as a Hasher without pepper
// does.
func HashKey(key string) Hash {
	return plain.Hash(key)
}

// plain is the Hasher behind HashKey and the zero Hasher.
var plain = NewHasher(nil)

// ParseHash parses the text form of a Hash, "sha256:<64 hex digits>".
func ParseHash(s string) (Hash, error) {
	var h Hash
	err := h.UnmarshalText([]byte(s))
	return h, err
}

// String returns the text form, "sha256:<hex>". A hash is not the key, but it
// lets anyone holding it test guesses of an unpeppered key: log the record ID
// instead.
func (h Hash) String() string {
	b, _ := h.MarshalText()
	return string(b)
}

// IsZero reports whether h is the zero Hash, which stands for "not set".
func (h Hash) IsZero() bool {
	return h == Hash{}
}

// Equal reports whether h and other are the same hash, in time that does not
// depend on where they differ.
func (h Hash) Equal(other Hash) bool {
	// As subtle.ConstantTimeCompare, a word at a time: every word is read
	// and the differences are ORed together, with no early exit; only the
	// final answer is compared.
	var diff uint64
	for i := 0; i < len(h); i += 8 {
		diff |= binary.LittleEndian.Uint64(h[i:]) ^ binary.LittleEndian.Uint64(other[i:])
	}
	return diff == 0
}

// MarshalText implements encoding.TextMarshaler: "sha256:<hex>".
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, len(hashPrefix)+hex.EncodedLen(len(h)))
	copy(b, hashPrefix)
	hex.Encode(b[len(hashPrefix):], h[:])
	return b, nil
}

// UnmarshalText implements encoding.TextUnmarshaler. It accepts exactly the
// form MarshalText writes: the "sha256:" prefix and 64 hex digits (either
// case), nothing before or after.
func (h *Hash) UnmarshalText(text []byte) error {
	if len(text) < len(hashPrefix) || string(text[:len(hashPrefix)]) != hashPrefix {
		return errors.New(`apikey: hash must start with "sha256:"`)
	}
	digits := text[len(hashPrefix):]
	if len(digits) != hex.EncodedLen(len(h)) {
		return fmt.Errorf("apikey: hash must have %d hex digits after \"sha256:\", not %d",
			hex.EncodedLen(len(h)), len(digits))
	}
	var out Hash
	if _, err := hex.Decode(out[:], digits); err != nil {
		return fmt.Errorf("apikey: hash is not hex: %w", err)
	}
	*h = out
	return nil
}

// Hasher turns API keys into Hashes: HMAC-SHA256 keyed with a server-side
// pepper, or plain SHA-256 when it has none. With a pepper, a leaked copy of
// the store is useless without the pepper, which lives in the server's
// configuration, not beside the records.
//
// The zero Hasher hashes with plain SHA-256. A Hasher is safe for concurrent
// use; it does not keep the keys it hashes.
type Hasher struct {
	pepperLen int
	pepperID  string
	pool      *sync.Pool // of *scratch; nil for the zero Hasher
}

// pepperIDInput is what a pepper's fingerprint is the HMAC of.
const pepperIDInput = "authgen apikey pepper id"

// maxPooledKeyLength bounds the buffers kept in a Hasher's pool, so that one
// huge key hashed directly does not pin its buffer for good.
const maxPooledKeyLength = 4096

// stackKeyLength is the longest key that plain SHA-256 hashes from a stack
// buffer; longer keys, and peppered hashes, use the pool.
const stackKeyLength = 256

// scratch is the per-call state of a Hasher, pooled so that hashing a key
// does not allocate: a buffer for the key's bytes and, with a pepper, an HMAC
// whose key schedule is computed once.
type scratch struct {
	buf []byte
	mac hash.Hash
	sum [sha256.Size]byte
}

// NewHasher returns a Hasher that computes HMAC-SHA256(pepper, key), or plain
// SHA-256 when pepper is empty. pepper is copied. NewVerifier refuses a
// Hasher whose pepper is shorter than MinPepperLength.
//
// Changing the pepper changes every hash: records made under one pepper are
// not found under another.
func NewHasher(pepper []byte) *Hasher {
	pepper = append([]byte(nil), pepper...)
	h := &Hasher{pepperLen: len(pepper)}
	if len(pepper) > 0 {
		mac := hmac.New(sha256.New, pepper)
		mac.Write([]byte(pepperIDInput))
		h.pepperID = hex.EncodeToString(mac.Sum(nil)[:6])
	}
	h.pool = &sync.Pool{New: func() any {
		s := &scratch{buf: make([]byte, 0, DefaultMaxKeyLength)}
		if len(pepper) > 0 {
			s.mac = hmac.New(sha256.New, pepper)
		}
		return s
	}}
	return h
}

// Peppered reports whether h uses a pepper (HMAC-SHA256) rather than plain
// SHA-256.
func (h *Hasher) Peppered() bool {
	return h != nil && h.pepperLen > 0
}

// PepperID returns a fingerprint of h's pepper, 12 hex digits of an HMAC
// under it, or "" for plain SHA-256. Records carry it (Record.PepperID), so
// that a tool given the wrong pepper, or none, refuses to mix it with the
// records already there instead of minting a key no verifier finds. It
// reveals nothing of the pepper.
func (h *Hasher) PepperID() string {
	if h == nil {
		return ""
	}
	return h.pepperID
}

// Hash returns the hash of key.
func (h *Hasher) Hash(key string) Hash {
	if h == nil || h.pool == nil {
		h = plain
	}
	if h.pepperLen == 0 && len(key) <= stackKeyLength {
		// sha256.Sum256 does not keep its argument, so the key's bytes can
		// live on the stack: no pool round trip, no heap copy of the key.
		var buf [stackKeyLength]byte
		n := copy(buf[:], key)
		out := Hash(sha256.Sum256(buf[:n]))
		clear(buf[:n])
		return out
	}
	s := h.pool.Get().(*scratch)
	s.buf = append(s.buf[:0], key...)
	var out Hash
	if s.mac == nil {
		out = sha256.Sum256(s.buf)
	} else {
		s.mac.Reset()
		s.mac.Write(s.buf)
		copy(out[:], s.mac.Sum(s.sum[:0]))
		clear(s.sum[:])
	}
	clear(s.buf) // do not leave the key in pooled memory
	if cap(s.buf) <= maxPooledKeyLength {
		h.pool.Put(s)
	}
	return out
}

// Record returns a record for key with the given ID, name and scopes, its
// Hash made by h. The key itself is not kept. Set the other fields (times,
// metadata) on the result. scopes is copied.
func (h *Hasher) Record(id, name, key string, scopes ...string) Record {
	return Record{
		ID:       id,
		Name:     name,
		Hash:     h.Hash(key),
		PepperID: h.PepperID(),
		Scopes:   cloneScopes(scopes),
	}
}

// NewRecord is (*Hasher).Record with plain SHA-256, for stores used without a
// pepper.
func NewRecord(id, name, key string, scopes ...string) Record {
	return (*Hasher)(nil).Record(id, name, key, scopes...)
}
