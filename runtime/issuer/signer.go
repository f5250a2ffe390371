package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/jwtauth"
)

// ErrInvalidKey is returned by NewSigner and ParsePrivateKeyPEM for a key
// that cannot sign safely.
var ErrInvalidKey = errors.New("issuer: invalid signing key")

// Signer signs JWTs with one private key (or HMAC secret). It is immutable
// and safe for concurrent use.
type Signer struct {
	method jwt.SigningMethod
	key    any
	kid    string
	verify jwtauth.Key
}

// SignerOption configures a Signer.
type SignerOption func(*Signer)

// SignWithKeyID names the key in every token's kid header, and in the
// published JWK Set.
func SignWithKeyID(kid string) SignerOption {
	return func(s *Signer) { s.kid = kid }
}

// SignWithAlgorithm picks the algorithm, where the key allows several:
// HS384 or HS512 for a long enough secret, PS256/PS384/PS512 or RS384/RS512
// for an RSA key.
func SignWithAlgorithm(alg string) SignerOption {
	return func(s *Signer) { s.method = jwt.GetSigningMethod(alg) }
}

// NewSigner returns a Signer for key: a []byte HMAC secret (HS256 by
// default; at least 32 bytes), an *rsa.PrivateKey (RS256; at least 2048
// bits), an *ecdsa.PrivateKey (ES256, ES384 or ES512 by curve) or an
// ed25519.PrivateKey (EdDSA). It signs and verifies a probe token, so a key
// that jwtauth would not accept fails here, not on the first login.
func NewSigner(key any, opts ...SignerOption) (*Signer, error) {
	s := &Signer{key: key}
	var pub any
	switch k := key.(type) {
	case []byte:
		s.method, pub = jwt.SigningMethodHS256, k
	case *rsa.PrivateKey:
		s.method, pub = jwt.SigningMethodRS256, &k.PublicKey
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			s.method = jwt.SigningMethodES256
		case elliptic.P384():
			s.method = jwt.SigningMethodES384
		case elliptic.P521():
			s.method = jwt.SigningMethodES512
		default:
			return nil, fmt.Errorf("%w: unsupported ECDSA curve", ErrInvalidKey)
		}
		pub = &k.PublicKey
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrInvalidKey, len(k))
		}
		s.method, pub = jwt.SigningMethodEdDSA, k.Public()
	default:
		return nil, fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, key)
	}
	for _, o := range opts {
		o(s)
	}
	if s.method == nil {
		return nil, fmt.Errorf("%w: unknown algorithm", ErrInvalidKey)
	}
	if secret, ok := pub.([]byte); ok {
		s.verify = jwtauth.HMAC(secret, jwtauth.WithKeyID(s.kid), jwtauth.WithKeyAlgorithm(s.method.Alg()))
	} else {
		s.verify = jwtauth.PublicKey(pub, jwtauth.WithKeyID(s.kid), jwtauth.WithKeyAlgorithm(s.method.Alg()))
	}
	v, err := jwtauth.New([]jwtauth.Key{s.verify})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	probe, err := s.sign("JWT", jwt.MapClaims{"exp": time.Now().Add(time.Hour).Unix()})
	if err == nil {
		_, err = v.Verify(context.Background(), probe)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: a probe token does not verify: %v", ErrInvalidKey, err)
	}
	return s, nil
}

// Algorithm returns the signing algorithm, such as "ES256".
func (s *Signer) Algorithm() string { return s.method.Alg() }

// KeyID returns the kid the tokens carry ("" for none).
func (s *Signer) KeyID() string { return s.kid }

// VerificationKey returns the key that verifies this Signer's tokens: the
// public key, or for HMAC the secret itself.
func (s *Signer) VerificationKey() jwtauth.Key { return s.verify }

// Sign signs claims as a JWT whose header has typ "JWT" and, if set, the
// kid. The claims are signed as given: Sign adds none.
func (s *Signer) Sign(claims map[string]any) (string, error) {
	return s.sign("JWT", jwt.MapClaims(claims))
}

func (s *Signer) sign(typ string, claims jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(s.method, claims)
	tok.Header["typ"] = typ
	if s.kid != "" {
		tok.Header["kid"] = s.kid
	}
	return tok.SignedString(s.key)
}

// ParsePrivateKeyPEM reads the first private key in PEM data: PKCS #8
// ("PRIVATE KEY": RSA, ECDSA, Ed25519), PKCS #1 ("RSA PRIVATE KEY") or SEC 1
// ("EC PRIVATE KEY"). Encrypted blocks are refused.
func ParsePrivateKeyPEM(data []byte) (any, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%w: no private key PEM block", ErrInvalidKey)
		}
		if len(block.Headers) != 0 {
			return nil, fmt.Errorf("%w: encrypted PEM blocks are not supported", ErrInvalidKey)
		}
		var (
			key any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("%w: encrypted PEM blocks are not supported", ErrInvalidKey)
		default:
			continue // EC PARAMETERS, certificates
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalidKey, block.Type, err)
		}
		if _, ok := key.(crypto.Signer); !ok {
			return nil, fmt.Errorf("%w: %T cannot sign", ErrInvalidKey, key)
		}
		return key, nil
	}
}
