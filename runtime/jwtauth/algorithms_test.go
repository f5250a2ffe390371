package jwtauth

import (
	"crypto/rsa"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

var allAlgorithms = []string{
	"HS256", "HS384", "HS512",
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// TestEveryAlgorithm signs with golang-jwt and freshly generated keys, and
// checks each algorithm verifies with its key and no other kind of key.
func TestEveryAlgorithm(t *testing.T) {
	k := keys(t)
	for _, alg := range allAlgorithms {
		t.Run(alg, func(t *testing.T) {
			signer, key := k.pair(alg)
			token := sign(t, jwt.GetSigningMethod(alg), signer, validClaims(), map[string]any{"typ": "at+jwt"})
			id, err := verify(newVerifier(t, []Key{key}), token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.Subject != "user-1" {
				t.Errorf("Subject = %q", id.Subject)
			}
			for _, other := range allAlgorithms {
				_, otherKey := k.pair(other)
				if sameKind(alg, other) {
					continue
				}
				_, err := verify(newVerifier(t, []Key{otherKey}), token)
				checkRejected(t, token, err, ErrUnsupportedAlgorithm)
			}
		})
	}
}

// sameKind reports whether the keys of a and b are the same key.
func sameKind(a, b string) bool {
	family := func(alg string) string {
		switch alg[:2] {
		case "RS", "PS":
			return "RSA"
		case "ES":
			return alg
		}
		return alg[:2]
	}
	return family(a) == family(b)
}

func TestAlgorithmsForKeys(t *testing.T) {
	k := keys(t)
	tests := []struct {
		key  Key
		want string
	}{
		{HMAC(k.secret[:32]), "HS256"},
		{HMAC(k.secret[:48]), "HS256, HS384"},
		{HMAC(k.secret), "HS256, HS384, HS512"},
		{HMAC(k.secret, WithKeyAlgorithm("HS384")), "HS384"},
		{PublicKey(&k.rsa.PublicKey), "RS256, RS384, RS512, PS256, PS384, PS512"},
		{PublicKey(&k.rsa.PublicKey, WithKeyAlgorithm("PS512")), "PS512"},
		{PublicKey(&k.p256.PublicKey), "ES256"},
		{PublicKey(&k.p384.PublicKey), "ES384"},
		{PublicKey(&k.p521.PublicKey), "ES512"},
		{PublicKey(k.ed25519.Public()), "EdDSA"},
	}
	for _, tt := range tests {
		vk, err := prepareKey(tt.key)
		if err != nil {
			t.Errorf("%s: %v", tt.want, err)
			continue
		}
		if got := vk.algs.names(); got != tt.want {
			t.Errorf("algorithms = %s, want %s", got, tt.want)
		}
	}
}

// TestPSSSaltLength: RFC 7518 section 3.5 fixes the salt to the hash size.
// golang-jwt's own PS256 accepts any salt; ours must not.
func TestPSSSaltLength(t *testing.T) {
	k := keys(t)
	shortSalt := &jwt.SigningMethodRSAPSS{
		SigningMethodRSA: jwt.SigningMethodPS256.SigningMethodRSA,
		Options:          &rsa.PSSOptions{SaltLength: 20},
	}
	v := newVerifier(t, []Key{PublicKey(&k.rsa.PublicKey)})

	good := sign(t, jwt.SigningMethodPS256, k.rsa, validClaims(), nil)
	if _, err := verify(v, good); err != nil {
		t.Fatalf("PS256 with a 32-byte salt: %v", err)
	}

	bad := sign(t, shortSalt, k.rsa, validClaims(), nil)
	_, err := verify(v, bad)
	checkRejected(t, bad, err, ErrSignatureInvalid)

	if _, err := jwt.Parse(bad, func(*jwt.Token) (any, error) { return &k.rsa.PublicKey, nil },
		jwt.WithTimeFunc(fixedClock)); err != nil {
		t.Logf("golang-jwt now refuses other salt lengths too: %v", err)
	}
	// Our methods must not have replaced golang-jwt's registered ones.
	if jwt.GetSigningMethod("PS256") != jwt.SigningMethodPS256 {
		t.Error("the global PS256 method was replaced")
	}
}

func TestCurveBinding(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, []Key{PublicKey(&k.p384.PublicKey)})
	// ES256 signed by a P-384 key is not even a valid ES256 signature, but
	// the curve check refuses it before any signature check.
	token := sign(t, jwt.SigningMethodES256, k.p256, validClaims(), nil)
	_, err := verify(v, token)
	checkRejected(t, token, err, ErrUnsupportedAlgorithm)
}
