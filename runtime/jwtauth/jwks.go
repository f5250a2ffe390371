package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"strings"
)

// MaxJWKSSize is the largest JWK Set LoadJWKSFile reads: 1 MiB.
const MaxJWKSSize = 1 << 20

// errSkip marks a JWK that is valid but not a signature-verification key
// this package supports; ParseJWKS leaves it out.
var errSkip = errors.New("skipped")

// ParseJWKS reads a JWK Set (RFC 7517 section 5) with a strict parser of its
// own. It supports kty "RSA" (n, e), "EC" (crv P-256, P-384 or P-521; x and
// y at full length, the point checked to be on the curve), "OKP" (crv
// Ed25519; x) and "oct" (k). Each key's kid becomes Key.ID and its alg, if
// any, Key.Algorithm, so the key verifies only that algorithm.
//
// Keys for encryption (use other than "sig", key_ops without "verify"), of
// another kty or curve, or with an alg that is not a supported signature
// algorithm are skipped. A supported key with a bad member (not base64url,
// padded, a number with leading zero bytes, a point off its curve, private
// key members, an alg that does not fit the kty, a weak key) is an error,
// as is a set left without a key. x5u is never fetched and x5c is ignored:
// the keys come from the set itself.
func ParseJWKS(data []byte) ([]Key, error) {
	list, err := jwksMembers(data)
	if err != nil {
		return nil, err
	}
	var keys []Key
	for i, rawKey := range list {
		k, err := parseJWK(rawKey)
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: key %d%s: %w", ErrInvalidJWKS, i, keyName(k.ID), err)
		}
		if k.ID != "" && slices.ContainsFunc(keys, func(o Key) bool { return o.ID == k.ID }) {
			return nil, fmt.Errorf("%w: key %d: %w: %q", ErrInvalidJWKS, i, ErrDuplicateKeyID, k.ID)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: %w: the set has no signature key of a supported type", ErrInvalidJWKS, ErrNoKeys)
	}
	return keys, nil
}

// ParsePublicJWKS reads a JWK Set that someone else publishes, an identity
// provider's jwks_uri, for a verifier that keeps it fresh (package jwks).
// It differs from ParseJWKS in two ways:
//
//   - A symmetric ("oct") key is refused: a secret in a published set would
//     let anyone who can read the set sign tokens.
//   - A key that fails to parse, a symmetric key, and every key sharing a
//     kid with another are left out, each reported in skipped, instead of
//     failing the whole set. A provider that adds one odd key does not keep
//     a key it removed in use; the keys that remain are exactly those the
//     set vouches for.
//
// The error is for a document that is not a JWK Set, or that leaves no
// usable key (ErrNoKeys).
func ParsePublicJWKS(data []byte) (keys []Key, skipped []error, err error) {
	list, err := jwksMembers(data)
	if err != nil {
		return nil, nil, err
	}
	ids := map[string]int{}
	for i, rawKey := range list {
		k, err := parseJWK(rawKey)
		switch {
		case errors.Is(err, errSkip):
			continue
		case err == nil && isSymmetric(k):
			err = fmt.Errorf("%w: a symmetric (\"oct\") key in a published set", ErrInvalidKey)
		}
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %d%s: %w", i, keyName(k.ID), err))
			continue
		}
		if k.ID != "" {
			ids[k.ID]++
		}
		keys = append(keys, k)
	}
	keys = slices.DeleteFunc(keys, func(k Key) bool { return k.ID != "" && ids[k.ID] > 1 })
	for id, n := range ids {
		if n > 1 {
			skipped = append(skipped, fmt.Errorf("%w: %q (%d keys, all left out)", ErrDuplicateKeyID, id, n))
		}
	}
	slices.SortFunc(skipped, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("%w: %w: the set has no usable signature key", ErrInvalidJWKS, ErrNoKeys)
	}
	return keys, skipped, nil
}

// isSymmetric reports whether k is an HMAC secret.
func isSymmetric(k Key) bool {
	_, ok := k.Material.([]byte)
	return ok
}

// jwksMembers returns the members of a JWK Set's "keys" array.
func jwksMembers(data []byte) ([]json.RawMessage, error) {
	if err := checkObject(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJWKS, err)
	}
	var set map[string]json.RawMessage
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJWKS, err)
	}
	raw, ok := set["keys"]
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return nil, fmt.Errorf("%w: no \"keys\" array", ErrInvalidJWKS)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJWKS, err)
	}
	return list, nil
}

// LoadJWKSFile reads the JWK Set in the file at path with ParseJWKS. The
// file may be at most MaxJWKSSize bytes.
func LoadJWKSFile(path string) ([]Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxJWKSSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxJWKSSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidJWKS, path, MaxJWKSSize)
	}
	keys, err := ParseJWKS(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// jwk is one JSON Web Key as raw members.
type jwk map[string]json.RawMessage

// str returns the string member name; present reports whether it is there.
func (j jwk) str(name string) (s string, present bool, err error) {
	raw, ok := j[name]
	if !ok {
		return "", false, nil
	}
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", true, fmt.Errorf("%w: %q is not a string", ErrInvalidKey, name)
	}
	return s, true, nil
}

