package redisstore

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/authgen/authgen/runtime/apikey"
)

// cacheShards spreads the cache over several locks, so that lookups on many
// cores do not all share one read lock's cache line.
const cacheShards = 16

// cache holds the records this replica looked up recently, by hash. Absent
// keys are not cached: a new key is found on its first use.
type cache struct {
	shards      [cacheShards]shard
	maxPerShard int
	// changes counts the invalidations of the keys of each slot (a hash
	// picks one), cached or not: a fetch that began before one must not
	// cache what it read (the change may be a revocation it did not see).
	// Slots are many, so that changes to other keys rarely drop a fetch.
	changes [changeSlots]atomic.Uint64
}

// changeSlots is the number of invalidation counters.
const changeSlots = 1024

func changeSlot(h apikey.Hash) int { return int(binary.BigEndian.Uint16(h[2:4]) % changeSlots) }

type shard struct {
	mu      sync.RWMutex
	entries map[apikey.Hash]*entry
}

// entry is one cached record. Its state is replaced, never changed, so a
// lookup reads it with one atomic load.
type entry struct {
	state      atomic.Pointer[state]
	refreshing atomic.Bool // a background refresh is running
}

// state is what the replica knows about one key.
type state struct {
	rec     *apikey.Record
	fetched int64 // when Redis last confirmed rec (Unix nanoseconds)
	// fresh: rec may be served without asking Redis while younger than
	// the maximum age. Cleared when a change may have been missed.
	fresh bool
	// stale: rec may be served while Redis is down, while younger than the
	// stale limit. Cleared when the record changed and its new version
	// could not be read.
	stale bool
	// gen counts invalidations, so that a fetch that started before one
	// does not store what it read over it.
	gen uint64
}

func newCache(maxEntries int) *cache {
	c := &cache{maxPerShard: max(1, maxEntries/cacheShards)}
	for i := range c.shards {
		c.shards[i].entries = map[apikey.Hash]*entry{}
	}
	return c
}

func (c *cache) shard(h apikey.Hash) *shard { return &c.shards[h[0]%cacheShards] }

// get returns the entry for h, or nil.
func (c *cache) get(h apikey.Hash) *entry {
	s := c.shard(h)
	s.mu.RLock()
	e := s.entries[h]
	s.mu.RUnlock()
	return e
}

// ticket returns what put needs to know whether h was invalidated since:
// take it before fetching.
func (c *cache) ticket(h apikey.Hash) uint64 { return c.changes[changeSlot(h)].Load() }

// put records that Redis returned rec for h at fetched, unless an
// invalidation came after the fetch began: ticket is c.ticket(h) from
// before the fetch, seen the entry's state then (nil for a new entry).
func (c *cache) put(h apikey.Hash, e *entry, seen *state, rec *apikey.Record, fetched int64, ticket uint64) {
	s := c.shard(h)
	if e == nil {
		s.mu.Lock()
		if c.ticket(h) != ticket {
			// Invalidated while fetching, before it was cached: what was
			// read may predate the change. The next lookup asks again.
			s.mu.Unlock()
			return
		}
		if e = s.entries[h]; e == nil {
			if len(s.entries) >= c.maxPerShard {
				for k := range s.entries { // full: drop one, at random
					delete(s.entries, k)
					break
				}
			}
			e = &entry{}
			e.state.Store(&state{rec: rec, fetched: fetched, fresh: true, stale: true})
			s.entries[h] = e
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		seen = e.state.Load() // raced with another fetch of the same version
	}
	next := &state{rec: rec, fetched: fetched, fresh: true, stale: true}
	for {
		cur := e.state.Load()
		if c.ticket(h) != ticket || seen != nil && cur.gen != seen.gen {
			return // invalidated while fetching: the next lookup asks again
		}
		next.gen = cur.gen
		if e.state.CompareAndSwap(cur, next) {
			return
		}
	}
}

// remove forgets h (Redis no longer has it).
func (c *cache) remove(h apikey.Hash) {
	s := c.shard(h)
	s.mu.Lock()
	delete(s.entries, h)
	s.mu.Unlock()
}

// invalidate makes the next lookup of h ask Redis, its record having
// changed, and returns its entry (nil if h is not cached) and the state
// after the change. The cached record is no longer served stale either:
// the change may be a revocation, and until Redis is read again it is not
// known what it was.
func (c *cache) invalidate(h apikey.Hash) (*entry, *state) {
	c.changes[changeSlot(h)].Add(1) // first: a fetch under way must not cache
	e := c.get(h)
	if e == nil {
		return nil, nil
	}
	return e, e.update(func(st *state) { st.fresh, st.stale = false, false })
}

// invalidateAll makes the next lookup of every key ask Redis, after
// invalidations may have been missed. Entries may still be served stale.
func (c *cache) invalidateAll() {
	for i := range c.changes {
		c.changes[i].Add(1)
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		for _, e := range s.entries {
			e.update(func(st *state) { st.fresh = false })
		}
		s.mu.RUnlock()
	}
}

// update replaces e's state by a changed copy with the next generation,
// and returns the copy.
func (e *entry) update(change func(*state)) *state {
	for {
		cur := e.state.Load()
		next := *cur
		change(&next)
		next.gen++
		if e.state.CompareAndSwap(cur, &next) {
			return &next
		}
	}
}
