package redislimit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/authrt"
)

// Limiter is an authrt.RateLimiter whose counts live in Redis, shared by
// every Limiter with the same key prefix on the same Redis. It is safe for
// concurrent use.
type Limiter struct {
	rl      *redis_rate.Limiter
	prefix  string
	timeout time.Duration
	direct  bool // the client honours context deadlines: no goroutine per call
}

var _ authrt.RateLimiter = (*Limiter)(nil)

// New returns a Limiter over client, which it does not own. It does not
// need Redis to be up: Allow fails with authrt.ErrUnavailable until it is.
// It fails on a nil client or a bad option.
//
// Build the client with ContextTimeoutEnabled: true if you can: Allow then
// calls Redis directly under its deadline. Otherwise go-redis would not
// stop at the deadline, so each call runs in a goroutine that Allow stops
// waiting for, which costs a little allocation and a goroutine handoff.
func New(client redis.UniversalClient, opts ...Option) (*Limiter, error) {
	o := options{prefix: DefaultKeyPrefix, timeout: DefaultTimeout}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("redislimit: nil Option")
		}
		opt(&o)
	}
	var errs []error
	if isNil(client) {
		errs = append(errs, errors.New("redislimit: nil Redis client"))
	}
	if err := o.valid(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Limiter{
		rl:      redis_rate.NewLimiter(client),
		prefix:  o.prefix,
		timeout: o.timeout,
		direct:  honoursDeadlines(client),
	}, nil
}

// Allow counts one request for key under limit, in Redis. A Burst of 0
// means Rate, as for authrt.MemoryLimiter, and Remaining is exact as there
// (see the package documentation). An error wraps
// authrt.ErrUnavailable when Redis did not answer in time or failed, with
// the cause; it wraps only the context's error when ctx ended first; and it
// wraps neither for a limit without a positive Rate and Period.
func (l *Limiter) Allow(ctx context.Context, key string, limit authrt.Limit) (authrt.RateResult, error) {
	if limit.Rate <= 0 || limit.Period <= 0 || limit.Burst < 0 {
		return authrt.RateResult{}, fmt.Errorf("redislimit: invalid limit %+v", limit)
	}
	rl := redis_rate.Limit{Rate: limit.Rate, Burst: limit.Burst, Period: limit.Period}
	if rl.Burst == 0 {
		rl.Burst = limit.Rate // redis_rate would allow nothing
	}
	res, err := l.call(ctx, l.redisKey(key), rl)
	if err != nil {
		return authrt.RateResult{}, err
	}
	return result(res, rl), nil
}

// result maps redis_rate's answer to authrt's. redis_rate computes in
// float seconds since 2017, whose rounding (about 0.1 µs) can truncate
// Remaining to one less than the exact count: Rate 100 per minute gives 98
// on a full bucket. Remaining is therefore recomputed from ResetAfter,
// which redis_rate returns with 14 digits (Remaining = Burst -
// ResetAfter/interval), ignoring less than half a microsecond, below
// Redis's clock resolution; the correction is at most one.
func result(res *redis_rate.Result, limit redis_rate.Limit) authrt.RateResult {
	out := authrt.RateResult{
		Allowed:    res.Allowed > 0,
		ResetAfter: max(res.ResetAfter, 0),
	}
	if !out.Allowed {
		out.RetryAfter = max(res.RetryAfter, 0)
		return out
	}
	// RetryAfter is -1 when allowed: leave it 0.
	interval := limit.Period.Seconds() / float64(limit.Rate)
	exact := float64(limit.Burst) - (out.ResetAfter.Seconds()-0.5e-6)/interval
	out.Remaining = min(max(int(math.Floor(exact)), res.Remaining), res.Remaining+1, limit.Burst-1)
	return out
}

// call runs the script within l.timeout. go-redis bounds its socket I/O by
// the context's deadline only when the client was built with
// ContextTimeoutEnabled, and by its own ReadTimeout (3 s by default)
// otherwise; so, unless the client is known to honour the deadline, the
// call runs in a goroutine that is abandoned when it is late, to finish
// within the client's own timeouts.
func (l *Limiter) call(ctx context.Context, key string, limit redis_rate.Limit) (*redis_rate.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redislimit: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	if l.direct {
		res, err := l.rl.Allow(cctx, key, limit)
		return res, l.failure(ctx, cctx, err)
	}
	type answer struct {
		res *redis_rate.Result
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := l.rl.Allow(cctx, key, limit)
		done <- answer{res, err}
	}()
	select {
	case a := <-done:
		return a.res, l.failure(ctx, cctx, a.err)
	case <-cctx.Done():
		return nil, l.failure(ctx, cctx, cctx.Err())
	}
}

// failure says whose fault err is: the caller's (its context ended), or
// Redis's (too slow, or failed), which is ErrUnavailable.
func (l *Limiter) failure(ctx, cctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("redislimit: %w", ctx.Err())
	case cctx.Err() != nil:
		return fmt.Errorf("%w: redislimit: no answer within %s: %w", authrt.ErrUnavailable, l.timeout, cctx.Err())
	}
	return fmt.Errorf("%w: redislimit: %w", authrt.ErrUnavailable, err)
}

// honoursDeadlines reports whether client is one of go-redis's, built with
// ContextTimeoutEnabled. Other implementations are not trusted to.
func honoursDeadlines(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

// isNil reports whether client is nil, or a typed nil pointer.
func isNil(client redis.UniversalClient) bool {
	if client == nil {
		return true
	}
	switch v := reflect.ValueOf(client); v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// digestLen is the length of a key's digest: 128 bits in base64url,
// base64.RawURLEncoding.EncodedLen(16).
const digestLen = 22

// redisKey is the prefix and a fixed-length digest of key. SHA-256, not a
// fast hash, because callers' keys can be chosen by clients, who must not be
// able to make their key collide with another's.
func (l *Limiter) redisKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	var buf [maxPrefixLen + digestLen]byte
	b := append(buf[:0], l.prefix...)
	b = base64.RawURLEncoding.AppendEncode(b, sum[:16])
	return string(b)
}
