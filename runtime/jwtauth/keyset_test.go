package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
)

// fakeSource is a KeySource whose sets tests swap.
type fakeSource struct {
	mu      sync.Mutex
	current *KeySet
	next    *KeySet // what KeysFor switches to, if set
	err     error
	asked   []string // kids KeysFor was asked for
}

func (s *fakeSource) Keys() (*KeySet, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current, s.err
}

func (s *fakeSource) KeysFor(_ context.Context, kid string) *KeySet {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, kid)
	if s.next != nil {
		s.current, s.next = s.next, nil
	}
	return s.current
}

func (s *fakeSource) swap(set *KeySet) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = set
}

func mustKeySet(t *testing.T, keys ...Key) *KeySet {
	t.Helper()
	set, err := NewKeySet(keys)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestNewKeySet(t *testing.T) {
	k := keys(t)
	tests := []struct {
		name    string
		keys    []Key
		wantErr error
		wantLen int
	}{
		{name: "empty", wantErr: ErrNoKeys},
		{name: "weak secret", keys: []Key{HMAC([]byte("short"))}, wantErr: ErrWeakKey},
		{name: "duplicate kid", keys: []Key{HMAC(k.secret, WithKeyID("a")), PublicKey(&k.rsa.PublicKey, WithKeyID("a"))}, wantErr: ErrDuplicateKeyID},
		{name: "two keys", keys: []Key{HMAC(k.secret, WithKeyID("a")), PublicKey(&k.rsa.PublicKey, WithKeyID("b"))}, wantLen: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := NewKeySet(tt.keys)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("NewKeySet: %v, want %v", err, tt.wantErr)
			}
			if err == nil && (set.Len() != tt.wantLen || !set.HasKeyID("a") || set.HasKeyID("c")) {
				t.Errorf("set of %d keys, want %d with kid a", set.Len(), tt.wantLen)
			}
		})
	}
	a, b := mustKeySet(t, HMAC(k.secret)), mustKeySet(t, HMAC(k.secret))
	if a.gen == b.gen {
		t.Error("two key sets share a generation")
	}
}

func TestVerifierFromSource(t *testing.T) {
	k := keys(t)
	rsaOld := PublicKey(&k.rsa.PublicKey, WithKeyID("old"))
	ecNew := PublicKey(&k.p256.PublicKey, WithKeyID("new"))
	withKid := func(alg, kid string) string {
		signer, _ := k.pair(alg)
		return sign(t, jwt.GetSigningMethod(alg), signer, validClaims(), map[string]any{"kid": kid})
	}
	tests := []struct {
		name      string
		current   *KeySet
		next      *KeySet
		srcErr    error
		opts      []Option
		token     string
		wantErr   error
		wantAsked int
	}{
		{name: "known kid", current: mustKeySet(t, rsaOld), token: withKid("RS256", "old")},
		{name: "rotated in after refetch", current: mustKeySet(t, rsaOld), next: mustKeySet(t, rsaOld, ecNew), token: withKid("ES256", "new"), wantAsked: 1},
		{name: "unknown kid, no newer keys", current: mustKeySet(t, rsaOld), token: withKid("RS256", "new"), wantErr: ErrUnknownKey, wantAsked: 1},
		{name: "algorithm not allowed is not refetched", current: mustKeySet(t, rsaOld), opts: []Option{WithAlgorithms("RS256")}, token: withKid("ES256", "new"), wantErr: ErrUnsupportedAlgorithm},
		{name: "allowed algorithm of the new set", current: mustKeySet(t, rsaOld), next: mustKeySet(t, ecNew), opts: []Option{WithAlgorithms("ES256")}, token: withKid("ES256", "new"), wantAsked: 1},
		{name: "WithAlgorithms narrows every set", current: mustKeySet(t, rsaOld, ecNew), opts: []Option{WithAlgorithms("ES256")}, token: withKid("RS256", "old"), wantErr: ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fakeSource{current: tt.current, next: tt.next, err: tt.srcErr}
			v, err := NewFromSource(src, append([]Option{WithClock(fixedClock)}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = verify(v, tt.token)
			if tt.wantErr != nil {
				checkRejected(t, tt.token, err, tt.wantErr)
			} else if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if len(src.asked) != tt.wantAsked {
				t.Errorf("KeysFor called %d times (%v), want %d", len(src.asked), src.asked, tt.wantAsked)
			}
		})
	}
}

func TestVerifierSourceUnavailable(t *testing.T) {
	k := keys(t)
	token := sign(t, jwt.SigningMethodHS256, k.secret, validClaims(), nil)
	for _, srcErr := range []error{
		fmt.Errorf("keys too old: %w", authrt.ErrUnavailable),
		authrt.Reject("a source must not reject the client"),
	} {
		v, err := NewFromSource(&fakeSource{err: srcErr}, WithClock(fixedClock))
		if err != nil {
			t.Fatal(err)
		}
		_, err = verify(v, token)
		if err == nil || errors.Is(err, authrt.ErrInvalidCredential) || !errors.Is(err, authrt.ErrUnavailable) {
			t.Errorf("Verify with a failing source: %v, want ErrUnavailable only", err)
		}
	}
	if _, err := NewFromSource(nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("NewFromSource(nil): %v", err)
	}
}

// TestCacheDropsResultsOfReplacedKeys: a token verified with a key that the
// source then removed is not served from the cache.
func TestCacheDropsResultsOfReplacedKeys(t *testing.T) {
	k := keys(t)
	a := HMAC(k.secret, WithKeyID("a"))
	b := HMAC([]byte("another secret of at least 32 bytes!"), WithKeyID("b"))
	token := sign(t, jwt.SigningMethodHS256, k.secret, validClaims(), map[string]any{"kid": "a"})
	src := &fakeSource{current: mustKeySet(t, a, b)}
	v, err := NewFromSource(src, WithClock(fixedClock), WithCache(8, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	first, err := verify(v, token)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := verify(v, token); again != first {
		t.Fatal("second Verify was not a cache hit")
	}
	src.swap(mustKeySet(t, a, b)) // same keys, new set: verified again
	again, err := verify(v, token)
	if err != nil || again == first {
		t.Fatalf("after a key set change: %v, cache hit %v", err, again == first)
	}
	src.swap(mustKeySet(t, b)) // key a removed
	_, err = verify(v, token)
	checkRejected(t, token, err, ErrUnknownKey)
}
