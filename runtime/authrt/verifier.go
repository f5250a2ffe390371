package authrt

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Generated code pins the runtime it was made for, as protobuf-go does:
//
//	const (
//		_ = authrt.EnforceVersion(1 - authrt.MinVersion) // generated code is new enough
//		_ = authrt.EnforceVersion(authrt.MaxVersion - 1) // runtime is new enough
//	)
//
// A negative constant converted to the unsigned EnforceVersion does not
// compile, so a stale generated file (or a stale runtime) fails the build
// instead of misbehaving.
type EnforceVersion uint

const (
	// MaxVersion is the newest generated-code version this runtime supports.
	MaxVersion = 1
	// MinVersion is the oldest generated-code version this runtime supports.
	MinVersion = 1
)

// Verifier checks one credential taken from a request: a bearer token, an API
// key, and so on. It is configured per security scheme.
//
// A credential that is bad (wrong signature, expired, unknown key) is reported
// as an error that wraps ErrInvalidCredential: the request is refused with 401.
// Any other error is a technical failure of the verifier (a key store that
// cannot be reached); the request is refused with 503, never let through.
//
// Verify must be safe for concurrent use. It must not keep the credential.
type Verifier interface {
	Verify(ctx context.Context, credential string) (*Identity, error)
}

// VerifierFunc adapts a function to the Verifier interface.
type VerifierFunc func(ctx context.Context, credential string) (*Identity, error)

// Verify calls f(ctx, credential).
func (f VerifierFunc) Verify(ctx context.Context, credential string) (*Identity, error) {
	return f(ctx, credential)
}

// ErrInvalidCredential is wrapped by every error that means "this credential
// is not acceptable". Verifiers wrap it (directly or through their own
// sentinels) so that the middleware can tell a bad credential (401) from a
// failing verifier (503).
var ErrInvalidCredential = errors.New("invalid credential")

// ErrUnavailable is wrapped by verifier errors that mean a dependency (a key
// store, an identity provider) is temporarily out of reach. The middleware
// answers 503 with Retry-After.
var ErrUnavailable = errors.New("temporarily unavailable")

// Reject returns an error wrapping ErrInvalidCredential with a short public
// reason, for use by custom verifiers. The reason is sent to the client as the
// RFC 6750 error_description: it must not contain the credential or any
// secret.
func Reject(reason string) error {
	return &rejection{reason: reason}
}

// Rejectf is Reject with a wrapped cause: errors.Is(err, cause) holds.
// Only reason is sent to the client.
func Rejectf(reason string, cause error) error {
	return &rejection{reason: reason, cause: cause}
}

type rejection struct {
	reason string
	cause  error
}

func (e *rejection) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %v", e.reason, e.cause)
	}
	return e.reason
}

func (e *rejection) Is(target error) bool { return target == ErrInvalidCredential }
func (e *rejection) Unwrap() error        { return e.cause }

// PublicReason returns the reason of a rejection made with Reject or Rejectf,
// safe to send to a client, or a generic text for other errors.
func PublicReason(err error) string {
	var r *rejection
	if errors.As(err, &r) {
		return r.reason
	}
	return "the credential is not valid"
}

// Identity is what a verifier learned from one valid credential.
//
// Identities, and the Principal built from them, are read-only: verifiers
// may share their slices and maps with their own records and caches
// (an API key's scopes and metadata, a cached token's claims), so a handler
// that changes one would change them for every later request.
type Identity struct {
	// Subject identifies who the credential belongs to: a JWT's sub, an API
	// key's owner.
	Subject string
	// KeyID names the credential without revealing it: an API key's ID, or a
	// JWT's jti. Safe to log.
	KeyID string
	// Scopes are the scopes the credential grants.
	Scopes []string
	// Claims holds the token's claims or the key's metadata. Values have the
	// types encoding/json gives (string, float64 or json.Number, bool,
	// []any, map[string]any).
	Claims map[string]any
	// ExpiresAt is when the credential stops being valid; zero if never.
	ExpiresAt time.Time
	// RawClaims is the JSON the claims were decoded from, if any; it lets
	// Principal.DecodeClaims fill a typed struct.
	RawClaims []byte
}

// HasScope reports whether the identity was granted scope.
func (id *Identity) HasScope(scope string) bool {
	for _, s := range id.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}
