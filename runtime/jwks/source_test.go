package jwks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/idptest"
	"github.com/authgen/authgen/runtime/jwtauth"
)

// clock is a settable clock for staleness and rate limits.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixture is an IdP, a Source on it and a Verifier on the Source.
type fixture struct {
	idp   *idptest.IdP
	clock *clock
	src   *Source
	v     *jwtauth.Verifier
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{idp: idptest.New(t), clock: newClock()}
	f.idp.AddKey("k1", "ES256")
	var err error
	f.src, err = New(context.Background(), f.idp.JWKSURL(),
		append([]Option{WithClock(f.clock.now), WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.src.Close() })
	f.v, err = jwtauth.NewFromSource(f.src, jwtauth.WithClock(f.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) token(t *testing.T, kid string) string {
	return f.idp.Sign(t, kid, jwt.MapClaims{"sub": "u", "exp": f.clock.now().Add(time.Hour).Unix()})
}

func (f *fixture) verify(t *testing.T, kid string) error {
	_, err := f.v.Verify(context.Background(), f.token(t, kid))
	return err
}

func TestRotation(t *testing.T) {
	f := newFixture(t)
	if err := f.verify(t, "k1"); err != nil {
		t.Fatalf("published key: %v", err)
	}
	// The provider adds k2 and signs with it before our next refresh: the
	// unknown kid causes one fetch, and the token is accepted.
	f.idp.AddKey("k2", "EdDSA")
	if err := f.verify(t, "k2"); err != nil {
		t.Fatalf("new key after refetch: %v", err)
	}
	if n := f.idp.JWKSHits.Load(); n != 2 {
		t.Errorf("%d fetches, want 2 (first, then the unknown kid)", n)
	}
	// The provider removes k1: accepted until the next refresh, refused
	// after it.
	f.idp.Unpublish("k1")
	if err := f.verify(t, "k1"); err != nil {
		t.Fatalf("removed key before the refresh: %v", err)
	}
	if err := f.src.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.verify(t, "k1"); !errors.Is(err, jwtauth.ErrUnknownKey) {
		t.Fatalf("removed key after the refresh: %v, want ErrUnknownKey", err)
	}
	if err := f.verify(t, "k2"); err != nil {
		t.Fatalf("remaining key: %v", err)
	}
}

func TestRemovedKeyLeavesCache(t *testing.T) {
	f := newFixture(t)
	f.idp.AddKey("k2", "RS256")
	f.src.Refresh(context.Background())
	v, err := jwtauth.NewFromSource(f.src, jwtauth.WithClock(f.clock.now), jwtauth.WithCache(16, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	token := f.token(t, "k1")
	for range 2 {
		if _, err := v.Verify(context.Background(), token); err != nil {
			t.Fatal(err)
		}
	}
	f.idp.Unpublish("k1")
	f.src.Refresh(context.Background())
	if _, err := v.Verify(context.Background(), token); !errors.Is(err, jwtauth.ErrUnknownKey) {
		t.Fatalf("cached token of a removed key: %v, want ErrUnknownKey", err)
	}
}

// TestOddKeyDoesNotBlockRemoval: a provider removes k1 and, in the same
// update, adds a key that does not parse (a 1024-bit RSA key) and one that
// is a kid used twice. The rest of the set is used: k1 is refused, the new
// good key accepted.
func TestOddKeyDoesNotBlockRemoval(t *testing.T) {
	f := newFixture(t)
	f.idp.Unpublish("k1")
	f.idp.AddKey("k3", "EdDSA")
	f.idp.AddRawJWK(`{"kty":"RSA","kid":"weak","n":"w` + strings.Repeat("A", 170) + `","e":"AQAB"}`)
	f.idp.AddKey("twice", "ES256")
	f.idp.AddKey("twice", "EdDSA")
	var logs strings.Builder
	f.src.cfg.logger = slog.New(slog.NewTextHandler(&logs, nil))
	if err := f.src.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if err := f.verify(t, "k1"); !errors.Is(err, jwtauth.ErrUnknownKey) {
		t.Errorf("removed key: %v, want ErrUnknownKey", err)
	}
	if err := f.verify(t, "k3"); err != nil {
		t.Errorf("added key: %v", err)
	}
	if err := f.verify(t, "twice"); !errors.Is(err, jwtauth.ErrUnknownKey) {
		t.Errorf("a kid published twice: %v, want ErrUnknownKey", err)
	}
	for _, want := range []string{`\"weak\"): jwtauth: key too weak`, `\"twice\" (2 keys`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log does not name the key %s left out:\n%s", want, logs.String())
		}
	}
}

// TestSymmetricKeyRefused: an "oct" key in a published set would let
// anyone who reads the set sign tokens; it is never used.
func TestSymmetricKeyRefused(t *testing.T) {
	f := newFixture(t)
	secret := []byte("0123456789abcdef0123456789abcdef")
	f.idp.AddRawJWK(`{"kty":"oct","kid":"hmac","alg":"HS256","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}`)
	if err := f.src.Refresh(context.Background()); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "mallory", "exp": f.clock.now().Add(time.Hour).Unix()})
	tok.Header["kid"] = "hmac"
	signed, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.v.Verify(context.Background(), signed); err == nil {
		t.Fatal("a token signed with a symmetric key from the published set was accepted")
	}
	if err := f.verify(t, "k1"); err != nil {
		t.Errorf("the set's other key: %v", err)
	}
	// A set of only symmetric keys has no usable key: a failed fetch.
	f.idp.SetBody([]byte(`{"keys":[{"kty":"oct","kid":"hmac","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}]}`))
	if err := f.src.Refresh(context.Background()); !errors.Is(err, jwtauth.ErrNoKeys) {
		t.Errorf("a set of only an oct key: %v, want ErrNoKeys", err)
	}
}

func TestUnchangedSetKeepsKeySet(t *testing.T) {
	f := newFixture(t)
	before, _ := f.src.Keys()
	f.src.Refresh(context.Background())
	after, _ := f.src.Keys()
	if before != after {
		t.Error("an identical set was swapped for a new KeySet (the cache would be flushed)")
	}
}

func TestOutage(t *testing.T) {
	tests := []struct {
		name string
		fail func(*idptest.IdP)
		want error
	}{
		{"server error", func(p *idptest.IdP) { p.Fail(http.StatusServiceUnavailable) }, nil},
		{"malformed JSON", func(p *idptest.IdP) { p.SetBody([]byte(`{"keys": [`)) }, jwtauth.ErrInvalidJWKS},
		{"not a set", func(p *idptest.IdP) { p.SetBody([]byte(`[]`)) }, jwtauth.ErrInvalidJWKS},
		{"empty set", func(p *idptest.IdP) { p.SetBody([]byte(`{"keys": []}`)) }, jwtauth.ErrInvalidJWKS},
		{"private key in the set", func(p *idptest.IdP) {
			p.SetBody([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}]}`))
		}, jwtauth.ErrInvalidJWKS},
		{"oversize", func(p *idptest.IdP) { p.SetBody([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", 5000) + `"}`)) }, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, WithMaxBodySize(4096), WithMaxStale(2*time.Hour))
			tt.fail(f.idp)
			err := f.src.Refresh(context.Background())
			if !errors.Is(err, ErrFetch) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Refresh: %v, want ErrFetch and %v", err, tt.want)
			}
			if f.src.Status().Err == nil {
				t.Error("Status does not report the failed fetch")
			}
			// The last good keys stay in use, within the bound.
			f.clock.advance(time.Hour)
			if err := f.verify(t, "k1"); err != nil {
				t.Fatalf("stale key within the bound: %v", err)
			}
			f.clock.advance(time.Hour + time.Second)
			err = f.verify(t, "k1")
			if !errors.Is(err, authrt.ErrUnavailable) || errors.Is(err, authrt.ErrInvalidCredential) {
				t.Fatalf("stale key past the bound: %v, want ErrUnavailable (503)", err)
			}
			// The provider recovers.
			f.idp.Fail(0)
			f.idp.SetBody(nil)
			if err := f.src.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := f.verify(t, "k1"); err != nil {
				t.Fatalf("after recovery: %v", err)
			}
		})
	}
}

