package issuer

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/jwtauth"
)

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func TestNewSigner(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	secret := []byte(strings.Repeat("s", 64))
	tests := []struct {
		name    string
		key     any
		opts    []SignerOption
		wantAlg string
		wantErr bool
	}{
		{name: "HMAC", key: secret, wantAlg: "HS256"},
		{name: "HMAC HS512", key: secret, opts: []SignerOption{SignWithAlgorithm("HS512")}, wantAlg: "HS512"},
		{name: "short HMAC", key: []byte("short"), wantErr: true},
		{name: "HMAC too short for HS512", key: secret[:40], opts: []SignerOption{SignWithAlgorithm("HS512")}, wantErr: true},
		{name: "RSA", key: rsaKey(), wantAlg: "RS256"},
		{name: "RSA PS256", key: rsaKey(), opts: []SignerOption{SignWithAlgorithm("PS256")}, wantAlg: "PS256"},
		{name: "RSA 1024", key: small, wantErr: true},
		{name: "P-256", key: p256, wantAlg: "ES256"},
		{name: "P-384", key: p384, wantAlg: "ES384"},
		{name: "P-224", key: p224, wantErr: true},
		{name: "Ed25519", key: ed, wantAlg: "EdDSA"},
		{name: "mismatched algorithm", key: p256, opts: []SignerOption{SignWithAlgorithm("RS256")}, wantErr: true},
		{name: "unknown algorithm", key: p256, opts: []SignerOption{SignWithAlgorithm("XX1")}, wantErr: true},
		{name: "public key", key: &p256.PublicKey, wantErr: true},
		{name: "nil", key: nil, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSigner(tt.key, append([]SignerOption{SignWithKeyID("kid-1")}, tt.opts...)...)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidKey) {
					t.Fatalf("NewSigner: %v, want ErrInvalidKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Algorithm() != tt.wantAlg || s.KeyID() != "kid-1" {
				t.Errorf("alg %s kid %s, want %s kid-1", s.Algorithm(), s.KeyID(), tt.wantAlg)
			}
			token, err := s.Sign(map[string]any{"sub": "x", "exp": time.Now().Add(time.Minute).Unix()})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := jwtauth.New([]jwtauth.Key{s.VerificationKey()})
			if id, err := v.Verify(context.Background(), token); err != nil || id.Subject != "x" {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestParsePrivateKeyPEM(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	sec1, _ := x509.MarshalECPrivateKey(p256)
	pubDER, _ := x509.MarshalPKIXPublicKey(&p256.PublicKey)
	tests := []struct {
		name string
		data []byte
		ok   bool
	}{
		{"PKCS #8 RSA", pkcs8(rsaKey()), true},
		{"PKCS #8 EC", pkcs8(p256), true},
		{"PKCS #8 Ed25519", pkcs8(ed), true},
		{"PKCS #1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey())}), true},
		{"SEC 1 after EC PARAMETERS", append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8}}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...), true},
		{"public key only", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), false},
		{"encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), false},
		{"with headers", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}), false},
		{"garbage DER", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), false},
		{"not PEM", []byte("hello"), false},
	}
	for _, tt := range tests {
		key, err := ParsePrivateKeyPEM(tt.data)
		if tt.ok {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			} else if _, err := NewSigner(key); err != nil {
				t.Errorf("%s: NewSigner: %v", tt.name, err)
			}
		} else if !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: %v, want ErrInvalidKey", tt.name, err)
		}
	}
}
