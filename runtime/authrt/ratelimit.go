package authrt

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// RateKey says what a rate limit counts per.
type RateKey uint8

// What x-authgen-rate-limit's "by" names.
const (
	// RateBySubject counts per principal subject (or, without one, per API
	// key ID); anonymous callers count per client address.
	RateBySubject RateKey = iota + 1
	// RateByKey counts per API key ID (or, without one, per subject).
	RateByKey
	// RateByIP counts per client address (see Options.TrustedProxies).
	RateByIP
	// RateByClaim counts per value of the claim named by RateLimitRule.Claim.
	// A caller whose credentials lack the claim counts per subject, else per
	// API key ID, not per client address (a token without the claim would
	// otherwise escape the limit by changing address, and users behind one
	// NAT would share a bucket); only callers with neither, anonymous ones,
	// count per address.
	RateByClaim
)

func (k RateKey) String() string {
	switch k {
	case RateBySubject:
		return "subject"
	case RateByKey:
		return "key"
	case RateByIP:
		return "ip"
	case RateByClaim:
		return "claim"
	}
	return "unknown"
}

// RateLimitRule is a limit declared with x-authgen-rate-limit, applied after
// a request is authorized.
type RateLimitRule struct {
	// Name identifies the bucket: operations sharing a rule declared at the
	// document or path level share its counts. It is the policy name in the
	// RateLimit headers.
	Name string
	// Limit requests per Per, with bursts of up to Burst (Limit when 0).
	Limit int
	Per   time.Duration
	Burst int
	// By and Claim say whose requests are counted together.
	By    RateKey
	Claim string
	// LimitClaim names a numeric claim (a token's or an API key's metadata)
	// that replaces Limit for its holder, e.g. rate_limit_per_minute.
	LimitClaim string
	// FailClosed answers 503 when the rate limiter fails (Redis down);
	// by default the guard falls back to its in-memory limiter, so that an
	// outage does not take the API down.
	FailClosed bool
}

func (r *RateLimitRule) valid() error {
	switch {
	case r.Limit <= 0:
		return fmt.Errorf("rate limit %q: limit must be positive", r.Name)
	case r.Per <= 0:
		return fmt.Errorf("rate limit %q: per must be a positive duration", r.Name)
	case r.Burst < 0:
		return fmt.Errorf("rate limit %q: burst must not be negative", r.Name)
	case r.By < RateBySubject || r.By > RateByClaim:
		return fmt.Errorf("rate limit %q: unknown by", r.Name)
	case r.By == RateByClaim && r.Claim == "":
		return fmt.Errorf("rate limit %q: by claim needs a claim name", r.Name)
	}
	return nil
}

// Limit is one bucket's parameters: Rate requests per Period, with a bucket
// of Burst. It matches github.com/go-redis/redis_rate's Limit, so in-memory
// and Redis limiters count the same way (GCRA).
type Limit struct {
	Rate   int
	Burst  int
	Period time.Duration
}

// RateResult is a limiter's answer for one request.
type RateResult struct {
	Allowed bool
	// Remaining is how many more requests the bucket would allow now.
	Remaining int
	// RetryAfter is how long until a request would be allowed (when not
	// Allowed); ResetAfter how long until the bucket is full again.
	RetryAfter, ResetAfter time.Duration
}

// RateLimiter counts requests per key. Errors mean the limiter itself
// failed (a Redis outage); the guard then applies the rule's failure mode.
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit Limit) (RateResult, error)
}

// MemoryLimiter is an in-memory GCRA rate limiter for one replica. It is
// exact under concurrency, keeps one timestamp per active key, and forgets
// keys whose bucket is full again. It is the guard's default limiter and
// its fallback when a shared limiter fails.
type MemoryLimiter struct {
	seed    maphash.Seed
	now     func() time.Time
	maxKeys int
	shards  [64]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	tat     map[string]int64 // theoretical arrival time, unix ns
	inserts int
}

// NewMemoryLimiter returns an empty limiter. maxKeys bounds memory (keys
// per shard are swept of full buckets, then evicted, past maxKeys/64);
// 0 means 1<<20.
func NewMemoryLimiter(maxKeys int) *MemoryLimiter {
	if maxKeys <= 0 {
		maxKeys = 1 << 20
	}
	l := &MemoryLimiter{seed: maphash.MakeSeed(), now: time.Now, maxKeys: maxKeys}
	for i := range l.shards {
		l.shards[i].tat = map[string]int64{}
	}
	return l
}

// Allow counts one request for key under limit.
func (l *MemoryLimiter) Allow(_ context.Context, key string, limit Limit) (RateResult, error) {
	if limit.Rate <= 0 || limit.Period <= 0 {
		return RateResult{}, fmt.Errorf("authrt: invalid limit %+v", limit)
	}
	burst := limit.Burst
	if burst <= 0 {
		burst = limit.Rate
	}
	interval := int64(limit.Period) / int64(limit.Rate)
	if interval <= 0 {
		interval = 1
	}
	burstOffset := interval * int64(burst)
	now := l.now().UnixNano()

	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	tat, ok := sh.tat[key]
	if !ok || tat < now {
		tat = now
	}
	newTat := tat + interval
	diff := now - (newTat - burstOffset)
	if diff < 0 {
		return RateResult{Allowed: false, RetryAfter: time.Duration(-diff), ResetAfter: time.Duration(tat - now)}, nil
	}
	if !ok {
		sh.inserts++
		if len(sh.tat) >= l.maxKeys/len(l.shards)+1 || sh.inserts >= 4096 {
			sh.sweep(now, l.maxKeys/len(l.shards)+1)
		}
	}
	sh.tat[key] = newTat
	return RateResult{Allowed: true, Remaining: int(diff / interval), ResetAfter: time.Duration(newTat - now)}, nil
}

// sweep forgets keys whose bucket is full again, then, if still over max,
// arbitrary keys (which only makes the limiter more lenient for them).
func (sh *limiterShard) sweep(now int64, max int) {
	sh.inserts = 0
	for k, t := range sh.tat {
		if t <= now {
			delete(sh.tat, k)
		}
	}
	for k := range sh.tat {
		if len(sh.tat) < max {
			break
		}
		delete(sh.tat, k)
	}
}
