package jwtauth

import (
	"fmt"
	"time"
)

// RevocationList tells whether a token has been revoked, by its jti. Package
// revoke has an in-memory list, and package revoke/revokeredis one shared by
// every replica through Redis.
type RevocationList interface {
	// Revoked reports whether the token whose jti is given is revoked. It is
	// called after the signature and claims are checked, and on every hit
	// of the verified-token cache, so it must answer from memory, quickly
	// and without blocking. An error means the list cannot tell (a replica
	// that lost its Redis); it should wrap authrt.ErrUnavailable, and the
	// token is refused with it (503), never accepted.
	Revoked(jti string) (bool, error)
}

// GracefulList is a RevocationList that says how long it keeps an entry
// after the token's exp (revoke.Memory and revokeredis.List do). New and
// NewFromSource refuse a leeway longer than that grace: the Verifier would
// accept a revoked token again between the moment its entry is dropped and
// its exp plus the leeway.
type GracefulList interface {
	RevocationList
	Grace() time.Duration
}

// WithRevocation checks the jti of every token against list, after the
// signature and claims, and on every cache hit. A token whose jti is listed
// is refused with ErrTokenRevoked. A token without jti cannot be revoked and
// is not looked up.
//
// The list must keep an entry until the token's exp plus this Verifier's
// leeway has passed. When it is a GracefulList, New and NewFromSource check
// that, and fail with ErrInvalidOption when the leeway (WithLeeway) exceeds
// its grace.
func WithRevocation(list RevocationList) Option {
	return func(c *config) error {
		if list == nil {
			return fmt.Errorf("%w: nil RevocationList", ErrInvalidOption)
		}
		c.revocation = list
		return nil
	}
}

// Limits of WithCache.
const (
	// MaxCacheEntries is the largest cache WithCache accepts.
	MaxCacheEntries = 1 << 24
)

// WithCache keeps the result of up to maxEntries verified tokens, so that a
// client sending the same token again (a chat client sends it with every
// message) is authenticated without decoding it or checking its signature
// again.
//
// Entries are found by the SHA-256 of the token's signature and hold its
// signed part (header and claims), compared byte for byte: only a token
// identical to one whose signature and claims were fully verified can hit,
// and the cache holds no usable token. An entry is dropped at the token's exp (not exp plus
// leeway) or maxTTL after it was verified, whichever comes first, and is
// not used after the key source has replaced its keys (a key removed from a
// JWK Set stops being accepted at once). The revocation list, if any, is
// asked on every hit. When the cache is full, a CLOCK policy evicts entries
// not used since the hand last passed.
//
// The cached Identity is shared by every request that presents the token:
// handlers must not modify it (nor the Principal's slices and maps built
// from it). Memory is about maxEntries times the size of a decoded token.
func WithCache(maxEntries int, maxTTL time.Duration) Option {
	return func(c *config) error {
		if maxEntries < 1 || maxEntries > MaxCacheEntries {
			return fmt.Errorf("%w: cache of %d entries (want 1 to %d)", ErrInvalidOption, maxEntries, MaxCacheEntries)
		}
		if maxTTL <= 0 {
			return fmt.Errorf("%w: cache TTL %v (want > 0)", ErrInvalidOption, maxTTL)
		}
		c.cacheSize, c.cacheTTL = maxEntries, maxTTL
		return nil
	}
}

// checkGrace refuses a leeway longer than the revocation list keeps its
// entries, whatever the order of the options.
func (c *config) checkGrace() error {
	gl, ok := c.revocation.(GracefulList)
	if !ok {
		return nil
	}
	if g := gl.Grace(); c.leeway > g {
		return fmt.Errorf("%w: leeway %v exceeds the revocation list's grace %v: a revoked token would be accepted again from its exp plus %v, when its entry is dropped, to its exp plus %v; lower the leeway or raise the list's grace (revoke.WithGrace)",
			ErrInvalidOption, c.leeway, g, g, c.leeway)
	}
	return nil
}
