package jwtauth

import (
	"crypto"
	"crypto/elliptic"
	"crypto/rsa"
	_ "crypto/sha256" // hashes for HS256, RS256, PS256, ES256
	_ "crypto/sha512" // hashes for the 384 and 512 variants
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// keyKind is the type of a verification key; it decides which algorithms the
// key may be used with.
type keyKind uint8

const (
	kindHMAC keyKind = iota + 1
	kindRSA
	kindEC
	kindEd25519
)

func (k keyKind) String() string {
	switch k {
	case kindHMAC:
		return "HMAC secret"
	case kindRSA:
		return "RSA key"
	case kindEC:
		return "EC key"
	case kindEd25519:
		return "Ed25519 key"
	}
	return "unknown key"
}

// algorithm binds a JWS alg name to the key type it needs and to the
// golang-jwt method that checks its signatures.
type algorithm struct {
	name   string
	kind   keyKind
	method jwt.SigningMethod
	// minSecret is, for HMAC, the shortest secret allowed: the hash size
	// (RFC 7518 section 3.2).
	minSecret int
	// curve is, for ECDSA, the only curve the algorithm is defined on.
	curve elliptic.Curve
}

// pss returns an RSASSA-PSS method that only accepts a salt as long as the
// hash, as RFC 7518 section 3.5 requires. golang-jwt's registered PS* methods
// verify with rsa.PSSSaltLengthAuto, which accepts any salt length. The value
// is ours and never registered, so golang-jwt's global table is untouched.
func pss(name string, hash crypto.Hash) *jwt.SigningMethodRSAPSS {
	opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
	return &jwt.SigningMethodRSAPSS{
		SigningMethodRSA: &jwt.SigningMethodRSA{Name: name, Hash: hash},
		Options:          opts,
		VerifyOptions:    opts,
	}
}

// algorithms lists every supported algorithm. An algSet is a bit set of
// indexes into it. It is read-only after package initialization.
var algorithms = [...]algorithm{
	{name: "HS256", kind: kindHMAC, method: jwt.SigningMethodHS256, minSecret: 32},
	{name: "HS384", kind: kindHMAC, method: jwt.SigningMethodHS384, minSecret: 48},
	{name: "HS512", kind: kindHMAC, method: jwt.SigningMethodHS512, minSecret: 64},
	{name: "RS256", kind: kindRSA, method: jwt.SigningMethodRS256},
	{name: "RS384", kind: kindRSA, method: jwt.SigningMethodRS384},
	{name: "RS512", kind: kindRSA, method: jwt.SigningMethodRS512},
	{name: "PS256", kind: kindRSA, method: pss("PS256", crypto.SHA256)},
	{name: "PS384", kind: kindRSA, method: pss("PS384", crypto.SHA384)},
	{name: "PS512", kind: kindRSA, method: pss("PS512", crypto.SHA512)},
	{name: "ES256", kind: kindEC, method: jwt.SigningMethodES256, curve: elliptic.P256()},
	{name: "ES384", kind: kindEC, method: jwt.SigningMethodES384, curve: elliptic.P384()},
	{name: "ES512", kind: kindEC, method: jwt.SigningMethodES512, curve: elliptic.P521()},
	{name: "EdDSA", kind: kindEd25519, method: jwt.SigningMethodEdDSA},
}

// algSet is a set of algorithms: bit i stands for algorithms[i].
type algSet uint16

func (s algSet) has(i int) bool { return s&(1<<i) != 0 }

// names lists the set's algorithm names, for error messages.
func (s algSet) names() string {
	var b strings.Builder
	for i := range algorithms {
		if s.has(i) {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(algorithms[i].name)
		}
	}
	return b.String()
}

// lookupAlgorithm returns the index of the algorithm named name (exact,
// case-sensitive, as RFC 7515 requires), or -1.
func lookupAlgorithm(name string) int {
	for i := range algorithms {
		if algorithms[i].name == name {
			return i
		}
	}
	return -1
}

// isNone reports whether name is the unsecured "none" algorithm in any
// casing. It is refused everywhere.
func isNone(name string) bool { return strings.EqualFold(name, "none") }

// algorithmsFor returns the algorithms a key of the given kind may be used
// with: for HMAC those whose hash is no longer than the secret (secretLen),
// for EC those defined on the key's curve.
func algorithmsFor(kind keyKind, secretLen int, curve elliptic.Curve) algSet {
	var s algSet
	for i, a := range algorithms {
		if a.kind != kind {
			continue
		}
		if kind == kindHMAC && secretLen < a.minSecret {
			continue
		}
		if kind == kindEC && a.curve != curve {
			continue
		}
		s |= 1 << i
	}
	return s
}
