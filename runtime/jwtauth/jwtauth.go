package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
)

// maxKeyTries bounds how many keys a token without kid is tried against, so
// that a bad token costs at most this many signature checks.
const maxKeyTries = 8

// everyAlgorithm has a bit for every entry of algorithms.
const everyAlgorithm = algSet(1<<len(algorithms) - 1)

// Verifier verifies JWS compact-serialized JWTs (bearer access tokens). It
// implements authrt.Verifier. It is immutable after New or NewFromSource
// (its key source and cache change inside) and safe for concurrent use.
type Verifier struct {
	static  *KeySet   // the keys of New; nil with a source
	src     KeySource // the keys of NewFromSource; nil with static keys
	allowed algSet    // algorithms allowed by WithAlgorithms, or all

	// validator checks the claims when no issuer is configured; otherwise
	// byIssuer holds one per accepted issuer.
	validator *jwt.Validator
	byIssuer  map[string]*jwt.Validator

	cache *tokenCache // nil without WithCache
	cfg   config
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
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	set, err := newKeySet(keys, cfg.algs, cfg.algsSet)
	if err != nil {
		return nil, err
	}
	return build(cfg, set, nil), nil
}

// NewFromSource returns a Verifier that checks signatures with the keys src
// gives at the time of each verification, such as a JWK Set that package
// jwks keeps fresh. The options are those of New. WithAlgorithms narrows
// what every key of every set may verify.
//
// A token whose kid the current set lacks makes the Verifier ask
// src.KeysFor once for a newer set. When src.Keys fails, Verify returns its
// error (a technical failure: 503), never a rejection.
func NewFromSource(src KeySource, opts ...Option) (*Verifier, error) {
	if src == nil {
		return nil, fmt.Errorf("%w: nil KeySource", ErrInvalidOption)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return build(cfg, nil, src), nil
}

func newConfig(opts []Option) (config, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return cfg, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	if err := cfg.checkGrace(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func build(cfg config, set *KeySet, src KeySource) *Verifier {
	v := &Verifier{static: set, src: src, allowed: everyAlgorithm, cfg: cfg}
	if cfg.algsSet {
		v.allowed = cfg.algs
	}
	if cfg.cacheSize > 0 {
		v.cache = newTokenCache(cfg.cacheSize, cfg.cacheTTL)
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
	return v
}

// Close stops the key source's background work, if the source has any (an
// io.Closer, such as a jwks.Source). The Verifier must not be used after.
func (v *Verifier) Close() error {
	if c, ok := v.src.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func keyName(id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf(" (kid %q)", id)
}

// Verify checks token and returns the identity it carries.
//
// Every rejection wraps authrt.ErrInvalidCredential and one of the token
// sentinels (ErrMalformed, ErrSignatureInvalid, ErrTokenExpired,
// ErrTokenRevoked, ...); authrt.PublicReason gives a short text for the
// client. Any other error is a technical failure: the key source has no
// trustworthy keys, or the revocation list cannot tell (both wrap
// authrt.ErrUnavailable for the sources in this module). The checks, each
// done once and in this order:
//
//  1. the length, against WithMaxTokenSize;
//  2. with WithCache, the cache: a token verified before, whose entry has
//     not expired and whose keys are still the current ones, skips to 8;
//  3. three dot-separated segments, each strict base64url;
//  4. the header: a JSON object with no repeated member, no crit, a typ (if
//     any) of JWT or at+jwt, an alg that is not "none" and that the
//     configured keys allow;
//  5. the key: the one whose ID is the header's kid (asking the key source
//     for newer keys once if the kid is unknown), or without a kid each key
//     that allows the alg, at most 8 of them; the signature, by
//     golang-jwt's SigningMethod.Verify (PS* with a salt as long as the
//     hash);
//  6. the claims: a JSON object with no repeated member, then golang-jwt's
//     validator: exp (required by default), nbf, iss and aud, with the
//     leeway;
//  7. the subject, jti and scope claims, which must be strings (scopes
//     may also be a list of strings);
//  8. with WithRevocation, the jti against the revocation list.
//
// The returned Identity must be treated as read-only: with WithCache it is
// shared by every request that presents the same token.
func (v *Verifier) Verify(ctx context.Context, token string) (*authrt.Identity, error) {
	if len(token) > v.cfg.maxSize {
		return nil, reject(ErrTokenTooLarge, "%d bytes, limit %d", len(token), v.cfg.maxSize)
	}
	set, err := v.keys()
	if err != nil {
		return nil, err
	}
	var key cacheKey
	var signed string
	cacheable := false
	if v.cache != nil {
		key, signed, cacheable = splitForCache(token)
	}
	if cacheable {
		if id, ok := v.cache.get(&key, signed, set.gen, v.cfg.clock()); ok {
			if err := v.checkRevoked(id); err != nil {
				return nil, err
			}
			return id, nil
		}
	}
	id, set, err := v.verify(ctx, set, token)
	if err != nil {
		return nil, err
	}
	if err := v.checkRevoked(id); err != nil {
		return nil, err
	}
	if cacheable {
		v.cache.put(&key, signed, id, set.gen, v.cfg.clock())
	}
	return id, nil
}

// keys returns the key set to verify with now.
func (v *Verifier) keys() (*KeySet, error) {
	if v.src == nil {
		return v.static, nil
	}
	set, err := v.src.Keys()
	if err != nil {
		if errors.Is(err, authrt.ErrInvalidCredential) {
			// A source failure is never the client's fault.
			return nil, fmt.Errorf("%w: jwtauth: key source: %v", authrt.ErrUnavailable, err)
		}
		return nil, fmt.Errorf("jwtauth: key source: %w", err)
	}
	if set == nil {
		return nil, fmt.Errorf("%w: jwtauth: key source returned no key set", authrt.ErrUnavailable)
	}
	return set, nil
}

// verify does steps 3 to 7 of Verify with the keys of set, and returns the
// set that verified the signature (a newer one after an unknown kid).
func (v *Verifier) verify(ctx context.Context, set *KeySet, token string) (*authrt.Identity, *KeySet, error) {
	hseg, pseg, sseg, ok := splitToken(token)
	if !ok {
		return nil, nil, reject(ErrMalformed, "not three dot-separated segments")
	}
	rawHeader, err := decodeSegment(hseg)
	if err != nil {
		return nil, nil, reject(ErrMalformed, "header: %v", err)
	}
	payload, err := decodeSegment(pseg)
	if err != nil {
		return nil, nil, reject(ErrMalformed, "payload: %v", err)
	}
	sig, err := decodeSegment(sseg)
	if err != nil {
		return nil, nil, reject(ErrMalformed, "signature: %v", err)
	}
	h, err := parseHeader(rawHeader)
	if err != nil {
		return nil, nil, err
	}
	if len(v.cfg.types) > 0 && !slices.ContainsFunc(v.cfg.types, func(t string) bool { return typeIs(h.typ, t) }) {
		return nil, nil, reject(ErrUnsupportedType, "typ %s, want one of %v", quote(h.typ), v.cfg.types)
	}
	alg := lookupAlgorithm(h.alg)
	if isNone(h.alg) || alg < 0 || !v.allowed.has(alg) {
		return nil, nil, reject(ErrUnsupportedAlgorithm, "alg %s", quote(h.alg))
	}
	if h.hasKid && !set.HasKeyID(h.kid) && v.src != nil {
		set = v.src.KeysFor(ctx, h.kid)
		if set == nil {
			return nil, nil, fmt.Errorf("%w: jwtauth: key source returned no key set", authrt.ErrUnavailable)
		}
	}
	if h.hasKid && !set.HasKeyID(h.kid) {
		return nil, nil, reject(ErrUnknownKey, "kid %s", quote(h.kid))
	}
	if !(set.algs & v.allowed).has(alg) {
		return nil, nil, reject(ErrUnsupportedAlgorithm, "alg %s", quote(h.alg))
	}
	if err := v.verifySignature(set, token[:len(hseg)+1+len(pseg)], sig, alg, h); err != nil {
		return nil, nil, err
	}
	claims, err := parseClaims(payload)
	if err != nil {
		return nil, nil, err
	}
	if err := v.validate(claims); err != nil {
		return nil, nil, err
	}
	id, err := v.identity(claims, payload)
	return id, set, err
}

// checkRevoked asks the revocation list about the identity's jti. A token
// without jti cannot be revoked.
func (v *Verifier) checkRevoked(id *authrt.Identity) error {
	if v.cfg.revocation == nil || id.KeyID == "" {
		return nil
	}
	revoked, err := v.cfg.revocation.Revoked(id.KeyID)
	if err != nil {
		return fmt.Errorf("jwtauth: revocation check: %w", err)
	}
	if revoked {
		return reject(ErrTokenRevoked, "jti %s", quote(id.KeyID))
	}
	return nil
}

// verifySignature checks sig over signingInput with the key of set that the
// header selects.
func (v *Verifier) verifySignature(set *KeySet, signingInput string, sig []byte, alg int, h header) error {
	method := algorithms[alg].method
	if h.hasKid {
		i, ok := set.byID[h.kid]
		if !ok {
			return reject(ErrUnknownKey, "kid %s", quote(h.kid))
		}
		k := set.keys[i]
		if !(k.algs & v.allowed).has(alg) {
			return reject(ErrUnsupportedAlgorithm, "alg %s with kid %s", algorithms[alg].name, quote(h.kid))
		}
		if method.Verify(signingInput, sig, k.material) != nil {
			return reject(ErrSignatureInvalid, "alg %s, kid %s", algorithms[alg].name, quote(h.kid))
		}
		return nil
	}
	tried := 0
	for _, k := range set.keys {
		if !(k.algs & v.allowed).has(alg) {
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
