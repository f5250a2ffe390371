package jwtauth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestKeySelection(t *testing.T) {
	k := keys(t)
	secretA := []byte(strings.Repeat("a", 64))
	secretB := []byte(strings.Repeat("b", 64))
	v := newVerifier(t, []Key{
		HMAC(secretA, WithKeyID("a"), WithKeyAlgorithm("HS256")),
		HMAC(secretB, WithKeyID("b")),
		PublicKey(&k.p256.PublicKey, WithKeyID("ec")),
	})
	hs256, hs512 := jwt.SigningMethodHS256, jwt.SigningMethodHS512
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"kid a", sign(t, hs256, secretA, validClaims(), map[string]any{"kid": "a"}), nil},
		{"kid b", sign(t, hs256, secretB, validClaims(), map[string]any{"kid": "b"}), nil},
		{"kid b HS512", sign(t, hs512, secretB, validClaims(), map[string]any{"kid": "b"}), nil},
		{"kid ec", sign(t, jwt.SigningMethodES256, k.p256, validClaims(), map[string]any{"kid": "ec"}), nil},
		{"no kid, first key", sign(t, hs256, secretA, validClaims(), nil), nil},
		{"no kid, second key", sign(t, hs256, secretB, validClaims(), nil), nil},
		{"kid a, signed by b", sign(t, hs256, secretB, validClaims(), map[string]any{"kid": "a"}), ErrSignatureInvalid},
		{"kid a restricted to HS256", sign(t, hs512, secretA, validClaims(), map[string]any{"kid": "a"}), ErrUnsupportedAlgorithm},
		{"kid ec with HS256", sign(t, hs256, secretA, validClaims(), map[string]any{"kid": "ec"}), ErrUnsupportedAlgorithm},
		{"unknown kid", sign(t, hs256, secretA, validClaims(), map[string]any{"kid": "c"}), ErrUnknownKey},
		{"empty kid", sign(t, hs256, secretA, validClaims(), map[string]any{"kid": ""}), ErrUnknownKey},
		{"kid not a string", sign(t, hs256, secretA, validClaims(), map[string]any{"kid": 1}), ErrMalformed},
		{"no kid, HS512 with key a (restricted to HS256)", sign(t, hs512, secretA, validClaims(), nil), ErrSignatureInvalid},
		{"no kid, unknown secret", sign(t, hs256, []byte(strings.Repeat("c", 64)), validClaims(), nil), ErrSignatureInvalid},
		{"jku and jwk ignored", sign(t, hs256, secretA, validClaims(), map[string]any{
			"kid": "a", "jku": "https://attacker.example/jwks", "x5u": "https://attacker.example/cert",
			"jwk": map[string]any{"kty": "oct", "k": "AAAA"}}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verify(v, tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkRejected(t, tt.token, err, tt.want)
		})
	}
}

// TestKeyWithoutKidKeepsItsAlgorithms: without a kid, each key is tried
// only with the algorithms it allows. A 32-byte secret allows HS256 alone
// (an HMAC key at least as long as the hash); beside a 64-byte secret, which
// makes HS512 acceptable for the verifier, an HS512 token signed with the
// short secret must still fail.
func TestKeyWithoutKidKeepsItsAlgorithms(t *testing.T) {
	short := []byte(strings.Repeat("s", 32))
	long := []byte(strings.Repeat("l", 64))
	v := newVerifier(t, []Key{HMAC(short), HMAC(long)})
	token := sign(t, jwt.SigningMethodHS512, short, validClaims(), nil)
	_, err := verify(v, token)
	checkRejected(t, token, err, ErrSignatureInvalid)
	if _, err := verify(v, sign(t, jwt.SigningMethodHS512, long, validClaims(), nil)); err != nil {
		t.Errorf("HS512 with the 64-byte secret: %v", err)
	}
}

// TestKeyTriesBounded: without a kid only the first maxKeyTries keys that
// allow the algorithm are tried.
func TestKeyTriesBounded(t *testing.T) {
	var ks []Key
	var last []byte
	for i := 0; i <= maxKeyTries; i++ {
		last = []byte(strings.Repeat(string(rune('a'+i)), 32))
		ks = append(ks, HMAC(last))
	}
	v := newVerifier(t, ks)
	token := sign(t, jwt.SigningMethodHS256, last, validClaims(), nil)
	_, err := verify(v, token)
	checkRejected(t, token, err, ErrSignatureInvalid)
}

// TestConcurrentVerify runs one Verifier from many goroutines, for -race.
func TestConcurrentVerify(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, []Key{HMAC(k.secret, WithKeyID("h")), PublicKey(&k.p256.PublicKey, WithKeyID("e"))},
		WithAudience("api"))
	good := []string{
		sign(t, jwt.SigningMethodHS256, k.secret, jwt.MapClaims{"exp": now.Add(time.Hour).Unix(), "aud": "api"}, map[string]any{"kid": "h"}),
		sign(t, jwt.SigningMethodES256, k.p256, jwt.MapClaims{"exp": now.Add(time.Hour).Unix(), "aud": "api"}, map[string]any{"kid": "e"}),
	}
	bad := sign(t, jwt.SigningMethodHS256, k.secret, jwt.MapClaims{"exp": now.Add(time.Hour).Unix(), "aud": "web"}, nil)
	errs := make(chan error, 16)
	for g := 0; g < cap(errs); g++ {
		go func() {
			for i := 0; i < 50; i++ {
				if _, err := verify(v, good[(g+i)%2]); err != nil {
					errs <- err
					return
				}
				if _, err := verify(v, bad); !errors.Is(err, ErrInvalidAudience) {
					errs <- fmt.Errorf("bad token: %v", err)
					return
				}
			}
			errs <- nil
		}()
	}
	for g := 0; g < cap(errs); g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
