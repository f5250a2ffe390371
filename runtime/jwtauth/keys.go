package jwtauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// Key is one key that verifies token signatures.
//
// Build it with HMAC or PublicKey, or get it from ParsePEM, ParseJWKS or
// LoadJWKSFile. The algorithms a key may verify follow from its type and
// cannot be widened: an HMAC secret only HS256/HS384/HS512 (each needs a
// secret at least as long as its hash), an RSA key only RS* and PS*, an
// ECDSA key only the ES* of its curve (ES256 for P-256, ES384 for P-384,
// ES512 for P-521), an Ed25519 key only EdDSA.
type Key struct {
	// ID is the key's kid. A token whose header has a kid is checked only
	// with the key of that ID. Empty means the key has no ID.
	ID string
	// Algorithm, if set, is the only algorithm the key verifies.
	Algorithm string
	// Material is the key itself: a []byte HMAC secret, an *rsa.PublicKey,
	// an *ecdsa.PublicKey or an ed25519.PublicKey. Private keys are refused.
	Material any
}

// KeyOption sets an optional property of a Key built by HMAC or PublicKey.
type KeyOption func(*Key)

// WithKeyID gives the key an ID, matched against the token header's kid.
func WithKeyID(id string) KeyOption {
	return func(k *Key) { k.ID = id }
}

// WithKeyAlgorithm restricts the key to one algorithm, such as "HS256".
func WithKeyAlgorithm(alg string) KeyOption {
	return func(k *Key) { k.Algorithm = alg }
}

// HMAC returns a key for HS256, HS384 and HS512 tokens. The secret is copied.
// New refuses a secret shorter than 32 bytes; HS384 needs 48 and HS512 64.
func HMAC(secret []byte, opts ...KeyOption) Key {
	k := Key{Material: bytes.Clone(secret)}
	for _, o := range opts {
		o(&k)
	}
	return k
}

// PublicKey returns a key for an *rsa.PublicKey, *ecdsa.PublicKey or
// ed25519.PublicKey.
func PublicKey(pub crypto.PublicKey, opts ...KeyOption) Key {
	k := Key{Material: pub}
	for _, o := range opts {
		o(&k)
	}
	return k
}

// Size limits for keys.
const (
	minRSABits = 2048
	// maxRSABits bounds the cost of one verification.
	maxRSABits = 16384
)

// verifyKey is a checked Key, ready for Verify.
type verifyKey struct {
	id       string
	algs     algSet
	material any
}

