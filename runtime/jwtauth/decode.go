package jwtauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// b64 decodes JWS segments: base64url without padding, with zero trailing
// bits (RFC 7515 section 2, RFC 4648 section 3.5). It still skips CR and LF,
// so decodeSegment checks the alphabet first.
var b64 = base64.RawURLEncoding.Strict()

// b64Alphabet marks the bytes of the base64url alphabet.
var b64Alphabet = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

// splitToken cuts a JWS compact serialization into its three segments.
func splitToken(token string) (header, payload, sig string, ok bool) {
	i := strings.IndexByte(token, '.')
	j := strings.LastIndexByte(token, '.')
	if i < 0 || i == j || strings.IndexByte(token[i+1:j], '.') >= 0 {
		return "", "", "", false
	}
	return token[:i], token[i+1 : j], token[j+1:], true
}

// decodeSegment decodes one segment, refusing padding, characters outside
// the base64url alphabet (CR, LF, spaces, '+', '/') and non-zero trailing
// bits, so that a token has exactly one encoding.
func decodeSegment(seg string) ([]byte, error) {
	for i := 0; i < len(seg); i++ {
		if !b64Alphabet[seg[i]] {
			return nil, fmt.Errorf("character %d is not base64url", i)
		}
	}
	return b64.DecodeString(seg)
}

// header is what Verify uses of a JOSE header.
type header struct {
	alg    string
	kid    string
	hasKid bool
	typ    string // "" when absent
}

// acceptedTypes are the typ values accepted, compared case-insensitively:
// a plain JWT (RFC 7519 section 5.1) and an OAuth 2.0 access token (RFC 9068
// section 2.1). Other types (an ID token's or a logout token's own type, a
// JWE's) are documents of another kind and are refused.
var acceptedTypes = [...]string{"JWT", "at+jwt", "application/at+jwt"}

// typeIs reports whether typ names the media type want, with or without
// the "application/" prefix (RFC 7515 section 4.1.9), ignoring case.
func typeIs(typ, want string) bool {
	if len(typ) > len("application/") && strings.EqualFold(typ[:len("application/")], "application/") {
		typ = typ[len("application/"):]
	}
	return strings.EqualFold(typ, want)
}

// parseHeader checks the decoded JOSE header and extracts alg and kid.
// jku, x5u, x5c and jwk are ignored: keys come only from the configuration.
func parseHeader(data []byte) (header, error) {
	m, err := decodeObject(data)
	if err != nil {
		return header{}, jsonError("header", err)
	}
	if _, ok := m["crit"]; ok {
		// RFC 7515 section 4.1.11: extensions listed in crit must be
		// understood. None is, and an empty crit is invalid itself. This
		// also refuses b64:false (RFC 7797), which must be listed in crit.
		return header{}, reject(ErrCritical, "header has crit")
	}
	var h header
	alg, ok := m["alg"].(string)
	if !ok {
		return header{}, reject(ErrMalformed, "header alg missing or not a string")
	}
	h.alg = alg
	if v, ok := m["kid"]; ok {
		if h.kid, ok = v.(string); !ok {
			return header{}, reject(ErrMalformed, "header kid is not a string")
		}
		h.hasKid = true
	}
	if v, ok := m["typ"]; ok {
		typ, ok := v.(string)
		if !ok {
			return header{}, reject(ErrMalformed, "header typ is not a string")
		}
		accepted := false
		for _, t := range acceptedTypes {
			accepted = accepted || strings.EqualFold(typ, t)
		}
		if !accepted {
			return header{}, reject(ErrUnsupportedType, "typ %s", quote(typ))
		}
		h.typ = typ
	}
	return h, nil
}

// parseClaims checks the decoded claims and decodes them, numbers as
// json.Number so that large integers keep their value (as encoding/json
// with UseNumber would; see decodeObject).
func parseClaims(data []byte) (map[string]any, error) {
	claims, err := decodeObject(data)
	if err != nil {
		return nil, jsonError("claims", err)
	}
	for _, name := range [...]string{"exp", "nbf", "iat"} {
		v, ok := claims[name]
		if !ok {
			continue
		}
		n, ok := v.(json.Number)
		if !ok {
			return nil, reject(ErrInvalidClaims, "%s is not a number", name)
		}
		// golang-jwt turns an out-of-range number into a time whose value
		// depends on the platform; refuse it here.
		f, err := n.Float64()
		if err != nil || math.IsNaN(f) || math.Abs(f) > maxNumericDate {
			return nil, reject(ErrInvalidClaims, "%s is out of range", name)
		}
	}
	return claims, nil
}

// maxNumericDate is the largest NumericDate accepted, in seconds: the end of
// the year 9999, far beyond any real token and well inside the int64
// seconds golang-jwt converts it to.
const maxNumericDate = 253402300799

func jsonError(part string, err error) error {
	var dup *errDuplicate
	if errors.As(err, &dup) {
		return reject(ErrDuplicateMember, "%s: %v", part, err)
	}
	return reject(ErrMalformed, "%s: %v", part, err)
}
