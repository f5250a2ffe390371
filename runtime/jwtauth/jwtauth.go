package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
)

// maxKeyTries bounds how many keys a token without kid is tried against, so
// that a bad token costs at most this many signature checks.
const maxKeyTries = 8

// Verifier verifies JWS compact-serialized JWTs (bearer access tokens). It
// implements authrt.Verifier. It is immutable after New and safe for
// concurrent use.
type Verifier struct {
	keys []verifyKey
	byID map[string]int // kid to index in keys
	algs algSet         // union of the keys' algorithms

	// validator checks the claims when no issuer is configured; otherwise
	// byIssuer holds one per accepted issuer.
	validator *jwt.Validator
	byIssuer  map[string]*jwt.Validator

	cfg config
}

var _ authrt.Verifier = (*Verifier)(nil)

// New returns a Verifier that accepts tokens signed with one of keys.
//
// It fails, with an error wrapping one of ErrNoKeys, ErrInvalidKey,
// ErrWeakKey, ErrUnknownAlgorithm, ErrAlgorithmMismatch, ErrDuplicateKeyID
// or ErrInvalidOption, on a configuration that cannot be used safely: no
// key, an empty or short HMAC secret, an RSA key under 2048 bits, a private
// key, two keys with the same ID, an unknown algorithm name.
func New(keys []Key, opts ...Option) (*Verifier, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, ErrNoKeys
	}
	v := &Verifier{byID: make(map[string]int), cfg: cfg}
	for i, k := range keys {
		vk, err := prepareKey(k)
		if err != nil {
			return nil, fmt.Errorf("key %d%s: %w", i, keyName(k.ID), err)
		}
		if cfg.algsSet {
			vk.algs &= cfg.algs
			if vk.algs == 0 {
				continue // this key verifies none of the allowed algorithms
			}
		}
		if vk.id != "" {
			if _, dup := v.byID[vk.id]; dup {
				return nil, fmt.Errorf("%w: %q", ErrDuplicateKeyID, vk.id)
			}
			v.byID[vk.id] = len(v.keys)
		}
		v.keys = append(v.keys, vk)
		v.algs |= vk.algs
	}
	if len(v.keys) == 0 {
		return nil, fmt.Errorf("%w: no key allows %s", ErrNoKeys, cfg.algs.names())
	}

	base := []jwt.ParserOption{jwt.WithLeeway(cfg.leeway), jwt.WithTimeFunc(cfg.clock)}
	if cfg.requireExp {
		base = append(base, jwt.WithExpirationRequired())
	}
	if len(cfg.audiences) > 0 {
		base = append(base, jwt.WithAudience(cfg.audiences...))
	}
	if len(cfg.issuers) == 0 {
		v.validator = jwt.NewValidator(base...)
	} else {
		// golang-jwt checks a single issuer: keep one validator per issuer
		// and pick it by the token's iss.
		v.byIssuer = make(map[string]*jwt.Validator, len(cfg.issuers))
		for _, iss := range cfg.issuers {
			v.byIssuer[iss] = jwt.NewValidator(append(base[:len(base):len(base)], jwt.WithIssuer(iss))...)
		}
	}
	return v, nil
}

func keyName(id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf(" (kid %q)", id)
}

// Verify checks token and returns the identity it carries.
//
// Every error it returns wraps authrt.ErrInvalidCredential and one of the
// token sentinels (ErrMalformed, ErrSignatureInvalid, ErrTokenExpired, ...);
// authrt.PublicReason gives a short text for the client. The checks, each
// done once and in this order:
//
//  1. the length, against WithMaxTokenSize;
//  2. three dot-separated segments, each strict base64url;
//  3. the header: a JSON object with no repeated member, no crit, a typ (if
//     any) of JWT or at+jwt, an alg that is not "none" and that the
//     configured keys allow;
//  4. the key: the one whose ID is the header's kid, or without a kid each
//     key that allows the alg, at most 8 of them; the signature, by
//     golang-jwt's SigningMethod.Verify (PS* with a salt as long as the
//     hash);
//  5. the claims: a JSON object with no repeated member, then golang-jwt's
//     validator: exp (required by default), nbf, iss and aud, with the
//     leeway;
//  6. the subject, jti and scope claims, which must be strings (scopes
//     may also be a list of strings).
//
// ctx is not used: verification makes no calls.
func (v *Verifier) Verify(_ context.Context, token string) (*authrt.Identity, error) {
	if len(token) > v.cfg.maxSize {
		return nil, reject(ErrTokenTooLarge, "%d bytes, limit %d", len(token), v.cfg.maxSize)
	}
	hseg, pseg, sseg, ok := splitToken(token)
	if !ok {
		return nil, reject(ErrMalformed, "not three dot-separated segments")
	}
	rawHeader, err := decodeSegment(hseg)
	if err != nil {
		return nil, reject(ErrMalformed, "header: %v", err)
	}
	payload, err := decodeSegment(pseg)
	if err != nil {
		return nil, reject(ErrMalformed, "payload: %v", err)
	}
	sig, err := decodeSegment(sseg)
	if err != nil {
		return nil, reject(ErrMalformed, "signature: %v", err)
	}
	h, err := parseHeader(rawHeader)
	if err != nil {
		return nil, err
	}
	alg := lookupAlgorithm(h.alg)
	if isNone(h.alg) || alg < 0 || !v.algs.has(alg) {
		return nil, reject(ErrUnsupportedAlgorithm, "alg %s", quote(h.alg))
	}
	if err := v.verifySignature(token[:len(hseg)+1+len(pseg)], sig, alg, h); err != nil {
		return nil, err
	}
	claims, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	if err := v.validate(claims); err != nil {
		return nil, err
	}
	return v.identity(claims, payload)
}

