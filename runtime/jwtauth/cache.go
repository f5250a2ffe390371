package jwtauth

import (
	"crypto/sha256"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/authgen/authgen/runtime/authrt"
)

// cacheKey is the SHA-256 of a token's signature segment. An entry also
// keeps the token's signed part (header and claims, which are no
// credential without the signature), and a lookup compares it byte for
// byte: only a token identical to a verified one hits. Hashing the
// signature alone keeps a hit cheap (one SHA-256 block for HS256 instead
// of the whole token), and the cache never holds a usable token.
type cacheKey [sha256.Size]byte

// splitForCache returns the cache key of token and its signed part
// (everything before the last '.'); ok is false for a token without one,
// which is never cached. It hashes without copying: the copy a []byte
// conversion makes would cost an allocation on every request.
func splitForCache(token string) (key cacheKey, signed string, ok bool) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return cacheKey{}, "", false
	}
	sig := token[i+1:]
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(sig), len(sig))), token[:i], true
}

// cacheShards is the number of shards of a cache of at least
// minShardedEntries entries; smaller caches have one.
const (
	cacheShards       = 16
	minShardedEntries = 256
)

// tokenCache maps token hashes to the identities their verification
// produced. It is split in shards, each a map under a read-write lock and a
// ring of its entries that a CLOCK hand sweeps when the shard is full. A hit
// takes a read lock and allocates nothing.
type tokenCache struct {
	shards []cacheShard
	mask   uint8
	ttl    int64 // nanoseconds
}

type cacheShard struct {
	mu    sync.RWMutex
	index map[cacheKey]*cacheEntry
	ring  []*cacheEntry // len(ring) <= size; entry.slot is its index
	size  int
	hand  int
	_     [64]byte // keeps shards on separate cache lines
}

// cacheEntry is immutable once stored, but for used, the CLOCK bit.
type cacheEntry struct {
	key     cacheKey
	signed  string // the token's signed part, compared on every hit
	id      *authrt.Identity
	expires int64  // Unix nanoseconds; the entry is dead from then on
	gen     uint64 // the KeySet that verified the token
	slot    int
	used    atomic.Bool
}

func newTokenCache(entries int, ttl time.Duration) *tokenCache {
	n := 1
	if entries >= minShardedEntries {
		n = cacheShards
	}
	c := &tokenCache{shards: make([]cacheShard, n), mask: uint8(n - 1), ttl: int64(ttl)}
	for i := range c.shards {
		size := entries / n
		if i < entries%n {
			size++
		}
		c.shards[i].size = size
		c.shards[i].index = make(map[cacheKey]*cacheEntry)
	}
	return c
}

func (c *tokenCache) shard(key *cacheKey) *cacheShard {
	return &c.shards[key[0]&c.mask]
}

// get returns the identity cached for key and signed, if its entry is alive
// at now and was verified with the key set of generation gen.
func (c *tokenCache) get(key *cacheKey, signed string, gen uint64, now time.Time) (*authrt.Identity, bool) {
	s := c.shard(key)
	s.mu.RLock()
	e := s.index[*key]
	s.mu.RUnlock()
	if e == nil || e.signed != signed || e.gen != gen || now.UnixNano() >= e.expires {
		return nil, false
	}
	if !e.used.Load() {
		e.used.Store(true)
	}
	return e.id, true
}

// put stores id, just verified at now with the key set of generation gen,
// until the earlier of its expiry and now plus the cache's TTL.
func (c *tokenCache) put(key *cacheKey, signed string, id *authrt.Identity, gen uint64, now time.Time) {
	n := now.UnixNano()
	expires := n + c.ttl
	if expires < n {
		expires = math.MaxInt64
	}
	if !id.ExpiresAt.IsZero() && id.ExpiresAt.Before(time.Unix(0, expires)) {
		expires = id.ExpiresAt.UnixNano()
	}
	if expires <= n {
		return
	}
	e := &cacheEntry{key: *key, signed: strings.Clone(signed), id: id, expires: expires, gen: gen}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch old := s.index[*key]; {
	case old != nil:
		e.slot = old.slot
	case len(s.ring) < s.size:
		e.slot = len(s.ring)
		s.ring = append(s.ring, nil)
	default:
		e.slot = s.evict(n)
	}
	s.ring[e.slot] = e
	s.index[*key] = e
}

// evict frees the slot of a dead entry or of one not used since the hand
// last passed it, clearing the used bits it passes, and returns the slot.
// The caller holds the write lock and the ring is full.
func (s *cacheShard) evict(now int64) int {
	for {
		slot := s.hand
		s.hand = (s.hand + 1) % len(s.ring)
		e := s.ring[slot]
		if e.expires <= now || !e.used.Load() {
			delete(s.index, e.key)
			return slot
		}
		e.used.Store(false)
	}
}

// len returns the number of entries, dead or alive, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.index)
		s.mu.RUnlock()
	}
	return n
}
