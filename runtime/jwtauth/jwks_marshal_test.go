package jwtauth

import (
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestMarshalJWKSRoundTrip(t *testing.T) {
	k := keys(t)
	in := []Key{
		PublicKey(&k.rsa.PublicKey, WithKeyID("rsa"), WithKeyAlgorithm("PS256")),
		PublicKey(&k.p256.PublicKey, WithKeyID("p256")),
		PublicKey(&k.p384.PublicKey, WithKeyID("p384")),
		PublicKey(&k.p521.PublicKey, WithKeyID("p521")),
		PublicKey(k.ed25519.Public(), WithKeyID("ed")),
	}
	data, err := MarshalJWKS(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseJWKS(data)
	if err != nil {
		t.Fatalf("ParseJWKS(MarshalJWKS): %v\n%s", err, data)
	}
	if len(out) != len(in) {
		t.Fatalf("%d keys back, want %d", len(out), len(in))
	}
	v := newVerifier(t, out)
	for _, alg := range []string{"PS256", "ES256", "ES384", "ES512", "EdDSA"} {
		signer, _ := k.pair(alg)
		kid := map[string]string{"PS256": "rsa", "ES256": "p256", "ES384": "p384", "ES512": "p521", "EdDSA": "ed"}[alg]
		token := sign(t, jwt.GetSigningMethod(alg), signer, validClaims(), map[string]any{"kid": kid})
		if _, err := verify(v, token); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
}

func TestMarshalJWKSRefusesSecrets(t *testing.T) {
	k := keys(t)
	for _, key := range []Key{HMAC(k.secret), PublicKey(k.rsa), {}} {
		if _, err := MarshalJWKS([]Key{key}); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("MarshalJWKS(%T): %v, want ErrInvalidKey", key.Material, err)
		}
	}
}
