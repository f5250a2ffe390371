package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
)

func TestNewRefusesMisconfiguration(t *testing.T) {
	k := keys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}
	tests := []struct {
		name string
		keys []Key
		opts []Option
		want error
	}{
		{"no keys", nil, nil, ErrNoKeys},
		{"empty HMAC secret", []Key{HMAC(nil)}, nil, ErrWeakKey},
		{"short HMAC secret", []Key{HMAC(k.secret[:31])}, nil, ErrWeakKey},
		{"HS512 with a 32-byte secret", []Key{HMAC(k.secret[:32], WithKeyAlgorithm("HS512"))}, nil, ErrWeakKey},
		{"PEM as HMAC secret", []Key{HMAC(pemPublic(t, &k.rsa.PublicKey))}, nil, ErrInvalidKey},
		{"RSA 1024", []Key{PublicKey(&small.PublicKey)}, nil, ErrWeakKey},
		{"RSA even exponent", []Key{PublicKey(&rsa.PublicKey{N: k.rsa.N, E: 65536})}, nil, ErrInvalidKey},
		{"EC point off the curve", []Key{PublicKey(offCurve)}, nil, ErrInvalidKey},
		{"EC P-224", []Key{PublicKey(&ecdsa.PublicKey{Curve: elliptic.P224()})}, nil, ErrInvalidKey},
		{"Ed25519 short", []Key{PublicKey(k.ed25519.Public().(ed25519.PublicKey)[:31])}, nil, ErrInvalidKey},
		{"private RSA key", []Key{PublicKey(k.rsa)}, nil, ErrInvalidKey},
		{"private Ed25519 key", []Key{PublicKey(k.ed25519)}, nil, ErrInvalidKey},
		{"nil material", []Key{{ID: "x"}}, nil, ErrInvalidKey},
		{"string secret", []Key{{Material: strings.Repeat("s", 64)}}, nil, ErrInvalidKey},
		{"unknown key algorithm", []Key{HMAC(k.secret, WithKeyAlgorithm("HS1024"))}, nil, ErrUnknownAlgorithm},
		{"none as key algorithm", []Key{HMAC(k.secret, WithKeyAlgorithm("none"))}, nil, ErrUnknownAlgorithm},
		{"HS256 on an RSA key", []Key{PublicKey(&k.rsa.PublicKey, WithKeyAlgorithm("HS256"))}, nil, ErrAlgorithmMismatch},
		{"ES384 on a P-256 key", []Key{PublicKey(&k.p256.PublicKey, WithKeyAlgorithm("ES384"))}, nil, ErrAlgorithmMismatch},
		{"duplicate kid", []Key{HMAC(k.secret, WithKeyID("a")), PublicKey(&k.p256.PublicKey, WithKeyID("a"))}, nil, ErrDuplicateKeyID},
		{"unknown allowed algorithm", []Key{HMAC(k.secret)}, []Option{WithAlgorithms("RS256", "XS256")}, ErrUnknownAlgorithm},
		{"none allowed", []Key{HMAC(k.secret)}, []Option{WithAlgorithms("none")}, ErrUnknownAlgorithm},
		{"no key left by WithAlgorithms", []Key{HMAC(k.secret)}, []Option{WithAlgorithms("RS256")}, ErrNoKeys},
		{"disjoint WithAlgorithms", []Key{HMAC(k.secret)}, []Option{WithAlgorithms("HS256"), WithAlgorithms("HS512")}, ErrNoKeys},
		{"WithAlgorithms empty", []Key{HMAC(k.secret)}, []Option{WithAlgorithms()}, ErrInvalidOption},
		{"WithIssuer empty", []Key{HMAC(k.secret)}, []Option{WithIssuer()}, ErrInvalidOption},
		{"WithIssuer blank", []Key{HMAC(k.secret)}, []Option{WithIssuer("")}, ErrInvalidOption},
		{"WithAudience empty", []Key{HMAC(k.secret)}, []Option{WithAudience()}, ErrInvalidOption},
		{"negative leeway", []Key{HMAC(k.secret)}, []Option{WithLeeway(-time.Second)}, ErrInvalidOption},
		{"nil clock", []Key{HMAC(k.secret)}, []Option{WithClock(nil)}, ErrInvalidOption},
		{"zero max size", []Key{HMAC(k.secret)}, []Option{WithMaxTokenSize(0)}, ErrInvalidOption},
		{"empty scope claim", []Key{HMAC(k.secret)}, []Option{WithScopeClaim("")}, ErrInvalidOption},
		{"empty subject claim", []Key{HMAC(k.secret)}, []Option{WithSubjectClaim("")}, ErrInvalidOption},
		{"nil option", []Key{HMAC(k.secret)}, []Option{nil}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := New(tt.keys, tt.opts...)
			if err == nil {
				t.Fatalf("New succeeded: %+v", v)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
			if errors.Is(err, authrt.ErrInvalidCredential) {
				t.Errorf("configuration error %v matches ErrInvalidCredential", err)
			}
		})
	}
}

