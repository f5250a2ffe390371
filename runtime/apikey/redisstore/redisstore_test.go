package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/internal/admintest"
	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/redistest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newClient returns a client of the server at addr that gives up quickly,
// as a server's should when Redis is down.
func newClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr: addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// newStore returns a Store (a replica) on its own client, closed at the end.
func newStore(t testing.TB, addr, ns string, opts ...Option) *Store {
	t.Helper()
	s, err := New(newClient(t, addr), append([]Option{WithNamespace(ns), WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAdmin(t *testing.T) {
	srv := redistest.Start(t)
	n := 0
	admintest.Run(t, func(t *testing.T) apikey.Admin {
		n++
		return newStore(t, srv.Addr(), "admintest"+strings.Repeat("x", n))
	})
}

func TestNewRejects(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   []Option
		want   string
	}{
		{"nil client", nil, nil, "nil Redis client"},
		{"typed nil client", (*redis.Client)(nil), nil, "nil Redis client"},
		{"braces", c, []Option{WithNamespace("a{b}")}, "without braces"},
		{"empty namespace", c, []Option{WithNamespace("")}, "namespace"},
		{"zero max age", c, []Option{WithMaxAge(0)}, "maximum age"},
		{"negative stale", c, []Option{WithStaleFor(-time.Second)}, "stale limit"},
		{"zero cache", c, []Option{WithCacheSize(0)}, "cache size"},
		{"nil option", c, []Option{nil}, "nil Option"},
	}
	for _, tc := range tests {
		s, err := New(tc.client, tc.opts...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, %v; want an error containing %q", tc.name, s, err, tc.want)
		}
	}
}

// mintOn issues a key through a and returns it with its record.
func mintOn(t *testing.T, a apikey.Admin) (string, *apikey.Record) {
	t.Helper()
	key, rec, err := apikey.Issue(context.Background(), a, nil,
		apikey.KeySpec{Prefix: "sk_test", Scopes: []string{"chat"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return key, rec
}

func verifier(t testing.TB, s apikey.Store) *apikey.Verifier {
	v, err := apikey.NewVerifier(s, apikey.WithPrefixes("sk_test"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitUntil polls cond until it holds, for at most limit, and returns how
// long it took.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// TestReplicas plays two replicas, A where keys are managed and B where
// they are used: B sees a new key at once, and a revocation (on a key it
// has cached) within the bound, through the change channel.
func TestReplicas(t *testing.T) {
	srv := redistest.Start(t)
	a := newStore(t, srv.Addr(), "replicas")
	b := newStore(t, srv.Addr(), "replicas")
	vb := verifier(t, b)
	ctx := context.Background()
	waitSubscribed(t, b)

	var revocations []time.Duration
	for range 20 {
		key, rec := mintOn(t, a)
		if _, err := vb.Verify(ctx, key); err != nil {
			t.Fatalf("B does not accept a key just created on A: %v", err)
		}
		for range 3 { // hot: served from B's cache
			if _, err := vb.Verify(ctx, key); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		if _, err := apikey.Revoke(ctx, a, rec.ID); err != nil {
			t.Fatal(err)
		}
		// The design bound is DefaultMaxAge (1 s) even without the change
		// channel; the limit leaves room for a loaded CI machine, and the
		// measured times are logged.
		waitUntil(t, 2*DefaultMaxAge, "revocation on A seen by B", func() bool {
			_, err := vb.Verify(ctx, key)
			return errors.Is(err, apikey.ErrKeyRevoked)
		})
		revocations = append(revocations, time.Since(start))
	}
	slices.Sort(revocations)
	t.Logf("revocation on A seen by B (20 runs, change channel): min %s, median %s, max %s (bound %s)",
		revocations[0], revocations[len(revocations)/2], revocations[len(revocations)-1], DefaultMaxAge)
}

// waitSubscribed waits until s's change listener has its subscription
// confirmed: from then on it receives every change published. (Counting the
// channel's subscribers in Redis would also count another store's.)
func waitSubscribed(t *testing.T, s *Store) {
	t.Helper()
	waitUntil(t, 5*time.Second, "subscription", func() bool { return s.subs.Load() > 0 })
}

// TestMaxAgeBoundsPropagation shows the bound without the change channel
// (as when a message is lost): B sees the revocation within its maximum age.
func TestMaxAgeBoundsPropagation(t *testing.T) {
	srv := redistest.Start(t)
	const maxAge = 300 * time.Millisecond
	a := newStore(t, srv.Addr(), "maxage")
	b := newStore(t, srv.Addr(), "maxage", WithMaxAge(maxAge), func(o *options) { o.noSubscribe = true })
	vb := verifier(t, b)
	ctx := context.Background()
	var worst time.Duration
	for range 5 {
		key, rec := mintOn(t, a)
		if _, err := vb.Verify(ctx, key); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		apikey.Revoke(ctx, a, rec.ID)
		waitUntil(t, 2*maxAge+200*time.Millisecond, "revocation without the change channel", func() bool {
			_, err := vb.Verify(ctx, key)
			return errors.Is(err, apikey.ErrKeyRevoked)
		})
		worst = max(worst, time.Since(start))
	}
	t.Logf("revocation seen by B without the change channel: worst %s (maximum age %s)", worst, maxAge)
}

// countingHook counts the commands a client sends.
type countingHook struct{ n atomic.Int64 }

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestHotKeysServedFromCache: many verifications of one key within the
// maximum age cost at most a fetch and a background refresh.
func TestHotKeysServedFromCache(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	hook := &countingHook{}
	c.AddHook(hook)
	s, err := New(c, WithNamespace("hot"), WithLogger(quiet), WithMaxAge(time.Hour), func(o *options) { o.noSubscribe = true })
	if err != nil {
		t.Fatal(err)
	}
	key, _ := mintOn(t, s)
	v := verifier(t, s)
	before := hook.n.Load()
	for range 1000 {
		if _, err := v.Verify(context.Background(), key); err != nil {
			t.Fatal(err)
		}
	}
	if n := hook.n.Load() - before; n != 1 {
		t.Errorf("1000 verifications of a hot key sent %d commands to Redis, want 1", n)
	}
}

// TestRedisDown stops Redis under a replica: keys it verified recently
// keep working for the stale limit, unknown keys get 503 with Retry-After,
// and it recovers when Redis is back.
func TestRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	const staleFor = 600 * time.Millisecond
	var logs lockedLog
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := New(newClient(t, srv.Addr()), WithNamespace("down"), WithLogger(logger),
		WithMaxAge(50*time.Millisecond), WithStaleFor(staleFor), WithRetryInterval(50*time.Millisecond),
		WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v := verifier(t, s)
	h := guard(t, v)
	waitSubscribed(t, s)
	known, _ := mintOn(t, s)
	unknown, err := apikey.NewKey("sk_test")
	if err != nil {
		t.Fatal(err)
	}
	if got := serve(h, known); got.Code != http.StatusOK {
		t.Fatalf("known key with Redis up: %d", got.Code)
	}
	// Let the echo of the key's creation on the change channel, and the
	// refresh it starts, finish: the key is then "verified recently". A
	// refresh for a change that fails once Redis is stopped rightly ends
	// stale serving, so the echo must be handled before the stop.
	waitUntil(t, 5*time.Second, "the echo of the key's creation", func() bool { return s.changes.Load() >= 1 })
	kh := apikey.HashKey(known)
	waitUntil(t, 5*time.Second, "a settled cache entry", func() bool {
		e := s.cache.get(kh)
		if e == nil || e.refreshing.Load() {
			serve(h, known)
			return false
		}
		st := e.state.Load()
		return st.fresh && st.stale
	})
	if got := serve(h, unknown); got.Code != http.StatusUnauthorized {
		t.Fatalf("unknown key with Redis up: %d, want 401", got.Code)
	}

	srv.Stop()
	stopped := time.Now()
	time.Sleep(60 * time.Millisecond) // past the maximum age: lookups must ask Redis
	if got := serve(h, known); got.Code != http.StatusOK {
		t.Errorf("recently verified key with Redis down: %d, want 200 (served stale)", got.Code)
	}
	got := serve(h, unknown)
	if got.Code != http.StatusServiceUnavailable || got.Header().Get("Retry-After") == "" {
		t.Errorf("unknown key with Redis down: %d, Retry-After %q; want 503 with Retry-After",
			got.Code, got.Header().Get("Retry-After"))
	}
	if _, err := v.Verify(context.Background(), unknown); !errors.Is(err, authrt.ErrUnavailable) ||
		errors.Is(err, authrt.ErrInvalidCredential) {
		t.Errorf("Verify(unknown) with Redis down = %v, want ErrUnavailable only", err)
	}
	waitUntil(t, staleFor+time.Second, "the end of stale serving", func() bool {
		return serve(h, known).Code == http.StatusServiceUnavailable
	})
	if d := time.Since(stopped); d < staleFor {
		t.Errorf("stale serving ended after %s, before the stale limit %s", d, staleFor)
	}

	// Redis comes back empty: the record is written again, and works.
	srv.Restart()
	rec, err := apikey.Import(nil, known, apikey.KeySpec{ID: "again", Scopes: []string{"chat"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "recreating the record", func() bool { return s.Create(context.Background(), rec) == nil })
	waitUntil(t, 5*time.Second, "recovery", func() bool { return serve(h, known).Code == http.StatusOK })
	for _, want := range []string{"Redis unreachable", "Redis reachable again"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), known) {
		t.Error("log contains a key")
	}
}

// failingGets makes GET commands fail while on, leaving the change
// channel working: a replica that hears of a change but cannot read it.
type failingGets struct{ on atomic.Bool }

func (h *failingGets) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *failingGets) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.on.Load() && cmd.Name() == "get" {
			err := errors.New("injected: Redis unreachable")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}
func (h *failingGets) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestChangeThenOutage: replica B has a key cached, hears that it changed
// (a revocation on A), and cannot read Redis. The cached record must not
// be served stale: the change may have been that revocation. This holds
// also when a background refresh of the hot key was already running, so
// that the change message starts none of its own.
func TestChangeThenOutage(t *testing.T) {
	for _, running := range []bool{false, true} {
		t.Run(fmt.Sprintf("refresh already running=%v", running), func(t *testing.T) {
			srv := redistest.Start(t)
			ns := fmt.Sprintf("change-outage-%v", running)
			a := newStore(t, srv.Addr(), ns)
			cb := newClient(t, srv.Addr())
			fail := &failingGets{}
			cb.AddHook(fail)
			b, err := New(cb, WithNamespace(ns), WithLogger(quiet), WithMaxAge(time.Hour), WithStaleFor(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			vb := verifier(t, b)
			h := guard(t, vb)
			waitSubscribed(t, b)
			key, rec := mintOn(t, a)
			waitUntil(t, 5*time.Second, "the echo of the key's creation", func() bool { return b.changes.Load() >= 1 })
			kh := apikey.HashKey(key)
			waitUntil(t, 5*time.Second, "a settled cache entry on B", func() bool {
				if serve(h, key).Code != http.StatusOK {
					return false
				}
				e := b.cache.get(kh)
				return e != nil && !e.refreshing.Load() && e.state.Load().fresh && e.state.Load().stale
			})
			e := b.cache.get(kh)
			if running {
				e.refreshing.Store(true) // as if a hot-key refresh were under way
			}
			fail.on.Store(true)
			seen := b.changes.Load()
			if _, err := apikey.Revoke(context.Background(), a, rec.ID); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, 5*time.Second, "B hearing of the revocation", func() bool { return b.changes.Load() > seen })
			if got := serve(h, key); got.Code != http.StatusServiceUnavailable {
				t.Fatalf("a key that changed, with Redis unreadable: %d, want 503", got.Code)
			}
			if running {
				e.refreshing.Store(false)
			}
			fail.on.Store(false)
			b.downUntil.Store(0) // skip the retry interval
			if got := serve(h, key); got.Code != http.StatusUnauthorized {
				t.Fatalf("the revoked key once Redis is readable: %d, want 401", got.Code)
			}
		})
	}
}

// TestCorruptRecord: a record that does not parse fails its own key (503),
// and does not make the store treat Redis as down.
func TestCorruptRecord(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv.Addr(), "corrupt")
	good, _ := mintOn(t, s)
	bad, rec := mintOn(t, s)
	ctx := context.Background()
	if err := s.client.Set(ctx, s.hashKey(hex.EncodeToString(rec.Hash[:])), "{not json", 0).Err(); err != nil {
		t.Fatal(err)
	}
	v := verifier(t, s)
	_, err := v.Verify(ctx, bad)
	if err == nil || errors.Is(err, authrt.ErrInvalidCredential) || !strings.Contains(err.Error(), "does not parse") {
		t.Fatalf("Verify(corrupt record) = %v, want a store failure", err)
	}
	if _, err := v.Verify(ctx, good); err != nil {
		t.Fatalf("a good key after a corrupt record: %v", err)
	}
	if s.down.Load() {
		t.Fatal("a corrupt record marked Redis down")
	}
}

// guard is the generated middleware's core, for one operation that
// requires an API key in X-API-Key.
func guard(t *testing.T, v authrt.Verifier) http.Handler {
	spec := &authrt.Spec{
		Title:   "test",
		Schemes: []authrt.Scheme{{Name: "key", Type: authrt.APIKey, In: authrt.InHeader, Param: "X-API-Key"}},
		Operations: []authrt.Operation{{ID: "op", Method: "GET", Path: "/op",
			Security: []authrt.Alternative{{{Scheme: 0}}}}},
	}
	g, err := authrt.NewGuard(spec, []authrt.Verifier{v}, authrt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g.Operation(0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
}

func serve(h http.Handler, key string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/op", nil)
	r.Header.Set("X-API-Key", key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// lockedLog is a log written from several goroutines.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// onGet runs after the first GET reply while armed, before the caller sees it.
type onGet struct {
	armed atomic.Bool
	fn    func()
}

func (h *onGet) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *onGet) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if cmd.Name() == "get" && h.armed.CompareAndSwap(true, false) {
			h.fn()
		}
		return err
	}
}
func (h *onGet) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestChangeDuringFirstFetch: B looks a key up for the first time; its
// GET reads the active record; the key is revoked and B hears of it before
// its Lookup stores what it read. invalidate found no entry and did nothing,
// and put then cached the pre-revocation record as fresh (and servable stale
// in an outage). The shard's change counter now makes put drop it.
func TestChangeDuringFirstFetch(t *testing.T) {
	srv := redistest.Start(t)
	a := newStore(t, srv.Addr(), "review-race")
	cb := newClient(t, srv.Addr())
	hook := &onGet{}
	cb.AddHook(hook)
	b, err := New(cb, WithNamespace("review-race"), WithLogger(quiet), WithMaxAge(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := guard(t, verifier(t, b))
	waitSubscribed(t, b)
	key, rec := mintOn(t, a)
	waitUntil(t, 5*time.Second, "creation echo", func() bool { return b.changes.Load() >= 1 })
	hook.fn = func() {
		seen := b.changes.Load()
		if _, err := apikey.Revoke(context.Background(), a, rec.ID); err != nil {
			t.Error(err)
		}
		waitUntil(t, 5*time.Second, "B hearing of the revocation", func() bool { return b.changes.Load() > seen })
	}
	hook.armed.Store(true)
	serve(h, key) // concurrent with the revocation: either answer is fine
	if got := serve(h, key); got.Code != http.StatusUnauthorized {
		t.Fatalf("revoked key, revocation heard by B, Redis up: %d, want 401", got.Code)
	}
}
