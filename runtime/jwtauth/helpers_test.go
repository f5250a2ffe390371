package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
)

// now is the pinned time of the tests (but the RFC 7515 ones).
var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedClock() time.Time { return now }

// testKeys are generated once per test binary: RSA generation is slow.
type testKeys struct {
	secret  []byte // 64 bytes: every HS* algorithm
	rsa     *rsa.PrivateKey
	p256    *ecdsa.PrivateKey
	p384    *ecdsa.PrivateKey
	p521    *ecdsa.PrivateKey
	ed25519 ed25519.PrivateKey
}

var keysOnce = sync.OnceValue(func() *testKeys {
	k := &testKeys{secret: make([]byte, 64)}
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	_, err := rand.Read(k.secret)
	must(err)
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	must(err)
	_, k.ed25519, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

func keys(tb testing.TB) *testKeys {
	tb.Helper()
	return keysOnce()
}

// signingKey returns the private key (or secret) that signs alg, and the
// verification Key of the same pair.
func (k *testKeys) pair(alg string) (signer any, verifier Key) {
	switch {
	case strings.HasPrefix(alg, "HS"):
		return k.secret, HMAC(k.secret)
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"):
		return k.rsa, PublicKey(&k.rsa.PublicKey)
	case alg == "ES256":
		return k.p256, PublicKey(&k.p256.PublicKey)
	case alg == "ES384":
		return k.p384, PublicKey(&k.p384.PublicKey)
	case alg == "ES512":
		return k.p521, PublicKey(&k.p521.PublicKey)
	case alg == "EdDSA":
		return k.ed25519, PublicKey(k.ed25519.Public())
	}
	panic("no key for " + alg)
}

// validClaims are claims every default verifier accepts at now.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub":   "user-1",
		"jti":   "token-1",
		"exp":   now.Add(time.Hour).Unix(),
		"iat":   now.Add(-time.Minute).Unix(),
		"scope": "read write",
	}
}

// sign signs claims with method and key through golang-jwt, adding header
// members.
func sign(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	tb.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for name, v := range header {
		tok.Header[name] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatalf("signing %s: %v", method.Alg(), err)
	}
	return s
}

// rawToken builds a token from literal header and claims JSON, signed with
// method and key: for JSON that golang-jwt would not produce (repeated
// members, odd types).
func rawToken(tb testing.TB, method jwt.SigningMethod, key any, header, claims string) string {
	tb.Helper()
	input := b64u([]byte(header)) + "." + b64u([]byte(claims))
	sig, err := method.Sign(input, key)
	if err != nil {
		tb.Fatalf("signing: %v", err)
	}
	return input + "." + b64u(sig)
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// claimsJSON renders claims for rawToken.
func claimsJSON(tb testing.TB, claims jwt.MapClaims) string {
	tb.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func newVerifier(tb testing.TB, keys []Key, opts ...Option) *Verifier {
	tb.Helper()
	v, err := New(keys, append([]Option{WithClock(fixedClock)}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return v
}

// checkRejected asserts that err rejects token with want, and that neither
// the error text nor its public reason gives the token away.
func checkRejected(t *testing.T, token string, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("token accepted, want %v", want)
	}
	if !errors.Is(err, authrt.ErrInvalidCredential) {
		t.Errorf("error %v does not match authrt.ErrInvalidCredential", err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("error = %v, want %v", err, want)
	}
	reason := authrt.PublicReason(err)
	if want != nil && reason != want.(*tokenError).reason {
		t.Errorf("PublicReason = %q, want %q", reason, want.(*tokenError).reason)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 8 && (strings.Contains(err.Error(), part) || strings.Contains(reason, part)) {
			t.Errorf("error %q shows a token segment", err)
		}
	}
}

func verify(v *Verifier, token string) (*authrt.Identity, error) {
	return v.Verify(context.Background(), token)
}

// pemPublic encodes pub as a PKIX "PUBLIC KEY" PEM block.
func pemPublic(tb testing.TB, pub crypto.PublicKey) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