// verifySignature checks sig over signingInput with the key the header
// selects.
func (v *Verifier) verifySignature(signingInput string, sig []byte, alg int, h header) error {
	method := algorithms[alg].method
	if h.hasKid {
		i, ok := v.byID[h.kid]
		if !ok {
			return reject(ErrUnknownKey, "kid %s", quote(h.kid))
		}
		k := v.keys[i]
		if !k.algs.has(alg) {
			return reject(ErrUnsupportedAlgorithm, "alg %s with kid %s", algorithms[alg].name, quote(h.kid))
		}
		if method.Verify(signingInput, sig, k.material) != nil {
			return reject(ErrSignatureInvalid, "alg %s, kid %s", algorithms[alg].name, quote(h.kid))
		}
		return nil
	}
	tried := 0
	for _, k := range v.keys {
		if !k.algs.has(alg) {
			continue
		}
		if tried == maxKeyTries {
			break
		}
		tried++
		if method.Verify(signingInput, sig, k.material) == nil {
			return nil
		}
	}
	return reject(ErrSignatureInvalid, "alg %s, no kid, %d keys tried", algorithms[alg].name, tried)
}

// validate runs golang-jwt's claim validation and maps its errors to ours.
func (v *Verifier) validate(claims map[string]any) error {
	validator := v.validator
	if v.byIssuer != nil {
		iss, ok := claims["iss"].(string)
		if !ok {
			return reject(ErrInvalidIssuer, "iss missing or not a string")
		}
		if validator, ok = v.byIssuer[iss]; !ok {
			return reject(ErrInvalidIssuer, "iss %s", quote(iss))
		}
	}
	err := validator.Validate(jwt.MapClaims(claims))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrInvalidType):
		return reject(ErrInvalidClaims, "%v", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return reject(ErrTokenExpired, "%v", err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return reject(ErrTokenNotValidYet, "%v", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return reject(ErrInvalidIssuer, "%v", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return reject(ErrInvalidAudience, "%v", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		if _, ok := claims["exp"]; !ok && v.cfg.requireExp {
			return reject(ErrMissingClaim, "%v", err)
		}
		if len(v.cfg.audiences) > 0 {
			return reject(ErrInvalidAudience, "%v", err)
		}
		return reject(ErrMissingClaim, "%v", err)
	}
	return reject(ErrInvalidClaims, "%v", err)
}

// identity builds the result from validated claims.
func (v *Verifier) identity(claims map[string]any, raw []byte) (*authrt.Identity, error) {
	id := &authrt.Identity{Claims: claims, RawClaims: raw}
	var err error
	if id.Subject, err = stringClaim(claims, v.cfg.subjectClaim); err != nil {
		return nil, err
	}
	if id.KeyID, err = stringClaim(claims, "jti"); err != nil {
		return nil, err
	}
	if exp, _ := jwt.MapClaims(claims).GetExpirationTime(); exp != nil {
		id.ExpiresAt = exp.Time
	}
	if v.cfg.scopeClaim != "" {
		id.Scopes, err = scopes(claims, v.cfg.scopeClaim)
	} else if _, ok := claims["scope"]; ok {
		id.Scopes, err = scopes(claims, "scope")
	} else {
		id.Scopes, err = scopes(claims, "scp")
	}
	if err != nil {
		return nil, err
	}
	return id, nil
}

// stringClaim returns the claim name, which must be a string if present.
func stringClaim(claims map[string]any, name string) (string, error) {
	v, ok := claims[name]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", reject(ErrInvalidClaims, "%s is not a string", quote(name))
	}
	return s, nil
}

// scopes reads the claim name as space-separated scopes (RFC 6749 section
// 3.3) or as a list of strings.
func scopes(claims map[string]any, name string) ([]string, error) {
	v, ok := claims[name]
	if !ok {
		return nil, nil
	}
	switch v := v.(type) {
	case string:
		return strings.Fields(v), nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok || s == "" || strings.ContainsAny(s, " \t\r\n") {
				return nil, reject(ErrInvalidClaims, "%s holds a value that is not a scope", quote(name))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, reject(ErrInvalidClaims, "%s is not a string or a list of strings", quote(name))
}
