package redislimit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/redistest"
)

// newClient returns a client of addr with go-redis's default timeouts and
// retries, which the Limiter's own timeout must override.
func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	return newClientWith(t, &redis.Options{Addr: addr})
}

func newClientWith(t testing.TB, o *redis.Options) *redis.Client {
	t.Helper()
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

// clientModes are the two ways Allow bounds a call: by the context alone
// (the client honours it), or by abandoning a goroutine (it does not).
var clientModes = []struct {
	name          string
	ctxDeadlines  bool
	wantDirectUse bool
}{
	{"goroutine", false, false},
	{"direct", true, true},
}

// newLimiter returns a Limiter with a timeout long enough for a loaded test
// machine, unless opts set one: only the outage tests are about timeouts.
func newLimiter(t testing.TB, c redis.UniversalClient, opts ...Option) *Limiter {
	t.Helper()
	l, err := New(c, append([]Option{WithTimeout(10 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func allow(t testing.TB, l authrt.RateLimiter, key string, limit authrt.Limit) authrt.RateResult {
	t.Helper()
	res, err := l.Allow(context.Background(), key, limit)
	if err != nil {
		t.Fatalf("Allow(%q): %v", key, err)
	}
	return res
}

// refills is how many requests a bucket may have gained back in elapsed.
func refills(limit authrt.Limit, elapsed time.Duration) int {
	return int(elapsed / (limit.Period / time.Duration(limit.Rate)))
}

func TestConcurrentCountIsExact(t *testing.T) {
	s := redistest.Start(t)
	l := newLimiter(t, newClient(t, s.Addr()))
	limit := authrt.Limit{Rate: 100, Burst: 100, Period: time.Minute}

	var (
		allowed atomic.Int64
		mu      sync.Mutex
		left    []int // Remaining of each allowed request
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range 64 {
		wg.Go(func() {
			for range 10 {
				res, err := l.Allow(context.Background(), "hammered", limit)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Allowed {
					allowed.Add(1)
					mu.Lock()
					left = append(left, res.Remaining)
					mu.Unlock()
				} else if res.RetryAfter <= 0 || res.Remaining != 0 {
					t.Errorf("refused with %+v; want a RetryAfter and no Remaining", res)
				}
			}
		})
	}
	wg.Wait()
	extra := refills(limit, time.Since(start)) // one per 600ms the test took
	if got := int(allowed.Load()); got < 100 || got > 100+extra {
		t.Fatalf("%d of 640 requests allowed, want 100 (+%d refilled)", got, extra)
	}
	if extra == 0 {
		slices.Sort(left)
		for i, r := range left {
			if r != i {
				t.Fatalf("Remaining of the allowed requests: %v, want 0 to 99 once each", left)
			}
		}
	}
}

func TestBurst(t *testing.T) {
	s := redistest.Start(t)
	l := newLimiter(t, newClient(t, s.Addr()))
	for _, tc := range []struct {
		name  string
		limit authrt.Limit
		burst int
	}{
		{"burst below rate", authrt.Limit{Rate: 10, Burst: 3, Period: time.Minute}, 3},
		{"burst above rate", authrt.Limit{Rate: 2, Burst: 5, Period: time.Minute}, 5},
		{"burst of one", authrt.Limit{Rate: 10, Burst: 1, Period: time.Minute}, 1},
		{"no burst means rate", authrt.Limit{Rate: 4, Period: time.Minute}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			interval := tc.limit.Period / time.Duration(tc.limit.Rate)
			for i := range tc.burst {
				res := allow(t, l, tc.name, tc.limit)
				if !res.Allowed || res.Remaining != tc.burst-1-i || res.RetryAfter != 0 {
					t.Fatalf("request %d: %+v, want allowed with %d remaining", i+1, res, tc.burst-1-i)
				}
				// Full again after the requests made so far, less the time since.
				if want := time.Duration(i+1) * interval; res.ResetAfter > want || res.ResetAfter < want-time.Second {
					t.Errorf("request %d: ResetAfter %s, want about %s", i+1, res.ResetAfter, want)
				}
			}
			res := allow(t, l, tc.name, tc.limit)
			if res.Allowed || res.Remaining != 0 {
				t.Fatalf("request %d: %+v, want refused", tc.burst+1, res)
			}
			if res.RetryAfter > interval || res.RetryAfter < interval-time.Second {
				t.Errorf("RetryAfter %s, want about one interval, %s", res.RetryAfter, interval)
			}
			if want := time.Duration(tc.burst) * interval; res.ResetAfter > want || res.ResetAfter < want-time.Second {
				t.Errorf("refused: ResetAfter %s, want about %s", res.ResetAfter, want)
			}
		})
	}
}

func TestKeysAreIsolated(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s.Addr())
	l := newLimiter(t, c)
	other := newLimiter(t, c, WithKeyPrefix("other:"))
	limit := authrt.Limit{Rate: 2, Burst: 2, Period: time.Hour}

	for range 3 {
		allow(t, l, "alice", limit)
	}
	if res := allow(t, l, "alice", limit); res.Allowed {
		t.Fatalf("alice's fourth request allowed: %+v", res)
	}
	// Keys that would collide if they were joined or truncated naively.
	for _, key := range []string{"bob", "alice ", "alic", "alice\x00", "ALICE", strings.Repeat("alice", 1000)} {
		if res := allow(t, l, key, limit); !res.Allowed || res.Remaining != 1 {
			t.Errorf("%.12q after alice's requests: %+v, want a full bucket", key, res)
		}
	}
	if res := allow(t, other, "alice", limit); !res.Allowed || res.Remaining != 1 {
		t.Errorf("alice under another prefix: %+v, want a full bucket", res)
	}
}

func TestRedisKeys(t *testing.T) {
	s := redistest.Start(t)
	c := newClient(t, s.Addr())
	l := newLimiter(t, c)
	limit := authrt.Limit{Rate: 1, Period: time.Minute}
	hostile := []string{"", "alice", "../../x", "a:b", "{slot}", "line\r\nFLUSHALL", "\xff\xfe", strings.Repeat("k", 1<<16)}
	for _, key := range hostile {
		allow(t, l, key, limit)
	}
	keys, err := c.Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(hostile) {
		t.Errorf("%d keys in Redis for %d limiter keys: %q", len(keys), len(hostile), keys)
	}
	shape := regexp.MustCompile(`^rate:authgen:rl:[A-Za-z0-9_-]{22}$`)
	for _, k := range keys {
		if !shape.MatchString(k) {
			t.Errorf("Redis key %q does not match %s", k, shape)
		}
		if ttl := c.TTL(context.Background(), k).Val(); ttl <= 0 || ttl > time.Minute {
			t.Errorf("Redis key %q: TTL %s, want at most the time to refill", k, ttl)
		}
	}
}

func TestReplicasShareOneLimit(t *testing.T) {
	s := redistest.Start(t)
	replicas := []*Limiter{
		newLimiter(t, newClient(t, s.Addr())),
		newLimiter(t, newClient(t, s.Addr())),
	}
	limit := authrt.Limit{Rate: 50, Burst: 50, Period: time.Minute}
	var (
		allowed [2]atomic.Int64
		wg      sync.WaitGroup
	)
	start := time.Now()
	for g := range 32 {
		wg.Go(func() {
			r := g % 2
			for range 10 {
				res, err := replicas[r].Allow(context.Background(), "shared", limit)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Allowed {
					allowed[r].Add(1)
				}
			}
		})
	}
	wg.Wait()
	extra := refills(limit, time.Since(start))
	a, b := int(allowed[0].Load()), int(allowed[1].Load())
	t.Logf("replica A allowed %d, replica B %d", a, b)
	if a+b < 50 || a+b > 50+extra {
		t.Fatalf("replicas allowed %d+%d = %d of 320, want 50 (+%d refilled)", a, b, a+b, extra)
	}
}

func TestOutage(t *testing.T) {
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			s := redistest.Start(t)
			const timeout = 100 * time.Millisecond
			c := newClientWith(t, &redis.Options{Addr: s.Addr(), ContextTimeoutEnabled: mode.ctxDeadlines})
			l := newLimiter(t, c, WithTimeout(timeout))
			if l.direct != mode.wantDirectUse {
				t.Fatalf("direct = %v", l.direct)
			}
			limit := authrt.Limit{Rate: 10, Period: time.Minute}
			allow(t, l, "k", limit)

			s.Stop()
			for i := range 3 {
				start := time.Now()
				_, err := l.Allow(context.Background(), "k", limit)
				took := time.Since(start)
				t.Logf("Allow %d with Redis down: %s: %v", i, took, err)
				if !errors.Is(err, authrt.ErrUnavailable) {
					t.Fatalf("Allow %d with Redis down: %v, want ErrUnavailable", i, err)
				}
				// Not a performance assertion: without the Limiter's own
				// bound the client's defaults (3s reads, retried dials)
				// would hold it for seconds.
				if took > 10*timeout {
					t.Errorf("Allow %d with Redis down took %s; the timeout is %s", i, took, timeout)
				}
			}

			s.Restart()
			deadline := time.Now().Add(10 * time.Second)
			for {
				res, err := l.Allow(context.Background(), "k", limit)
				if err == nil {
					if !res.Allowed {
						t.Errorf("first answer after the restart: %+v, want allowed (Redis restarts empty)", res)
					}
					break
				}
				if !errors.Is(err, authrt.ErrUnavailable) || time.Now().After(deadline) {
					t.Fatalf("Allow after the restart: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// blackhole accepts connections and never answers, as a hung Redis does.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestSlowRedis(t *testing.T) {
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			// The client's own timeouts are a minute; the blackhole's
			// cleanup, which runs first, unblocks what is left of the call.
			c := newClientWith(t, &redis.Options{Addr: blackhole(t), ReadTimeout: time.Minute,
				WriteTimeout: time.Minute, DialTimeout: time.Minute, ContextTimeoutEnabled: mode.ctxDeadlines})
			const timeout = 50 * time.Millisecond
			l := newLimiter(t, c, WithTimeout(timeout))
			start := time.Now()
			_, err := l.Allow(context.Background(), "k", authrt.Limit{Rate: 1, Period: time.Second})
			took := time.Since(start)
			if !errors.Is(err, authrt.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Allow against a hung Redis: %v, want ErrUnavailable and DeadlineExceeded", err)
			}
			if !strings.Contains(err.Error(), "no answer within 50ms") {
				t.Errorf("error %q does not say what timed out", err)
			}
			if took > 20*timeout {
				t.Errorf("Allow against a hung Redis took %s; the timeout is %s", took, timeout)
			}
		})
	}
}

func TestCallerContext(t *testing.T) {
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			c := newClientWith(t, &redis.Options{Addr: blackhole(t), ReadTimeout: time.Minute,
				ContextTimeoutEnabled: mode.ctxDeadlines})
			l := newLimiter(t, c, WithTimeout(time.Minute))
			limit := authrt.Limit{Rate: 1, Period: time.Second}

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := l.Allow(ctx, "k", limit)
			if !errors.Is(err, context.Canceled) || errors.Is(err, authrt.ErrUnavailable) {
				t.Errorf("Allow with a cancelled context: %v, want context.Canceled only", err)
			}

			ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
			defer cancel()
			_, err = l.Allow(ctx, "k", limit)
			if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, authrt.ErrUnavailable) {
				t.Errorf("Allow past the caller's deadline: %v, want DeadlineExceeded only", err)
			}
		})
	}
}

func TestInvalidLimit(t *testing.T) {
	l := newLimiter(t, newClient(t, "127.0.0.1:1"))
	for _, limit := range []authrt.Limit{
		{Rate: 0, Period: time.Second},
		{Rate: -1, Period: time.Second},
		{Rate: 1, Period: 0},
		{Rate: 1, Burst: -1, Period: time.Second},
	} {
		_, err := l.Allow(context.Background(), "k", limit)
		if err == nil || errors.Is(err, authrt.ErrUnavailable) || !strings.Contains(err.Error(), "invalid limit") {
			t.Errorf("Allow with %+v: %v, want an invalid limit error", limit, err)
		}
	}
}

// TestResult covers the mapping of redis_rate's answers without Redis,
// including its rounding of Remaining.
func TestResult(t *testing.T) {
	perMinute := redis_rate.Limit{Rate: 100, Burst: 100, Period: time.Minute} // 600ms apart
	for _, tc := range []struct {
		name string
		in   redis_rate.Result
		want authrt.RateResult
	}{
		{"allowed", redis_rate.Result{Allowed: 1, Remaining: 97, RetryAfter: -1, ResetAfter: 1800 * time.Millisecond},
			authrt.RateResult{Allowed: true, Remaining: 97, ResetAfter: 1800 * time.Millisecond}},
		{"allowed, Remaining rounded down by Redis", redis_rate.Result{Allowed: 1, Remaining: 98, RetryAfter: -1, ResetAfter: 600*time.Millisecond + 60},
			authrt.RateResult{Allowed: true, Remaining: 99, ResetAfter: 600*time.Millisecond + 60}},
		{"allowed, a microsecond short of another", redis_rate.Result{Allowed: 1, Remaining: 98, RetryAfter: -1, ResetAfter: 600*time.Millisecond + time.Microsecond},
			authrt.RateResult{Allowed: true, Remaining: 98, ResetAfter: 600*time.Millisecond + time.Microsecond}},
		{"allowed, never more than one above Redis", redis_rate.Result{Allowed: 1, Remaining: 3, RetryAfter: -1, ResetAfter: 600 * time.Millisecond},
			authrt.RateResult{Allowed: true, Remaining: 4, ResetAfter: 600 * time.Millisecond}},
		{"allowed, empty", redis_rate.Result{Allowed: 1, Remaining: 0, RetryAfter: -1, ResetAfter: time.Minute},
			authrt.RateResult{Allowed: true, Remaining: 0, ResetAfter: time.Minute}},
		{"refused", redis_rate.Result{Allowed: 0, Remaining: 0, RetryAfter: 250 * time.Millisecond, ResetAfter: 59650 * time.Millisecond},
			authrt.RateResult{RetryAfter: 250 * time.Millisecond, ResetAfter: 59650 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := result(&tc.in, perMinute); got != tc.want {
				t.Errorf("result(%+v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestRedisKeyShape(t *testing.T) {
	l := &Limiter{prefix: "p:"}
	seen := map[string]string{}
	for i := range 1000 {
		key := fmt.Sprint(i)
		k := l.redisKey(key)
		if len(k) != len("p:")+digestLen || !strings.HasPrefix(k, "p:") {
			t.Fatalf("redisKey(%q) = %q", key, k)
		}
		if prev, dup := seen[k]; dup {
			t.Fatalf("redisKey(%q) = redisKey(%q) = %q", key, prev, k)
		}
		seen[k] = key
	}
	if digestLen != base64.RawURLEncoding.EncodedLen(16) {
		t.Errorf("digestLen %d, want %d", digestLen, base64.RawURLEncoding.EncodedLen(16))
	}
	if l.redisKey("x") != l.redisKey("x") {
		t.Error("redisKey is not deterministic")
	}
}

// wrapped is a UniversalClient the Limiter cannot see the options of.
type wrapped struct{ *redis.Client }

func TestHonoursDeadlines(t *testing.T) {
	yes := &redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true}
	no := &redis.Options{Addr: "127.0.0.1:1"}
	for _, tc := range []struct {
		name   string
		client redis.UniversalClient
		want   bool
	}{
		{"Client", newClientWith(t, yes), true},
		{"Client without", newClientWith(t, no), false},
		{"ClusterClient", redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{yes.Addr}, ContextTimeoutEnabled: true}), true},
		{"Ring", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": yes.Addr}, ContextTimeoutEnabled: true}), true},
		{"Ring without", redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": yes.Addr}}), false},
		{"unknown implementation", wrapped{newClientWith(t, yes)}, false},
	} {
		t.Cleanup(func() { tc.client.Close() })
		l, err := New(tc.client)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if l.direct != tc.want {
			t.Errorf("%s: direct = %v, want %v", tc.name, l.direct, tc.want)
		}
	}
}
