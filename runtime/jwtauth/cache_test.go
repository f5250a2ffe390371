package jwtauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
)

// movingClock is a clock that tests set.
type movingClock struct{ ns atomic.Int64 }

func newMovingClock(t time.Time) *movingClock {
	c := &movingClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *movingClock) now() time.Time           { return time.Unix(0, c.ns.Load()) }
func (c *movingClock) advance(d time.Duration)  { c.ns.Add(int64(d)) }
func (c *movingClock) option() Option           { return WithClock(c.now) }
func (c *movingClock) since(t time.Time) string { return c.now().Sub(t).String() }

// fakeList is a RevocationList over a map; err, when set, is its answer.
type fakeList struct {
	mu      sync.Mutex
	revoked map[string]bool
	err     error
}

func (l *fakeList) Revoked(jti string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.revoked[jti], l.err
}

func (l *fakeList) revoke(jti string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.revoked == nil {
		l.revoked = map[string]bool{}
	}
	l.revoked[jti] = true
}

func TestCacheServesOnlyLiveVerifiedTokens(t *testing.T) {
	k := keys(t)
	exp := now.Add(time.Hour)
	claims := validClaims()
	claims["exp"] = exp.Unix()
	token := sign(t, jwt.SigningMethodHS256, k.secret, claims, nil)
	other := validClaims()
	other["jti"] = "token-2"
	forged := sign(t, jwt.SigningMethodHS256, []byte("another secret of at least 32 bytes!"), other, nil)

	tests := []struct {
		name      string
		token     string
		cacheTTL  time.Duration
		advance   time.Duration // after the first verification
		revoke    bool
		wantErr   error // of the second verification
		wantSame  bool  // the second verification is a cache hit
		wantEntry int
	}{
		{name: "repeat is a hit", token: token, cacheTTL: 10 * time.Minute, advance: time.Minute, wantSame: true, wantEntry: 1},
		{name: "past max TTL is verified again", token: token, cacheTTL: 10 * time.Minute, advance: 11 * time.Minute, wantEntry: 1},
		// At exp+1s the leeway still admits the token, but not the cache.
		{name: "past exp is verified again", token: token, cacheTTL: 10 * time.Hour, advance: time.Hour + time.Second, wantEntry: 1},
		{name: "past exp and leeway is refused", token: token, cacheTTL: 10 * time.Hour, advance: time.Hour + DefaultLeeway + time.Second, wantErr: ErrTokenExpired, wantEntry: 1},
		{name: "revoked after caching is refused", token: token, cacheTTL: 10 * time.Minute, revoke: true, wantErr: ErrTokenRevoked, wantEntry: 1},
		{name: "bad signature is never cached", token: forged, cacheTTL: 10 * time.Minute, wantErr: ErrSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newMovingClock(now)
			list := &fakeList{}
			v := newVerifier(t, []Key{HMAC(k.secret)}, clock.option(), WithCache(16, tt.cacheTTL), WithRevocation(list))
			first, err1 := verify(v, tt.token)
			clock.advance(tt.advance)
			if tt.revoke {
				list.revoke("token-1")
			}
			second, err2 := verify(v, tt.token)
			if tt.wantErr != nil {
				checkRejected(t, tt.token, err2, tt.wantErr)
			} else {
				if err1 != nil || err2 != nil {
					t.Fatalf("Verify: %v, %v (clock +%s)", err1, err2, clock.since(now))
				}
				if same := first == second; same != tt.wantSame {
					t.Errorf("second Verify returned the cached identity: %v, want %v", same, tt.wantSame)
				}
			}
			if n := v.cache.len(); n != tt.wantEntry {
				t.Errorf("cache holds %d entries, want %d", n, tt.wantEntry)
			}
		})
	}
}

