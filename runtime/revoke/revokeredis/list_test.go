package revokeredis

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/redistest"
	"github.com/authgen/authgen/runtime/jwtauth"
	"github.com/authgen/authgen/runtime/revoke"
)

type clock struct{ ns atomic.Int64 }

func newClock() *clock                   { c := &clock{}; c.ns.Store(time.Now().UnixNano()); return c }
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

var quiet = WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

func newClient(t *testing.T, s *redistest.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	return c
}

// replica is one List with its own client and clock; the background sync
// is slowed down so that tests sync by hand.
func replica(t *testing.T, s *redistest.Server, c *clock, opts ...Option) *List {
	t.Helper()
	l, err := New(context.Background(), newClient(t, s),
		append([]Option{quiet, WithClock(c.now), WithSyncInterval(time.Hour), WithMaxLag(2 * time.Hour)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func mustSync(t *testing.T, l *List) {
	t.Helper()
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func revoked(t *testing.T, l *List, jti string) bool {
	t.Helper()
	r, err := l.Revoked(jti)
	if err != nil {
		t.Fatalf("Revoked(%q): %v", jti, err)
	}
	return r
}

func TestReplicasSeeRevocations(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	a, b := replica(t, s, c), replica(t, s, c)
	ctx := context.Background()
	exp := c.now().Add(time.Hour)
	if err := a.Revoke(ctx, "t1", exp); err != nil {
		t.Fatal(err)
	}
	if !revoked(t, a, "t1") {
		t.Fatal("the revoking replica does not list t1")
	}
	if revoked(t, b, "t1") {
		t.Fatal("b lists t1 before syncing")
	}
	mustSync(t, b)
	if !revoked(t, b, "t1") {
		t.Fatal("b does not list t1 after syncing")
	}
	// Incremental syncs both ways, and a late replica reads everything.
	for i := range 5 {
		b.Revoke(ctx, fmt.Sprint("b", i), exp)
	}
	mustSync(t, a)
	late := replica(t, s, c)
	for _, l := range []*List{a, late} {
		for i := range 5 {
			if !revoked(t, l, fmt.Sprint("b", i)) {
				t.Errorf("b%d not seen", i)
			}
		}
		if !revoked(t, l, "t1") || revoked(t, l, "other") {
			t.Error("wrong entries")
		}
	}
}

func TestBackgroundSync(t *testing.T) {
	s := redistest.Start(t)
	a, err := New(context.Background(), newClient(t, s), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(context.Background(), newClient(t, s), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	a.Revoke(context.Background(), "bg", time.Now().Add(time.Hour))
	deadline := time.Now().Add(10 * time.Second)
	for !revoked(t, b, "bg") {
		if time.Now().After(deadline) {
			t.Fatal("b never saw the revocation")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogTrimmedFallsBackToFullSync(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	a, b := replica(t, s, c), replica(t, s, c)
	a.keep = 3
	for i := range 10 {
		a.Revoke(context.Background(), fmt.Sprint("j", i), c.now().Add(time.Hour))
	}
	mustSync(t, b)
	for i := range 10 {
		if !revoked(t, b, fmt.Sprint("j", i)) {
			t.Errorf("j%d lost when the log was trimmed", i)
		}
	}
}

// TestEntriesExpire: Redis drops entries dead by its own clock (exp plus
// the grace passed), whatever the revoking replica's clock says.
func TestEntriesExpire(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	a := replica(t, s, c, WithGrace(time.Minute))
	rc := newClient(t, s)
	ctx := context.Background()
	now := time.Now()
	// Revoked long ago: dead 1 min ago by Redis's clock.
	rc.ZAdd(ctx, a.keys[0], redis.Z{Score: float64(unixMilli(now.Add(-2 * time.Minute))), Member: "old"})
	rc.ZAdd(ctx, a.keys[0], redis.Z{Score: float64(unixMilli(now.Add(-30 * time.Second))), Member: "graced"})
	a.Revoke(ctx, "dead", now.Add(-time.Hour)) // never stored
	c.advance(-time.Hour)                      // a's clock an hour late: no matter
	a.Revoke(ctx, "long", now.Add(time.Hour))  // prunes old
	got, err := rc.ZRange(ctx, a.keys[0], 0, -1).Result()
	if err != nil || strings.Join(got, " ") != "graced long" {
		t.Fatalf("Redis holds %q (%v), want graced and long", got, err)
	}
	c.advance(time.Hour)
	if got := replica(t, s, c).Len(); got != 2 {
		t.Errorf("a new replica copies %d entries, want 2", got)
	}
}

// TestClockSkewPrunesLiveEntries (from the security review): revokeScript
// pruned Redis by the revoking replica's clock. A replica whose clock ran
// 5 min ahead dropped an entry whose token was still alive for 2 min by
// every other clock, so a replica that started (full sync) in that window
// accepted the revoked token.
func TestClockSkewPrunesLiveEntries(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	ahead := newClock()
	ahead.advance(5 * time.Minute)
	ctx := context.Background()
	b := replica(t, s, c)
	b.Revoke(ctx, "y", c.now().Add(2*time.Minute)) // alive 2 min (+1 min grace)
	a := replica(t, s, ahead)
	a.Revoke(ctx, "x", c.now().Add(time.Hour)) // prunes y by a's clock
	fresh := replica(t, s, c)                  // a replica that starts now
	if !revoked(t, fresh, "y") {
		t.Error("a new replica accepts y, revoked and alive for 2 more minutes: a skewed clock pruned it from Redis")
	}
}

// TestClockSkewRevokeStillSent: a replica whose clock runs fast still
// sends a revocation it takes for dead; Redis, by its clock, keeps it. One
// whose clock runs late lists locally what Redis, by its clock, drops.
func TestClockSkewRevokeStillSent(t *testing.T) {
	s := redistest.Start(t)
	c, ahead, behind := newClock(), newClock(), newClock()
	ahead.advance(5 * time.Minute)
	behind.advance(-2 * time.Hour)
	ctx := context.Background()
	a, b, late := replica(t, s, ahead), replica(t, s, c), replica(t, s, behind)
	if err := a.Revoke(ctx, "z", c.now().Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	mustSync(t, b)
	if !revoked(t, b, "z") {
		t.Error("b accepts z, alive 2 more minutes: the replica running fast did not send its revocation")
	}
	if err := late.Revoke(ctx, "gone", c.now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !revoked(t, late, "gone") {
		t.Error("the late replica does not list locally a token alive by its clock")
	}
	if n, err := newClient(t, s).ZCard(ctx, b.keys[0]).Result(); err != nil || n != 1 {
		t.Errorf("Redis holds %d entries (%v), want z only", n, err)
	}
}

func TestOutage(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	a := replica(t, s, c, WithMaxLag(2*time.Second), WithSyncInterval(time.Second))
	b := replica(t, s, c, WithMaxLag(2*time.Second), WithSyncInterval(time.Second))
	ctx := context.Background()
	exp := c.now().Add(time.Hour)
	a.Revoke(ctx, "before", exp)
	mustSync(t, b)

	s.Stop()
	if err := b.Sync(ctx); !errors.Is(err, authrt.ErrUnavailable) {
		t.Fatalf("Sync with Redis down: %v, want ErrUnavailable", err)
	}
	if err := a.Revoke(ctx, "during", exp); !errors.Is(err, authrt.ErrUnavailable) {
		t.Fatalf("Revoke with Redis down: %v, want ErrUnavailable", err)
	}
	if !revoked(t, a, "during") {
		t.Error("a revocation that Redis missed is not honoured locally")
	}
	// Within the lag, the copy answers; past it, only for what it lists.
	if revoked(t, b, "unknown") {
		t.Error("unknown jti revoked")
	}
	c.advance(3 * time.Second)
	if !revoked(t, b, "before") {
		t.Error("a known revocation is forgotten during the outage")
	}
	if r, err := b.Revoked("unknown"); r || !errors.Is(err, authrt.ErrUnavailable) {
		t.Fatalf("unknown jti with a stale copy: %v, %v; want ErrUnavailable", r, err)
	}

	s.Restart() // empty: a new epoch
	a.Revoke(ctx, "after", exp)
	mustSync(t, b)
	if !revoked(t, b, "after") || !revoked(t, b, "before") || revoked(t, b, "unknown") {
		t.Error("after the restart b must list after and before, and answer for unknown")
	}
}

func TestNewFails(t *testing.T) {
	s := redistest.Start(t)
	client := newClient(t, s)
	tests := []struct {
		name string
		opts []Option
	}{
		{"nil option", []Option{nil}},
		{"empty prefix", []Option{WithPrefix("")}},
		{"lag under two intervals", []Option{WithSyncInterval(time.Second), WithMaxLag(time.Second)}},
		{"tiny interval", []Option{WithSyncInterval(0)}},
		{"negative grace", []Option{WithGrace(-time.Second)}},
		{"nil logger", []Option{WithLogger(nil)}},
		{"nil clock", []Option{WithClock(nil)}},
	}
	for _, tt := range tests {
		if _, err := New(context.Background(), client, tt.opts...); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
	if _, err := New(context.Background(), nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("nil client: %v", err)
	}
	s.Stop()
	if _, err := New(context.Background(), client, quiet); !errors.Is(err, authrt.ErrUnavailable) {
		t.Errorf("Redis down: %v, want ErrUnavailable", err)
	}
}

func TestRevokedDoesNotAllocate(t *testing.T) {
	s := redistest.Start(t)
	l := replica(t, s, newClock())
	l.Revoke(context.Background(), "a", time.Now().Add(time.Hour))
	if n := testing.AllocsPerRun(100, func() { l.Revoked("a"); l.Revoked("b") }); n != 0 {
		t.Errorf("Revoked allocates %v times", n)
	}
}

// TestTwoVerifiers: a token accepted (and cached) by two verifiers on one
// Redis is refused by both once revoked through one of them.
func TestTwoVerifiers(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	secret := make([]byte, 32)
	rand.Read(secret)
	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "alice", "jti": "tok-1", "exp": c.now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	ctx := context.Background()
	lists := []*List{replica(t, s, c, WithMaxLag(2*time.Second), WithSyncInterval(time.Second)),
		replica(t, s, c, WithMaxLag(2*time.Second), WithSyncInterval(time.Second))}
	var vs []*jwtauth.Verifier
	var id *authrt.Identity
	for _, l := range lists {
		v, err := jwtauth.New([]jwtauth.Key{jwtauth.HMAC(secret)}, jwtauth.WithClock(c.now),
			jwtauth.WithRevocation(l), jwtauth.WithCache(64, time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if id, err = v.Verify(ctx, token); err != nil {
				t.Fatal(err)
			}
		}
		vs = append(vs, v)
	}
	if err := revoke.Token(ctx, lists[0], id); err != nil {
		t.Fatal(err)
	}
	mustSync(t, lists[1])
	for i, v := range vs {
		if _, err := v.Verify(ctx, token); !errors.Is(err, jwtauth.ErrTokenRevoked) {
			t.Errorf("verifier %d: %v, want ErrTokenRevoked", i, err)
		}
	}
	// Redis down past the lag: an unlisted token gets 503, not 200.
	other, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "bob", "jti": "tok-2", "exp": c.now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	s.Stop()
	c.advance(3 * time.Second)
	_, err := vs[1].Verify(ctx, other)
	if !errors.Is(err, authrt.ErrUnavailable) || errors.Is(err, authrt.ErrInvalidCredential) {
		t.Fatalf("Verify with Redis down: %v, want ErrUnavailable", err)
	}
}

// TestVerifierLeewayWithinGrace: the List tells jwtauth its grace, so a
// verifier whose leeway outlasts the entries is refused at construction.
func TestVerifierLeewayWithinGrace(t *testing.T) {
	s := redistest.Start(t)
	l := replica(t, s, newClock(), WithGrace(10*time.Second))
	if l.Grace() != 10*time.Second {
		t.Fatalf("Grace %v", l.Grace())
	}
	key := jwtauth.HMAC(make([]byte, 32))
	if _, err := jwtauth.New([]jwtauth.Key{key}, jwtauth.WithRevocation(l)); !errors.Is(err, jwtauth.ErrInvalidOption) {
		t.Errorf("default 30 s leeway over a 10 s grace: %v, want ErrInvalidOption", err)
	}
	if _, err := jwtauth.New([]jwtauth.Key{key}, jwtauth.WithRevocation(l), jwtauth.WithLeeway(5*time.Second)); err != nil {
		t.Errorf("5 s leeway over a 10 s grace: %v", err)
	}
}

var _ jwtauth.GracefulList = (*List)(nil)

// logBuffer is a logger whose output tests read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) option() Option { return WithLogger(slog.New(slog.NewTextHandler(b, nil))) }

// snapshot saves the list's keys as they are; the function it returns puts
// them back, as Redis restarting from that snapshot (or failing over to a
// replica that had received no later write) would: the epoch is unchanged.
func snapshot(t *testing.T, s *redistest.Server, l *List) (restore func()) {
	t.Helper()
	rc := newClient(t, s)
	ctx := context.Background()
	dumps := map[string]string{}
	for _, k := range l.keys {
		d, err := rc.Dump(ctx, k).Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		dumps[k] = d
	}
	return func() {
		t.Helper()
		for k, d := range dumps {
			var err error
			if d == "" {
				err = rc.Del(ctx, k).Err()
			} else {
				err = rc.RestoreReplace(ctx, k, 0, d).Err()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestFailoverSeqReuseMissesRevocation (from the security review): a
// replica that remembered only (epoch, seq) skipped for good the
// revocations given the sequence numbers that Redis lost and handed out
// again, and accepted those tokens until they expired.
func TestFailoverSeqReuseMissesRevocation(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	a, b := replica(t, s, c), replica(t, s, c)
	ctx := context.Background()
	exp := c.now().Add(time.Hour)
	a.Revoke(ctx, "j1", exp)
	a.Revoke(ctx, "j2", exp) // seq 2
	mustSync(t, b)           // b: epoch E, seq 2

	// Redis fails over to a replica that got seq 1 but not seq 2 (async
	// replication): the same epoch, seq 1, j2 absent.
	rc := newClient(t, s)
	rc.ZRem(ctx, a.keys[0], "j2")
	rc.ZRem(ctx, a.keys[1], "j2")
	rc.Set(ctx, a.keys[2], 1, 0)

	// Service goes on: another logout gets seq 2 again, then one gets seq 3.
	a.Revoke(ctx, "k2", exp)
	a.Revoke(ctx, "k3", exp)
	mustSync(t, b)
	mustSync(t, b)
	if !revoked(t, b, "k3") {
		t.Fatal("k3 not synced at all")
	}
	if !revoked(t, b, "k2") {
		t.Error("replica b never learns of k2, revoked after the failover: its sequence number was reused")
	}
}

// TestFailoverDetected: after Redis went back to an older snapshot with
// the same epoch, a replica that had read the lost revocations reads the
// whole list again and says so, even when the new revocations reach the
// same sequence number and the last of them is the jti it read last there
// (a client retrying its logout).
func TestFailoverDetected(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	var logs logBuffer
	a, b := replica(t, s, c), replica(t, s, c, logs.option())
	ctx := context.Background()
	exp := c.now().Add(time.Hour)
	a.Revoke(ctx, "j1", exp)
	restore := snapshot(t, s, a)
	a.Revoke(ctx, "j2", exp)
	a.Revoke(ctx, "j3", exp) // seq 3
	mustSync(t, b)
	restore() // seq 1 again

	a.Revoke(ctx, "k2", exp)
	a.Revoke(ctx, "j3", exp) // seq 3 again, the same jti
	mustSync(t, b)
	if !revoked(t, b, "k2") {
		t.Fatal("b misses k2, revoked after Redis lost j2 and j3")
	}
	if b.lastFull != syncLogChanged || !strings.Contains(logs.String(), "Redis lost revocations") {
		t.Errorf("full sync reason %d, log %q; want the loss detected and logged", b.lastFull, logs.String())
	}
	if !revoked(t, b, "j2") || !revoked(t, b, "j1") {
		t.Error("b forgot what it had copied")
	}
	// From then on, incremental again.
	a.Revoke(ctx, "k4", exp)
	mustSync(t, b)
	if !revoked(t, b, "k4") || b.lastFull != syncIncremental {
		t.Errorf("k4: revoked %v, sync reason %d", revoked(t, b, "k4"), b.lastFull)
	}

	// Fewer revocations than were lost: the sequence number went back.
	restore = snapshot(t, s, a)
	a.Revoke(ctx, "m5", exp)
	mustSync(t, b)
	restore()
	mustSync(t, b)
	if b.lastFull != syncLogChanged {
		t.Errorf("sync reason %d after Redis lost m5, want %d", b.lastFull, syncLogChanged)
	}
}

// TestRevokedAgainStaysIncremental: the jti a replica read last being
// revoked again (a later sequence number) is not taken for a loss.
func TestRevokedAgainStaysIncremental(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	var logs logBuffer
	a, b := replica(t, s, c), replica(t, s, c, logs.option())
	ctx := context.Background()
	exp := c.now().Add(time.Hour)
	a.Revoke(ctx, "j1", exp)
	a.Revoke(ctx, "j2", exp)
	mustSync(t, b)
	a.Revoke(ctx, "j2", exp)
	a.Revoke(ctx, "j3", exp)
	mustSync(t, b)
	if !revoked(t, b, "j3") || b.lastFull != syncIncremental || logs.String() != "" {
		t.Errorf("j3: revoked %v, sync reason %d, log %q", revoked(t, b, "j3"), b.lastFull, logs.String())
	}
}

// oldRevokeScript is revokeScript as it was before marks: replicas of an
// older version may share the list during a rolling upgrade.
var oldRevokeScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('SET', KEYS[4], ARGV[5])
end
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not cur) or tonumber(cur) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
local seq = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', seq - tonumber(ARGV[4]))
return seq
`)

// TestOlderWriter: entries written without a mark still sync
// incrementally, and their loss is still noticed by the jti.
func TestOlderWriter(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	b := replica(t, s, c)
	rc := newClient(t, s)
	ctx := context.Background()
	exp := c.now().Add(time.Hour)
	old := func(jti string) {
		t.Helper()
		err := oldRevokeScript.Run(ctx, rc, b.keys[:4], jti, unixMilli(exp),
			unixMilli(c.now().Add(-b.Grace())), logKeep, newEpoch()).Err()
		if err != nil {
			t.Fatal(err)
		}
	}
	old("o1")
	mustSync(t, b)
	old("o2")
	mustSync(t, b)
	if !revoked(t, b, "o2") || b.lastFull != syncIncremental {
		t.Fatalf("o2: revoked %v, sync reason %d", revoked(t, b, "o2"), b.lastFull)
	}
	restore := snapshot(t, s, b)
	old("o3")
	mustSync(t, b)
	restore()
	old("p3")
	old("p4")
	mustSync(t, b)
	if !revoked(t, b, "p3") || b.lastFull != syncLogChanged {
		t.Errorf("p3: revoked %v, sync reason %d", revoked(t, b, "p3"), b.lastFull)
	}
}

// A replica that fell behind by the log's length (or more) is not a Redis
// that lost writes: the trimmed mark must not be read as a loss. Exactly
// keep behind, the log still reaches back (oldest == last+1) and the sync
// stays incremental; further behind it is a plain full read. Neither is
// reported as a loss.
func TestBehindIsNotLoss(t *testing.T) {
	s := redistest.Start(t)
	c := newClock()
	var logs logBuffer
	a, b := replica(t, s, c), replica(t, s, c, logs.option())
	a.keep = 3
	ctx := context.Background()
	a.Revoke(ctx, "j0", c.now().Add(time.Hour))
	mustSync(t, b)
	for i := 1; i <= 3; i++ {
		a.Revoke(ctx, fmt.Sprint("j", i), c.now().Add(time.Hour))
	}
	mustSync(t, b)
	if b.lastFull == syncLogChanged || strings.Contains(logs.String(), "Redis lost revocations") {
		t.Errorf("replica merely %d behind: sync reason %d, log %q", a.keep, b.lastFull, logs.String())
	}
	if b.lastFull != syncIncremental {
		t.Errorf("replica exactly %d behind: sync reason %d, want incremental (%d)", a.keep, b.lastFull, syncIncremental)
	}
	for i := 4; i <= 9; i++ {
		a.Revoke(ctx, fmt.Sprint("j", i), c.now().Add(time.Hour))
	}
	mustSync(t, b)
	if b.lastFull == syncLogChanged || strings.Contains(logs.String(), "Redis lost revocations") {
		t.Errorf("replica behind the log: sync reason %d (want %d), log %q", b.lastFull, syncFull, logs.String())
	}
	if b.lastFull != syncFull {
		t.Errorf("replica behind the log: sync reason %d, want %d", b.lastFull, syncFull)
	}
}