// TestWithAlgorithmsDropsKeys: a key that verifies none of the allowed
// algorithms is left out, and the others keep working.
func TestWithAlgorithmsDropsKeys(t *testing.T) {
	k := keys(t)
	v := newVerifier(t, []Key{HMAC(k.secret), PublicKey(&k.rsa.PublicKey)}, WithAlgorithms("RS256", "ES256"))
	if _, err := verify(v, sign(t, jwt.SigningMethodRS256, k.rsa, validClaims(), nil)); err != nil {
		t.Errorf("RS256: %v", err)
	}
	for _, tok := range []string{
		sign(t, jwt.SigningMethodHS256, k.secret, validClaims(), nil),
		sign(t, jwt.SigningMethodPS256, k.rsa, validClaims(), nil),
	} {
		_, err := verify(v, tok)
		checkRejected(t, tok, err, ErrUnsupportedAlgorithm)
	}
}

// TestKeyIsCopied: changing the caller's secret after New changes nothing.
func TestKeyIsCopied(t *testing.T) {
	secret := []byte(strings.Repeat("s", 32))
	key := HMAC(secret)
	v := newVerifier(t, []Key{key})
	token := sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("s", 32)), validClaims(), nil)
	secret[0] = 'x'
	key.Material.([]byte)[1] = 'x'
	if _, err := verify(v, token); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestParsePEM(t *testing.T) {
	k := keys(t)
	certDER := selfSigned(t, k.p256)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})
	all := strings.Join([]string{
		"comment before",
		string(pemPublic(t, &k.rsa.PublicKey)),
		string(pkcs1),
		string(pemPublic(t, &k.p256.PublicKey)),
		string(pemPublic(t, &k.p384.PublicKey)),
		string(pemPublic(t, &k.p521.PublicKey)),
		string(pemPublic(t, k.ed25519.Public())),
		string(cert),
	}, "\n")
	got, err := ParsePEM([]byte(all))
	if err != nil {
		t.Fatalf("ParsePEM: %v", err)
	}
	if len(got) != 7 {
		t.Fatalf("got %d keys, want 7", len(got))
	}
	v := newVerifier(t, got)
	for _, alg := range []string{"RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA"} {
		signer, _ := k.pair(alg)
		if _, err := verify(v, sign(t, jwt.GetSigningMethod(alg), signer, validClaims(), nil)); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}

	privDER, err := x509.MarshalPKCS8PrivateKey(k.p256)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		data string
		want error
	}{
		{"empty", "", ErrInvalidPEM},
		{"no block", "not a key", ErrInvalidPEM},
		{"private key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})), ErrInvalidKey},
		{"encrypted", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}})), ErrInvalidKey},
		{"bad DER", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}})), ErrInvalidPEM},
		{"weak RSA", string(pemPublic(t, &small.PublicKey)), ErrWeakKey},
		{"truncated block", string(pemPublic(t, &k.p256.PublicKey))[:60], ErrInvalidPEM},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePEM([]byte(tt.data))
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrInvalidPEM) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func selfSigned(t *testing.T, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "jwtauth test"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