func TestUnknownKidStorm(t *testing.T) {
	const interval = time.Minute
	f := newFixture(t, WithUnknownKeyInterval(interval))
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.verify(t, fmt.Sprint("forged-", i)); !errors.Is(err, jwtauth.ErrUnknownKey) {
				t.Errorf("forged kid: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := f.idp.JWKSHits.Load(); n != 2 {
		t.Fatalf("%d fetches for 200 unknown kids, want 2 (first, then one refetch)", n)
	}
	for range 50 {
		f.verify(t, "forged")
	}
	if n := f.idp.JWKSHits.Load(); n != 2 {
		t.Fatalf("%d fetches within the interval, want 2", n)
	}
	f.clock.advance(interval)
	f.verify(t, "forged-again")
	if n := f.idp.JWKSHits.Load(); n != 3 {
		t.Fatalf("%d fetches after the interval, want 3", n)
	}
	// A known kid never causes a fetch.
	for range 50 {
		f.verify(t, "k1")
	}
	if n := f.idp.JWKSHits.Load(); n != 3 {
		t.Fatalf("known kids caused fetches: %d", n)
	}
}

func TestBackgroundRefresh(t *testing.T) {
	f := newFixture(t, WithRefresh(20*time.Millisecond, 10*time.Millisecond, 50*time.Millisecond), WithMaxStale(time.Hour))
	f.idp.SetHeader("Cache-Control", "public, max-age=0")
	deadline := time.Now().Add(10 * time.Second)
	for f.idp.JWKSHits.Load() < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d fetches in 10 s with a 10 ms refresh", f.idp.JWKSHits.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.src.Close()
	n := f.idp.JWKSHits.Load()
	time.Sleep(60 * time.Millisecond)
	if m := f.idp.JWKSHits.Load(); m != n {
		t.Errorf("fetches went on after Close: %d then %d", n, m)
	}
}

func TestContextEndsRefresh(t *testing.T) {
	idp := idptest.New(t)
	idp.AddKey("k1", "ES256")
	ctx, cancel := context.WithCancel(context.Background())
	src, err := New(ctx, idp.JWKSURL(), WithRefresh(10*time.Millisecond, 10*time.Millisecond, 10*time.Millisecond), WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	src.Close() // waits for the goroutines that ctx ended
	if _, err := src.Keys(); err != nil {
		t.Errorf("Keys after the context ended: %v", err)
	}
}

func TestNewFails(t *testing.T) {
	idp := idptest.New(t)
	idp.AddKey("k1", "ES256")
	down := idptest.New(t)
	down.Fail(http.StatusBadGateway)
	tests := []struct {
		name string
		url  string
		opts []Option
		want error
	}{
		{"plain http to a remote host", "http://idp.example.com/jwks", nil, ErrInsecureURL},
		{"not a URL", "jwks.json", nil, nil},
		{"provider down", down.JWKSURL(), nil, ErrFetch},
		{"bad refresh bounds", idp.JWKSURL(), []Option{WithRefresh(time.Minute, time.Hour, time.Minute)}, ErrInvalidOption},
		{"default outside bounds", idp.JWKSURL(), []Option{WithRefresh(time.Second, time.Minute, time.Hour)}, ErrInvalidOption},
		{"stale bound under the refresh", idp.JWKSURL(), []Option{WithMaxStale(time.Minute)}, ErrInvalidOption},
		{"zero unknown-key interval", idp.JWKSURL(), []Option{WithUnknownKeyInterval(0)}, ErrInvalidOption},
		{"tiny body limit", idp.JWKSURL(), []Option{WithMaxBodySize(1)}, ErrInvalidOption},
		{"zero timeout", idp.JWKSURL(), []Option{WithTimeout(0)}, ErrInvalidOption},
		{"nil client", idp.JWKSURL(), []Option{WithHTTPClient(nil)}, ErrInvalidOption},
		{"nil option", idp.JWKSURL(), []Option{nil}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := New(context.Background(), tt.url, append([]Option{WithLogger(quiet)}, tt.opts...)...)
			if err == nil {
				src.Close()
				t.Fatal("New succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("New: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRefreshDelay(t *testing.T) {
	cfg := defaultConfig()
	tests := []struct {
		header map[string]string
		want   time.Duration
	}{
		{nil, DefaultRefresh},
		{map[string]string{"Cache-Control": "max-age=300"}, 5 * time.Minute},
		{map[string]string{"Cache-Control": "public, max-age=\"600\", must-revalidate"}, 10 * time.Minute},
		{map[string]string{"Cache-Control": "max-age=300", "Age": "120"}, 3 * time.Minute},
		{map[string]string{"Cache-Control": "max-age=300", "Age": "1000"}, DefaultMinRefresh},
		{map[string]string{"Cache-Control": "max-age=5"}, DefaultMinRefresh},
		{map[string]string{"Cache-Control": "max-age=86400"}, DefaultMaxRefresh},
		{map[string]string{"Cache-Control": "max-age=99999999999999999999"}, DefaultRefresh},
		{map[string]string{"Cache-Control": "no-cache"}, DefaultMinRefresh},
		{map[string]string{"Cache-Control": "max-age=600, no-store"}, DefaultMinRefresh},
		{map[string]string{"Cache-Control": "max-age=-1"}, DefaultRefresh},
		{map[string]string{"Cache-Control": "max-age=1200, max-age=900"}, 15 * time.Minute},
		{map[string]string{"Expires": "Thu, 01 Jan 2099 00:00:00 GMT"}, DefaultRefresh},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.header {
			h.Set(k, v)
		}
		if got := refreshDelay(h, &cfg); got != tt.want {
			t.Errorf("refreshDelay(%v) = %v, want %v", tt.header, got, tt.want)
		}
	}
}
