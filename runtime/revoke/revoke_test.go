package revoke

import (
	"context"
	"crypto/rand"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/jwtauth"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type clock struct{ ns atomic.Int64 }

func newClock() *clock                   { c := &clock{}; c.ns.Store(t0.UnixNano()); return c }
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestMemoryRevoke(t *testing.T) {
	tests := []struct {
		name    string
		jti     string
		exp     time.Time
		wantErr error
		want    bool
	}{
		{name: "live token", jti: "a", exp: t0.Add(time.Hour), want: true},
		{name: "expired within the grace", jti: "a", exp: t0.Add(-30 * time.Second), want: true},
		{name: "dead token is not stored", jti: "a", exp: t0.Add(-time.Hour)},
		{name: "far future", jti: "a", exp: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), want: true},
		{name: "no jti", exp: t0.Add(time.Hour), wantErr: ErrNoJTI},
		{name: "no exp", jti: "a", wantErr: ErrNoExpiry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			m, err := NewMemory(WithClock(c.now))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Revoke(context.Background(), tt.jti, tt.exp); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Revoke: %v, want %v", err, tt.wantErr)
			}
			if got, err := m.Revoked("a"); got != tt.want || err != nil {
				t.Errorf("Revoked = %v, %v; want %v", got, err, tt.want)
			}
			if got, _ := m.Revoked("b"); got {
				t.Error("an unlisted jti is revoked")
			}
		})
	}
}

func TestMemoryDropsEntriesAfterExpiry(t *testing.T) {
	c := newClock()
	m, _ := NewMemory(WithClock(c.now), WithGrace(30*time.Second))
	ctx := context.Background()
	m.Revoke(ctx, "short", t0.Add(time.Minute))
	m.Revoke(ctx, "long", t0.Add(time.Hour))
	m.Revoke(ctx, "long", t0.Add(time.Minute)) // an earlier exp does not shorten
	c.advance(2 * time.Minute)
	m.Revoke(ctx, "new", t0.Add(time.Hour)) // sweeps
	if m.Len() != 2 {
		t.Fatalf("%d entries after the sweep, want 2 (long, new)", m.Len())
	}
	if r, _ := m.Revoked("short"); r {
		t.Error("short survived its exp plus grace")
	}
	c.advance(time.Hour)
	m.Sweep()
	if m.Len() != 0 {
		t.Errorf("%d entries after every exp, want 0", m.Len())
	}
}

func TestToken(t *testing.T) {
	m, _ := NewMemory()
	ctx := context.Background()
	if err := Token(ctx, m, nil); !errors.Is(err, ErrNoJTI) {
		t.Errorf("Token(nil): %v", err)
	}
	if err := Token(ctx, m, &authrt.Identity{ExpiresAt: time.Now().Add(time.Hour)}); !errors.Is(err, ErrNoJTI) {
		t.Errorf("Token without jti: %v", err)
	}
	if err := Token(ctx, m, &authrt.Identity{KeyID: "x"}); !errors.Is(err, ErrNoExpiry) {
		t.Errorf("Token without exp: %v", err)
	}
	if err := Token(ctx, m, &authrt.Identity{KeyID: "x", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Errorf("Token: %v", err)
	}
	if r, _ := m.Revoked("x"); !r {
		t.Error("Token did not revoke")
	}
}

func TestOptions(t *testing.T) {
	for _, o := range []Option{nil, WithGrace(-1), WithClock(nil)} {
		if _, err := NewMemory(o); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("NewMemory: %v, want ErrInvalidOption", err)
		}
	}
}

func TestRevokedDoesNotAllocate(t *testing.T) {
	m, _ := NewMemory()
	m.Revoke(context.Background(), "a", time.Now().Add(time.Hour))
	if n := testing.AllocsPerRun(100, func() { m.Revoked("a"); m.Revoked("b") }); n != 0 {
		t.Errorf("Revoked allocates %v times", n)
	}
}

// TestWithVerifier revokes a token that a caching verifier has accepted.
func TestWithVerifier(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	m, _ := NewMemory()
	v, err := jwtauth.New([]jwtauth.Key{jwtauth.HMAC(secret)}, jwtauth.WithRevocation(m), jwtauth.WithCache(16, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "alice", "jti": "t-1", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	ctx := context.Background()
	id, err := v.Verify(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := Token(ctx, m, id); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, token); !errors.Is(err, jwtauth.ErrTokenRevoked) {
		t.Fatalf("Verify of a revoked token: %v, want ErrTokenRevoked", err)
	}
}
