package issuerredis

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/redistest"
	"github.com/authgen/authgen/runtime/issuer"
	"github.com/authgen/authgen/runtime/issuer/issuertest"
)

func newClient(t *testing.T, s *redistest.Server) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestStore(t *testing.T) {
	s := redistest.Start(t)
	n := 0
	issuertest.Run(t, func(t *testing.T) issuer.Store {
		n++ // a prefix per test: one Redis, independent stores
		st, err := New(newClient(t, s), WithPrefix("test"+string(rune('a'+n))))
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// TestTwoReplicas: a token issued by one replica is refreshed by another,
// and reuse is detected by a third.
func TestTwoReplicas(t *testing.T) {
	s := redistest.Start(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := issuer.NewSigner(key)
	replica := func() *issuer.Issuer {
		st, _ := New(newClient(t, s))
		i, err := issuer.New(signer, st, issuer.WithIssuer("https://auth.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	a, b, c := replica(), replica(), replica()
	ctx := context.Background()
	tok, err := a.Issue(ctx, "alice", []string{"chat", "embed"}, map[string]any{"plan": "pro"})
	if err != nil {
		t.Fatal(err)
	}
	next, err := b.Refresh(ctx, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if next.Scope != "chat embed" {
		t.Errorf("scope %q after a refresh on another replica", next.Scope)
	}
	if _, err := c.Refresh(ctx, tok.RefreshToken); !errors.Is(err, issuer.ErrRefreshTokenReused) {
		t.Fatalf("reuse on a third replica: %v", err)
	}
	if _, err := a.Refresh(ctx, next.RefreshToken); !errors.Is(err, issuer.ErrInvalidRefreshToken) {
		t.Fatalf("current token of the revoked session: %v", err)
	}
}

func TestOutage(t *testing.T) {
	s := redistest.Start(t)
	st, _ := New(newClient(t, s))
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, _ := issuer.NewSigner(key)
	i, _ := issuer.New(signer, st, issuer.WithIssuer("https://auth.example.com"))
	ctx := context.Background()
	tok, err := i.Issue(ctx, "alice", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	for name, err := range map[string]error{
		"Issue":   func() error { _, err := i.Issue(ctx, "bob", nil, nil); return err }(),
		"Refresh": func() error { _, err := i.Refresh(ctx, tok.RefreshToken); return err }(),
		"Revoke":  i.Revoke(ctx, tok.RefreshToken),
	} {
		if !errors.Is(err, authrt.ErrUnavailable) || errors.Is(err, issuer.ErrInvalidRefreshToken) {
			t.Errorf("%s with Redis down: %v, want ErrUnavailable", name, err)
		}
	}
}

func TestNewFails(t *testing.T) {
	s := redistest.Start(t)
	for _, opts := range [][]Option{{nil}, {WithPrefix("")}, {WithPrefix("a{b")}} {
		if _, err := New(newClient(t, s), opts...); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("New: %v, want ErrInvalidOption", err)
		}
	}
	if _, err := New(nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("New(nil): %v", err)
	}
}