// prepareKey checks a key and works out the algorithms it may verify.
func prepareKey(k Key) (verifyKey, error) {
	var (
		kind     keyKind
		material any
		algs     algSet
	)
	switch m := k.Material.(type) {
	case []byte:
		if len(m) == 0 {
			return verifyKey{}, fmt.Errorf("%w: empty HMAC secret", ErrWeakKey)
		}
		if bytes.HasPrefix(bytes.TrimSpace(m), []byte("-----BEGIN")) {
			return verifyKey{}, fmt.Errorf("%w: the HMAC secret is a PEM block; use ParsePEM for public keys", ErrInvalidKey)
		}
		if len(m) < algorithms[0].minSecret {
			return verifyKey{}, fmt.Errorf("%w: HMAC secret of %d bytes, need at least %d", ErrWeakKey, len(m), algorithms[0].minSecret)
		}
		kind, material = kindHMAC, bytes.Clone(m)
		algs = algorithmsFor(kind, len(m), nil)
	case *rsa.PublicKey:
		if m == nil || m.N == nil {
			return verifyKey{}, fmt.Errorf("%w: nil RSA key", ErrInvalidKey)
		}
		if bits := m.N.BitLen(); bits < minRSABits {
			return verifyKey{}, fmt.Errorf("%w: RSA key of %d bits, need at least %d", ErrWeakKey, bits, minRSABits)
		} else if bits > maxRSABits {
			return verifyKey{}, fmt.Errorf("%w: RSA key of %d bits, at most %d are supported", ErrInvalidKey, bits, maxRSABits)
		}
		if m.E < 3 || m.E%2 == 0 {
			return verifyKey{}, fmt.Errorf("%w: RSA public exponent %d", ErrInvalidKey, m.E)
		}
		kind, material = kindRSA, m
		algs = algorithmsFor(kind, 0, nil)
	case *ecdsa.PublicKey:
		if m == nil || m.Curve == nil {
			return verifyKey{}, fmt.Errorf("%w: nil ECDSA key", ErrInvalidKey)
		}
		if m.Curve != elliptic.P256() && m.Curve != elliptic.P384() && m.Curve != elliptic.P521() {
			return verifyKey{}, fmt.Errorf("%w: ECDSA curve %s (want P-256, P-384 or P-521)", ErrInvalidKey, m.Curve.Params().Name)
		}
		if _, err := m.ECDH(); err != nil { // rejects points off the curve
			return verifyKey{}, fmt.Errorf("%w: ECDSA key: %v", ErrInvalidKey, err)
		}
		kind, material = kindEC, m
		algs = algorithmsFor(kind, 0, m.Curve)
	case ed25519.PublicKey:
		if len(m) != ed25519.PublicKeySize {
			return verifyKey{}, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrInvalidKey, len(m))
		}
		kind, material = kindEd25519, ed25519.PublicKey(bytes.Clone(m))
		algs = algorithmsFor(kind, 0, nil)
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return verifyKey{}, fmt.Errorf("%w: %T is a private key; give its public key", ErrInvalidKey, m)
	case nil:
		return verifyKey{}, fmt.Errorf("%w: no key material", ErrInvalidKey)
	default:
		return verifyKey{}, fmt.Errorf("%w: unsupported key type %T", ErrInvalidKey, m)
	}
	if k.Algorithm != "" {
		i := lookupAlgorithm(k.Algorithm)
		if i < 0 {
			return verifyKey{}, fmt.Errorf("%w: %q", ErrUnknownAlgorithm, k.Algorithm)
		}
		if !algs.has(i) {
			a := algorithms[i]
			if a.kind == kindHMAC && kind == kindHMAC {
				return verifyKey{}, fmt.Errorf("%w: %s needs an HMAC secret of at least %d bytes", ErrWeakKey, a.name, a.minSecret)
			}
			return verifyKey{}, fmt.Errorf("%w: %s cannot be used with this %s", ErrAlgorithmMismatch, a.name, kind)
		}
		algs = 1 << i
	}
	return verifyKey{id: k.ID, algs: algs, material: material}, nil
}

// ParsePEM reads the public keys in PEM data: PKIX public keys ("PUBLIC
// KEY": RSA, ECDSA P-256/P-384/P-521, Ed25519), PKCS #1 RSA public keys
// ("RSA PUBLIC KEY") and X.509 certificates ("CERTIFICATE", whose key is
// used as is: the certificate's validity and chain are not checked).
//
// The keys have no ID; set Key.ID if tokens carry a kid. Any other block
// (a private key, an encrypted block) is an error, as is input without a
// block.
func ParsePEM(data []byte) ([]Key, error) {
	var keys []Key
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		pub, err := parsePEMBlock(block)
		if err != nil {
			return nil, fmt.Errorf("%w: block %d (%s): %w", ErrInvalidPEM, n, block.Type, err)
		}
		k := Key{Material: pub}
		if _, err := prepareKey(k); err != nil {
			return nil, fmt.Errorf("%w: block %d (%s): %w", ErrInvalidPEM, n, block.Type, err)
		}
		keys = append(keys, k)
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, fmt.Errorf("%w: a PEM block could not be decoded", ErrInvalidPEM)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no PEM block found", ErrInvalidPEM)
	}
	return keys, nil
}

func parsePEMBlock(block *pem.Block) (crypto.PublicKey, error) {
	if len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: PEM headers (an encrypted block?) are not supported", ErrInvalidKey)
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	return nil, fmt.Errorf("%w: not a public key or certificate", ErrInvalidKey)
}