// bytes returns the required base64url member name, decoded.
func (j jwk) bytes(name string) ([]byte, error) {
	s, ok, err := j.str(name)
	if err != nil {
		return nil, err
	}
	if !ok || s == "" {
		return nil, fmt.Errorf("%w: %q is missing", ErrInvalidKey, name)
	}
	b, err := decodeSegment(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not base64url: %v", ErrInvalidKey, name, err)
	}
	return b, nil
}

// refusePrivate fails if the key holds any of the private members names.
func (j jwk) refusePrivate(names ...string) error {
	for _, n := range names {
		if _, ok := j[n]; ok {
			return fmt.Errorf("%w: private key member %q in a verification key set", ErrInvalidKey, n)
		}
	}
	return nil
}

// parseJWK reads one key. It returns errSkip for a key that is not for
// signature verification or of an unsupported kind. The returned Key has
// its ID set whenever the kid could be read, also with an error.
func parseJWK(raw json.RawMessage) (Key, error) {
	var j jwk
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &j) != nil {
		return Key{}, fmt.Errorf("%w: not a JSON object", ErrInvalidKey)
	}
	var k Key
	var err error
	if k.ID, _, err = j.str("kid"); err != nil {
		return k, err
	}
	kty, ok, err := j.str("kty")
	if err != nil {
		return k, err
	}
	if !ok {
		return k, fmt.Errorf("%w: \"kty\" is missing", ErrInvalidKey)
	}
	if use, ok, err := j.str("use"); err != nil {
		return k, err
	} else if ok && use != "sig" {
		return k, errSkip
	}
	if raw, ok := j["key_ops"]; ok {
		var ops []string
		if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &ops) != nil {
			return k, fmt.Errorf("%w: \"key_ops\" is not a list of strings", ErrInvalidKey)
		}
		if !slices.Contains(ops, "verify") {
			return k, errSkip
		}
	}
	alg, ok, err := j.str("alg")
	if err != nil {
		return k, err
	}
	if ok {
		if isNone(alg) {
			return k, fmt.Errorf("%w: alg %q", ErrUnknownAlgorithm, alg)
		}
		if lookupAlgorithm(alg) < 0 {
			return k, errSkip // an encryption or unsupported algorithm
		}
		k.Algorithm = alg
	}
	switch kty {
	case "RSA":
		k.Material, err = j.rsa()
	case "EC":
		k.Material, err = j.ec()
	case "OKP":
		k.Material, err = j.okp()
	case "oct":
		k.Material, err = j.bytes("k")
	default:
		return k, errSkip
	}
	if err != nil {
		return k, err
	}
	if _, err := prepareKey(k); err != nil {
		return k, err
	}
	return k, nil
}

func (j jwk) rsa() (any, error) {
	if err := j.refusePrivate("d", "p", "q", "dp", "dq", "qi", "oth"); err != nil {
		return nil, err
	}
	n, err := j.bytes("n")
	if err != nil {
		return nil, err
	}
	e, err := j.bytes("e")
	if err != nil {
		return nil, err
	}
	// RFC 7518 section 6.3.1: the shortest big-endian encoding.
	if n[0] == 0 || e[0] == 0 {
		return nil, fmt.Errorf("%w: RSA \"n\" or \"e\" has leading zero bytes", ErrInvalidKey)
	}
	if len(e) > 4 {
		return nil, fmt.Errorf("%w: RSA exponent too large", ErrInvalidKey)
	}
	exp := new(big.Int).SetBytes(e)
	if !exp.IsInt64() || exp.Int64() > 1<<31-1 {
		return nil, fmt.Errorf("%w: RSA exponent too large", ErrInvalidKey)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}, nil
}

func (j jwk) ec() (any, error) {
	if err := j.refusePrivate("d"); err != nil {
		return nil, err
	}
	crv, _, err := j.str("crv")
	if err != nil {
		return nil, err
	}
	var curve elliptic.Curve
	switch crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, errSkip
	}
	x, err := j.bytes("x")
	if err != nil {
		return nil, err
	}
	y, err := j.bytes("y")
	if err != nil {
		return nil, err
	}
	size := (curve.Params().BitSize + 7) / 8
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("%w: %s coordinates must be %d bytes", ErrInvalidKey, crv, size)
	}
	point := make([]byte, 0, 1+2*size)
	point = append(append(append(point, 4), x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("%w: %s point: %v", ErrInvalidKey, crv, err)
	}
	return pub, nil
}

func (j jwk) okp() (any, error) {
	if err := j.refusePrivate("d"); err != nil {
		return nil, err
	}
	crv, _, err := j.str("crv")
	if err != nil {
		return nil, err
	}
	if crv != "Ed25519" {
		return nil, errSkip // X25519 is for key agreement; Ed448 is unsupported
	}
	x, err := j.bytes("x")
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 \"x\" must be %d bytes", ErrInvalidKey, ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), nil
}
