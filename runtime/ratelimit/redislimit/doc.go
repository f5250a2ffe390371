// Package redislimit is an authrt.RateLimiter backed by Redis, for a fleet
// of replicas that must share one count per key: the limit holds for the
// fleet, not for each replica.
//
// It runs github.com/go-redis/redis_rate's GCRA script, one round trip per
// request, so it counts exactly as authrt.MemoryLimiter does: the same
// Limit gives the same sequence of allowed requests and Remaining values
// (once Remaining is corrected for redis_rate's floating-point rounding,
// which the Limiter does). Redis's clock is the only clock, so replicas'
// clocks need not agree.
//
// Each call is bounded by a timeout (WithTimeout, default 100 ms), whatever
// the client's own timeouts: a slow or unreachable Redis costs a request at
// most that long. Any failure to get an answer is returned as an error
// wrapping authrt.ErrUnavailable and the cause (the client's error, or
// context.DeadlineExceeded for the timeout); the guard then applies the
// rule's failure mode (fall back to its in-memory limiter, or answer 503).
// When the caller's own context ends first, the error wraps only its error.
// A call that timed out may still have been counted by Redis. While Redis is down every call may take the whole
// timeout: go-redis retries dialing (DialerRetries, 100 ms apart) and only
// fails fast once PoolSize dials in a row have failed.
//
// Build the client with ContextTimeoutEnabled: true. Without it go-redis
// ignores the context's deadline on its sockets, so the Limiter has to run
// each call in a goroutine it can stop waiting for: in BenchmarkAllow, on
// a busy 2-CPU machine, that made calls up to twice as slow.
//
// Keys are "rate:" (added by redis_rate) + the prefix (WithKeyPrefix,
// default "authgen:rl:") + the first 128 bits of the SHA-256 of the key
// given to Allow, base64url-encoded: 22 characters whatever the key, so a
// caller-chosen key (a subject, a claim) can neither leave the prefix, nor
// collide with another, nor grow Redis's memory, and never appears in Redis
// in clear. A key expires once its bucket is full again.
//
// Usage, with one client shared by the application:
//
//	client := redis.NewClient(&redis.Options{Addr: "redis:6379", ContextTimeoutEnabled: true})
//	limiter, err := redislimit.New(client,
//		redislimit.WithKeyPrefix("myapi:rl:"),
//		redislimit.WithTimeout(50*time.Millisecond))
//	if err != nil {
//		log.Fatal(err)
//	}
//	res, err := limiter.Allow(ctx, "chat:alice", authrt.Limit{Rate: 60, Burst: 10, Period: time.Minute})
//	switch {
//	case errors.Is(err, authrt.ErrUnavailable):
//		// Redis is down or slow: fall back, or answer 503.
//	case err != nil:
//		// A bad Limit, or ctx ended.
//	case !res.Allowed:
//		// Answer 429 with Retry-After: res.RetryAfter.
//	}
//
// The client may be a *redis.Client, *redis.ClusterClient (each key is one
// slot) or *redis.Ring; the Limiter does not own it and never closes it.
package redislimit
