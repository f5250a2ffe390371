package jwtauth

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/authgen/authgen/runtime/authrt"
)

// tokenError is the type of the sentinels that reject a token. Each one
// matches authrt.ErrInvalidCredential under errors.Is, and carries the short
// reason that may be shown to the client.
type tokenError struct {
	msg    string // for logs
	reason string // public, for the RFC 6750 error_description
}

func (e *tokenError) Error() string { return e.msg }

func (e *tokenError) Is(target error) bool { return target == authrt.ErrInvalidCredential }

func newTokenError(msg, reason string) error { return &tokenError{msg: msg, reason: reason} }

// Errors that reject a token. Verify wraps one of them in every error it
// returns, so callers can write errors.Is(err, jwtauth.ErrTokenExpired); each
// also matches authrt.ErrInvalidCredential. authrt.PublicReason of such an
// error is a short sentence that never contains the token.
var (
	// ErrMalformed: the token is not a well-formed JWS compact serialization
	// (not three parts, bad base64url, header or claims not a JSON object,
	// a header member of the wrong type).
	ErrMalformed = newTokenError("jwtauth: malformed token", "the token is malformed")
	// ErrTokenTooLarge: the token is longer than the configured maximum.
	ErrTokenTooLarge = newTokenError("jwtauth: token too large", "the token is too large")
	// ErrUnsupportedAlgorithm: the header's alg is "none", unknown, not
	// allowed, or not allowed for the selected key.
	ErrUnsupportedAlgorithm = newTokenError("jwtauth: unsupported algorithm", "the token algorithm is not accepted")
	// ErrUnknownKey: the header's kid names no configured key.
	ErrUnknownKey = newTokenError("jwtauth: unknown key", "the token key is unknown")
	// ErrSignatureInvalid: the signature does not verify.
	ErrSignatureInvalid = newTokenError("jwtauth: invalid signature", "the token signature is invalid")
	// ErrTokenExpired: exp is in the past (beyond the leeway).
	ErrTokenExpired = newTokenError("jwtauth: token expired", "the token is expired")
	// ErrTokenNotValidYet: nbf is in the future (beyond the leeway).
	ErrTokenNotValidYet = newTokenError("jwtauth: token not valid yet", "the token is not valid yet")
	// ErrInvalidIssuer: iss is missing or not one of the configured issuers.
	ErrInvalidIssuer = newTokenError("jwtauth: invalid issuer", "the token issuer is not accepted")
	// ErrInvalidAudience: aud is missing or holds none of the configured
	// audiences.
	ErrInvalidAudience = newTokenError("jwtauth: invalid audience", "the token audience is not accepted")
	// ErrMissingClaim: a required claim (exp, unless
	// WithoutExpirationRequired) is absent.
	ErrMissingClaim = newTokenError("jwtauth: missing required claim", "the token lacks a required claim")
	// ErrInvalidClaims: a registered or configured claim has the wrong type
	// (a string exp, a numeric sub, a scope that is not a string or a list
	// of strings).
	ErrInvalidClaims = newTokenError("jwtauth: invalid claims", "the token claims are invalid")
	// ErrCritical: the header has a crit member. No extension is
	// understood, so every crit (even an empty one) is refused.
	ErrCritical = newTokenError("jwtauth: unsupported critical header", "the token uses an unsupported extension")
	// ErrDuplicateMember: the header or the claims repeat a member name.
	ErrDuplicateMember = newTokenError("jwtauth: duplicate JSON member", "the token repeats a member name")
	// ErrUnsupportedType: the header's typ is not JWT or at+jwt.
	ErrUnsupportedType = newTokenError("jwtauth: unsupported token type", "the token type is not accepted")
	// ErrTokenRevoked: the token's jti is on the revocation list given by
	// WithRevocation.
	ErrTokenRevoked = newTokenError("jwtauth: token revoked", "the token has been revoked")
)

// reject returns the error Verify reports: a rejection whose public reason is
// the sentinel's, wrapping the sentinel with a detail for logs. The detail
// must not contain the token; header values in it go through quote.
func reject(sentinel error, format string, args ...any) error {
	reason := "the token is not valid"
	if te, ok := sentinel.(*tokenError); ok {
		reason = te.reason
	}
	cause := sentinel
	if format != "" {
		cause = fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
	}
	return authrt.Rejectf(reason, cause)
}

// quote makes an attacker-controlled string safe for a log line: quoted,
// escaped and cut to a bounded length.
func quote(s string) string {
	const limit = 64
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}

// Errors returned by New, ParsePEM, ParseJWKS and LoadJWKSFile for a
// configuration that must not be used. They never match
// authrt.ErrInvalidCredential.
var (
	// ErrNoKeys: no usable key was given, or none is left after
	// WithAlgorithms.
	ErrNoKeys = errors.New("jwtauth: no usable verification key")
	// ErrInvalidKey: a key is of an unsupported type or is not a valid key
	// (a point off its curve, a private key where a public one is needed).
	ErrInvalidKey = errors.New("jwtauth: invalid key")
	// ErrWeakKey: an HMAC secret shorter than its hash (32 bytes for HS256),
	// or an RSA modulus under 2048 bits.
	ErrWeakKey = errors.New("jwtauth: key too weak")
	// ErrUnknownAlgorithm: an algorithm name that is not one of HS256,
	// HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,
	// ES512, EdDSA.
	ErrUnknownAlgorithm = errors.New("jwtauth: unknown algorithm")
	// ErrAlgorithmMismatch: a key's algorithm does not fit its type (HS256
	// on an RSA key, ES384 on a P-256 key).
	ErrAlgorithmMismatch = errors.New("jwtauth: algorithm does not fit the key")
	// ErrDuplicateKeyID: two keys share a kid.
	ErrDuplicateKeyID = errors.New("jwtauth: duplicate key ID")
	// ErrInvalidOption: an option was given a value it cannot use.
	ErrInvalidOption = errors.New("jwtauth: invalid option")
	// ErrInvalidPEM: PEM input holds no public key or certificate, or a
	// block that is neither.
	ErrInvalidPEM = errors.New("jwtauth: invalid PEM")
	// ErrInvalidJWKS: a JWK Set is not valid JSON, not a set, has a bad
	// member, or holds no usable signature key.
	ErrInvalidJWKS = errors.New("jwtauth: invalid JWK set")
)
