package jwtauth

import (
	"context"
	"fmt"
	"sync/atomic"
)

// KeySet is an immutable set of checked verification keys. NewKeySet builds
// one; a KeySource hands the current one to the Verifier on every
// verification. A KeySet never changes after it is built, so a source that
// learns new keys builds a new KeySet and swaps it in.
type KeySet struct {
	keys []verifyKey
	byID map[string]int // kid to index in keys
	algs algSet         // union of the keys' algorithms
	gen  uint64         // unique per set; cached results name the set they were verified with
}

// keySetGen numbers key sets, so that each KeySet has its own generation.
var keySetGen atomic.Uint64

// NewKeySet checks keys and returns them as a KeySet. It fails, with an
// error wrapping ErrNoKeys, ErrInvalidKey, ErrWeakKey, ErrUnknownAlgorithm,
// ErrAlgorithmMismatch or ErrDuplicateKeyID, for the same reasons New does.
func NewKeySet(keys []Key) (*KeySet, error) {
	return newKeySet(keys, 0, false)
}

// newKeySet checks keys, keeping of each only the algorithms in allowed when
// restrict is set (and dropping keys left with none).
func newKeySet(keys []Key, allowed algSet, restrict bool) (*KeySet, error) {
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	s := &KeySet{byID: make(map[string]int), gen: keySetGen.Add(1)}
	for i, k := range keys {
		vk, err := prepareKey(k)
		if err != nil {
			return nil, fmt.Errorf("key %d%s: %w", i, keyName(k.ID), err)
		}
		if restrict {
			vk.algs &= allowed
			if vk.algs == 0 {
				continue // this key verifies none of the allowed algorithms
			}
		}
		if vk.id != "" {
			if _, dup := s.byID[vk.id]; dup {
				return nil, fmt.Errorf("%w: %q", ErrDuplicateKeyID, vk.id)
			}
			s.byID[vk.id] = len(s.keys)
		}
		s.keys = append(s.keys, vk)
		s.algs |= vk.algs
	}
	if len(s.keys) == 0 {
		return nil, fmt.Errorf("%w: no key allows %s", ErrNoKeys, allowed.names())
	}
	return s, nil
}

// Len returns the number of keys in the set.
func (s *KeySet) Len() int { return len(s.keys) }

// HasKeyID reports whether the set holds a key whose ID is kid.
func (s *KeySet) HasKeyID(kid string) bool {
	_, ok := s.byID[kid]
	return ok
}

// KeySource supplies the keys a Verifier checks signatures with, when they
// can change while the server runs: a JWK Set fetched from an identity
// provider (package jwks) is one. NewFromSource takes a KeySource; New uses
// a fixed KeySet.
//
// Both methods are called on the request path and must be safe for
// concurrent use.
type KeySource interface {
	// Keys returns the keys to verify with now. It must answer from memory
	// without blocking. An error means no key can be trusted at the moment
	// (the keys were never fetched, or are older than the source allows);
	// it should wrap authrt.ErrUnavailable, and the request is refused with
	// 503.
	Keys() (*KeySet, error)
	// KeysFor is called when a token names a kid that the set Keys returned
	// lacks, as happens just after the provider rotated its keys. It may
	// fetch the keys again, subject to its own rate limit, waiting at most
	// until ctx is done, and returns the set to use: a newer one, or the
	// current one when no fetch was allowed or it failed.
	KeysFor(ctx context.Context, kid string) *KeySet
}

// staticSource is the KeySource of a Verifier built by New.
type staticSource struct{ set *KeySet }

func (s staticSource) Keys() (*KeySet, error)                  { return s.set, nil }
func (s staticSource) KeysFor(context.Context, string) *KeySet { return s.set }
