package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func rsaJWK(pub *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "n": b64u(pub.N.Bytes()), "e": b64u(big.NewInt(int64(pub.E)).Bytes())}
}

func ecJWK(pub *ecdsa.PublicKey) map[string]any {
	raw, err := pub.Bytes() // 0x04 || x || y
	if err != nil {
		panic(err)
	}
	size := (len(raw) - 1) / 2
	return map[string]any{
		"kty": "EC", "crv": pub.Curve.Params().Name,
		"x": b64u(raw[1 : 1+size]), "y": b64u(raw[1+size:]),
	}
}

func okpJWK(pub ed25519.PublicKey) map[string]any {
	return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64u(pub)}
}

func octJWK(secret []byte) map[string]any {
	return map[string]any{"kty": "oct", "k": b64u(secret)}
}

// jwkWith returns a copy of jwk with members set (nil deletes).
func jwkWith(jwk map[string]any, members ...any) map[string]any {
	out := make(map[string]any, len(jwk))
	for k, v := range jwk {
		out[k] = v
	}
	for i := 0; i < len(members); i += 2 {
		if members[i+1] == nil {
			delete(out, members[i].(string))
		} else {
			out[members[i].(string)] = members[i+1]
		}
	}
	return out
}

func jwks(t *testing.T, keys ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseJWKS(t *testing.T) {
	k := keys(t)
	set := jwks(t,
		jwkWith(rsaJWK(&k.rsa.PublicKey), "kid", "rsa", "use", "sig"),
		jwkWith(rsaJWK(&k.rsa.PublicKey), "kid", "rsa-ps", "alg", "PS256"),
		jwkWith(ecJWK(&k.p256.PublicKey), "kid", "p256", "key_ops", []string{"verify"}),
		jwkWith(ecJWK(&k.p384.PublicKey), "kid", "p384", "x5c", []string{"ignored"}, "x5u", "https://attacker.example/"),
		jwkWith(ecJWK(&k.p521.PublicKey), "kid", "p521"),
		jwkWith(okpJWK(k.ed25519.Public().(ed25519.PublicKey)), "kid", "ed"),
		jwkWith(octJWK(k.secret), "kid", "oct", "alg", "HS512"),
		// skipped: not for signatures, or not supported
		jwkWith(rsaJWK(&k.rsa.PublicKey), "kid", "enc", "use", "enc"),
		jwkWith(rsaJWK(&k.rsa.PublicKey), "kid", "wrap", "key_ops", []string{"wrapKey"}),
		jwkWith(rsaJWK(&k.rsa.PublicKey), "kid", "oaep", "alg", "RSA-OAEP"),
		map[string]any{"kty": "OKP", "crv": "X25519", "x": b64u(make([]byte, 32)), "kid": "x25519"},
		map[string]any{"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA", "kid": "k1"},
		map[string]any{"kty": "AKP", "kid": "pq"},
	)
	got, err := ParseJWKS(set)
	if err != nil {
		t.Fatalf("ParseJWKS: %v", err)
	}
	var ids []string
	for _, key := range got {
		ids = append(ids, key.ID+":"+key.Algorithm)
	}
	if want := "rsa:,rsa-ps:PS256,p256:,p384:,p521:,ed:,oct:HS512"; strings.Join(ids, ",") != want {
		t.Fatalf("keys = %s, want %s", strings.Join(ids, ","), want)
	}

	v := newVerifier(t, got)
	for _, c := range []struct{ alg, kid string }{
		{"RS256", "rsa"}, {"PS256", "rsa"}, {"PS256", "rsa-ps"}, {"ES256", "p256"},
		{"ES384", "p384"}, {"ES512", "p521"}, {"EdDSA", "ed"}, {"HS512", "oct"},
	} {
		signer, _ := k.pair(c.alg)
		tok := sign(t, jwt.GetSigningMethod(c.alg), signer, validClaims(), map[string]any{"kid": c.kid})
		if _, err := verify(v, tok); err != nil {
			t.Errorf("%s with kid %s: %v", c.alg, c.kid, err)
		}
	}
	// The JWK's alg is a restriction: rsa-ps verifies PS256 only.
	tok := sign(t, jwt.SigningMethodRS256, k.rsa, validClaims(), map[string]any{"kid": "rsa-ps"})
	_, err = verify(v, tok)
	checkRejected(t, tok, err, ErrUnsupportedAlgorithm)
	tok = sign(t, jwt.SigningMethodHS256, k.secret, validClaims(), map[string]any{"kid": "oct"})
	_, err = verify(v, tok)
	checkRejected(t, tok, err, ErrUnsupportedAlgorithm)
}

func TestParseJWKSErrors(t *testing.T) {
	k := keys(t)
	rsaKey := rsaJWK(&k.rsa.PublicKey)
	ecKey := ecJWK(&k.p256.PublicKey)
	offCurve := jwkWith(ecKey, "y", b64u(append([]byte{1}, make([]byte, 31)...)))
	tests := []struct {
		name string
		data string
		want error
	}{
		{"not JSON", `{"keys":[`, ErrInvalidJWKS},
		{"array", `[]`, ErrInvalidJWKS},
		{"no keys", `{}`, ErrInvalidJWKS},
		{"keys null", `{"keys":null}`, ErrInvalidJWKS},
		{"keys object", `{"keys":{}}`, ErrInvalidJWKS},
		{"empty set", `{"keys":[]}`, ErrNoKeys},
		{"only encryption keys", string(jwks(t, jwkWith(rsaKey, "use", "enc"))), ErrNoKeys},
		{"duplicate member", `{"keys":[],"keys":[]}`, ErrInvalidJWKS},
		{"duplicate member in a key", `{"keys":[{"kty":"oct","k":"` + b64u(k.secret) + `","k":"AA"}]}`, ErrInvalidJWKS},
		{"key not an object", `{"keys":[1]}`, ErrInvalidKey},
		{"kty missing", string(jwks(t, jwkWith(rsaKey, "kty", nil))), ErrInvalidKey},
		{"kty not a string", string(jwks(t, jwkWith(rsaKey, "kty", 1))), ErrInvalidKey},
		{"kid not a string", string(jwks(t, jwkWith(rsaKey, "kid", 1))), ErrInvalidKey},
		{"key_ops not a list", string(jwks(t, jwkWith(rsaKey, "key_ops", "verify"))), ErrInvalidKey},
		{"alg none", string(jwks(t, jwkWith(rsaKey, "alg", "none"))), ErrUnknownAlgorithm},
		{"alg for another kty", string(jwks(t, jwkWith(ecKey, "alg", "RS256"))), ErrAlgorithmMismatch},
		{"alg for another curve", string(jwks(t, jwkWith(ecKey, "alg", "ES512"))), ErrAlgorithmMismatch},
		{"duplicate kid", string(jwks(t, jwkWith(rsaKey, "kid", "a"), jwkWith(ecKey, "kid", "a"))), ErrDuplicateKeyID},
		{"n missing", string(jwks(t, jwkWith(rsaKey, "n", nil))), ErrInvalidKey},
		{"n bad base64", string(jwks(t, jwkWith(rsaKey, "n", "!!"+rsaKey["n"].(string)))), ErrInvalidKey},
		{"n standard base64", string(jwks(t, jwkWith(rsaKey, "n", "+/"+rsaKey["n"].(string)[2:]))), ErrInvalidKey},
		{"e padded", string(jwks(t, jwkWith(rsaKey, "e", "AQAB=="))), ErrInvalidKey},
		{"e padded short", string(jwks(t, jwkWith(rsaKey, "e", "AQ=="))), ErrInvalidKey},
		{"n with newline", string(jwks(t, jwkWith(rsaKey, "n", rsaKey["n"].(string)[:10]+"\n"+rsaKey["n"].(string)[10:]))), ErrInvalidKey},
		{"n leading zero", string(jwks(t, jwkWith(rsaKey, "n", b64u(append([]byte{0}, k.rsa.N.Bytes()...))))), ErrInvalidKey},
		{"e huge", string(jwks(t, jwkWith(rsaKey, "e", b64u([]byte{1, 0, 0, 0, 1})))), ErrInvalidKey},
		{"RSA too small", string(jwks(t, jwkWith(rsaKey, "n", b64u(k.rsa.N.Bytes()[:128])))), ErrWeakKey},
		{"RSA private", string(jwks(t, jwkWith(rsaKey, "d", b64u(k.rsa.D.Bytes())))), ErrInvalidKey},
		{"EC point not on curve", string(jwks(t, offCurve)), ErrInvalidKey},
		{"EC short coordinate", string(jwks(t, jwkWith(ecKey, "x", b64u(make([]byte, 31))))), ErrInvalidKey},
		{"EC y missing", string(jwks(t, jwkWith(ecKey, "y", nil))), ErrInvalidKey},
		{"EC private", string(jwks(t, jwkWith(ecKey, "d", "AAAA"))), ErrInvalidKey},
		{"Ed25519 short", string(jwks(t, map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64u(make([]byte, 31))})), ErrInvalidKey},
		{"oct key too short", string(jwks(t, octJWK(k.secret[:16]))), ErrWeakKey},
		{"oct key empty", string(jwks(t, octJWK(nil))), ErrInvalidKey},
		{"oct key too short for alg", string(jwks(t, jwkWith(octJWK(k.secret[:32]), "alg", "HS384"))), ErrWeakKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := ParseJWKS([]byte(tt.data))
			if err == nil {
				t.Fatalf("ParseJWKS accepted it: %+v", keys)
			}
			if !errors.Is(err, ErrInvalidJWKS) || !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLoadJWKSFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(good, []byte(rfcA3JWKS), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadJWKSFile(good)
	if err != nil || len(keys) != 1 {
		t.Fatalf("LoadJWKSFile = %d keys, %v", len(keys), err)
	}

	if _, err := LoadJWKSFile(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}

	big := filepath.Join(dir, "big.json")
	padding := strings.Repeat(" ", MaxJWKSSize)
	if err := os.WriteFile(big, []byte(rfcA3JWKS+padding), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadJWKSFile(big); !errors.Is(err, ErrInvalidJWKS) {
		t.Errorf("big file: %v", err)
	}

	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"keys":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadJWKSFile(bad)
	if !errors.Is(err, ErrNoKeys) || !strings.Contains(err.Error(), bad) {
		t.Errorf("empty set: %v", err)
	}
}