// TestCacheKeyedBySignatureChecksTheRest: entries are found by the hash
// of the signature, but only a token identical to the verified one hits.
// A token carrying a cached token's signature over other claims (or
// another header) is verified, and refused.
func TestCacheKeyedBySignatureChecksTheRest(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, []Key{HMAC(k.secret)}, WithCache(16, time.Hour))
	token := sign(t, jwt.SigningMethodHS256, k.secret, validClaims(), nil)
	id, err := verify(v, token)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	richer := validClaims()
	richer["scope"] = "admin"
	payload, _ := json.Marshal(richer)
	for name, altered := range map[string]string{
		"other claims": parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2],
		"other header": base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"x"}`)) + "." + parts[1] + "." + parts[2],
		"claims cut":   parts[0] + "." + parts[1][:len(parts[1])-4] + "." + parts[2],
	} {
		got, err := verify(v, altered)
		if err == nil || got == id {
			t.Errorf("%s with a cached token's signature: %v, cached identity %v", name, err, got == id)
		}
	}
	if again, err := verify(v, token); err != nil || again != id {
		t.Errorf("the verified token again: %v, cache hit %v", err, again == id)
	}
	for i := range v.cache.shards {
		for _, e := range v.cache.shards[i].index {
			if strings.Contains(e.signed, parts[2]) || e.signed != parts[0]+"."+parts[1] {
				t.Errorf("entry keeps %q: want the signed part only, never the signature", e.signed)
			}
		}
	}
}

func TestCacheRevocationUnavailable(t *testing.T) {
	k := keys(t)
	token := sign(t, jwt.SigningMethodHS256, k.secret, validClaims(), nil)
	list := &fakeList{}
	v := newVerifier(t, []Key{HMAC(k.secret)}, WithCache(16, time.Minute), WithRevocation(list))
	if _, err := verify(v, token); err != nil {
		t.Fatal(err)
	}
	list.err = fmt.Errorf("replica out of date: %w", authrt.ErrUnavailable)
	_, err := verify(v, token)
	if !errors.Is(err, authrt.ErrUnavailable) || errors.Is(err, authrt.ErrInvalidCredential) {
		t.Fatalf("Verify with an unavailable list: %v, want ErrUnavailable and not ErrInvalidCredential", err)
	}
}

func TestCacheTokenWithoutExpiry(t *testing.T) {
	k := keys(t)
	claims := validClaims()
	delete(claims, "exp")
	token := sign(t, jwt.SigningMethodHS256, k.secret, claims, nil)
	clock := newMovingClock(now)
	v := newVerifier(t, []Key{HMAC(k.secret)}, clock.option(), WithoutExpirationRequired(), WithCache(4, time.Minute))
	a, _ := verify(v, token)
	b, _ := verify(v, token)
	clock.advance(time.Minute)
	c, err := verify(v, token)
	if err != nil || a != b || b == c {
		t.Fatalf("without exp the entry must live for the TTL only: hit %v, expired %v, err %v", a == b, b != c, err)
	}
}

func TestCacheBounded(t *testing.T) {
	k := keys(t)
	for _, size := range []int{1, 4, 100, 300, 1000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			v := newVerifier(t, []Key{HMAC(k.secret)}, WithCache(size, time.Hour))
			tokens := make([]string, 2*size+10)
			for i := range tokens {
				c := validClaims()
				c["jti"] = fmt.Sprint("t", i)
				tokens[i] = sign(t, jwt.SigningMethodHS256, k.secret, c, nil)
			}
			for round := 0; round < 2; round++ {
				for _, tok := range tokens {
					if _, err := verify(v, tok); err != nil {
						t.Fatal(err)
					}
				}
			}
			if n := v.cache.len(); n > size || n == 0 {
				t.Errorf("cache holds %d entries, limit %d", n, size)
			}
		})
	}
}

// TestCacheKeepsUsedEntries shows the CLOCK policy: a token used again
// survives a stream of tokens seen once.
func TestCacheKeepsUsedEntries(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, []Key{HMAC(k.secret)}, WithCache(8, time.Hour))
	hot := sign(t, jwt.SigningMethodHS256, k.secret, validClaims(), nil)
	first, _ := verify(v, hot)
	for i := 0; i < 50; i++ {
		c := validClaims()
		c["jti"] = fmt.Sprint("cold", i)
		if _, err := verify(v, sign(t, jwt.SigningMethodHS256, k.secret, c, nil)); err != nil {
			t.Fatal(err)
		}
		if id, _ := verify(v, hot); id != first {
			t.Fatalf("the hot token was evicted after %d cold ones", i+1)
		}
	}
}

func TestCacheHitDoesNotAllocate(t *testing.T) {
	k := keys(t)
	token := sign(t, jwt.SigningMethodHS256, k.secret, validClaims(), nil)
	for _, opts := range [][]Option{
		{WithCache(64, time.Minute)},
		{WithCache(1024, time.Minute), WithRevocation(&fakeList{})},
	} {
		v := newVerifier(t, []Key{HMAC(k.secret)}, opts...)
		if _, err := verify(v, token); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if n := testing.AllocsPerRun(100, func() { v.Verify(ctx, token) }); n != 0 {
			t.Errorf("a cache hit allocates %v times", n)
		}
	}
}

func TestCacheConcurrent(t *testing.T) {
	k := keys(t)
	list := &fakeList{}
	v := newVerifier(t, []Key{HMAC(k.secret)}, WithCache(300, time.Hour), WithRevocation(list))
	tokens := make([]string, 400)
	for i := range tokens {
		c := validClaims()
		c["jti"] = fmt.Sprint("c", i)
		tokens[i] = sign(t, jwt.SigningMethodHS256, k.secret, c, nil)
	}
	list.revoke("c7")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				j := (i*7 + g*13) % len(tokens)
				id, err := verify(v, tokens[j])
				if j == 7 {
					if !errors.Is(err, ErrTokenRevoked) {
						t.Errorf("revoked token: %v", err)
					}
					continue
				}
				if err != nil || id.KeyID != fmt.Sprint("c", j) {
					t.Errorf("token %d: %v, %+v", j, err, id)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := v.cache.len(); n > 300 {
		t.Errorf("cache holds %d entries, limit 300", n)
	}
}

func TestWithCacheRefusesBadValues(t *testing.T) {
	k := keys(t)
	for _, tt := range []struct {
		size int
		ttl  time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {MaxCacheEntries + 1, time.Minute}, {10, 0}, {10, -time.Second}} {
		if _, err := New([]Key{HMAC(k.secret)}, WithCache(tt.size, tt.ttl)); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("WithCache(%d, %v): %v, want ErrInvalidOption", tt.size, tt.ttl, err)
		}
	}
	if _, err := New([]Key{HMAC(k.secret)}, WithRevocation(nil)); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("WithRevocation(nil): %v, want ErrInvalidOption", err)
	}
}
