package issuer

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
)

// Hash is the SHA-256 of a refresh token. Stores keep hashes, never tokens:
// a refresh token carries 256 random bits, so a fast hash is enough.
type Hash [sha256.Size]byte

// Session is one login: the subject, scopes and claims that every access
// token minted from its family of refresh tokens carries, and the time the
// family ends whatever its refreshes.
type Session struct {
	// ID identifies the session (the refresh-token family). Random.
	ID        string
	Subject   string
	Scopes    []string
	Claims    json.RawMessage // a JSON object, or empty
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AccessRef names an access token minted in a session, so that it can be
// revoked when the session is.
type AccessRef struct {
	JTI       string
	ExpiresAt time.Time
}

// MaxAccessRefs is how many live access tokens a store remembers per
// session, so as to revoke them with it. A client that refreshes more
// often than MaxAccessRefs times per access-token lifetime has the oldest
// revoked at once (with WithRevoker), since it holds newer ones: Rotate
// returns those past the limit, the Issuer revokes them, and only then
// asks the store to Forget them. So no access token escapes its session's
// revocation, however fast a thief racing the owner refreshes, and a
// revocation that fails is tried again at the next refresh.
const MaxAccessRefs = 64

// Bounds on the access tokens a store keeps beyond MaxAccessRefs while
// their revocation fails (the revocation list down): Rotate returns at most
// MaxExcessPerRefresh of them, so a refresh costs a bounded number of
// revocations, and refuses to rotate (ErrBacklog, a 503) once a session
// remembers MaxRememberedRefs, until its oldest access tokens expire or are
// revoked. No access token is forgotten unrevoked.
const (
	MaxExcessPerRefresh = 16
	MaxRememberedRefs   = 4 * MaxAccessRefs
)

// Errors a Store returns (possibly wrapped); the Issuer passes them on.
var (
	// ErrInvalidRefreshToken: the refresh token is malformed, unknown or
	// expired, or its session has ended or been revoked. An OAuth 2.0
	// token endpoint answers invalid_grant.
	ErrInvalidRefreshToken = errors.New("issuer: invalid refresh token")
	// ErrRefreshTokenReused: the refresh token was already exchanged. Only
	// its thief or its owner can present it again, and the store cannot
	// tell which: the whole session is revoked. It matches
	// ErrInvalidRefreshToken too.
	ErrRefreshTokenReused = &reuseError{}
)

// ErrBacklog is returned by Rotate for a session that remembers
// MaxRememberedRefs access tokens whose revocation has not succeeded yet.
// The refresh token is not spent, and each such refresh revokes the oldest
// MaxExcessPerRefresh: a retry once the revocation list is back succeeds.
// It wraps authrt.ErrUnavailable.
var ErrBacklog = fmt.Errorf("%w: issuer: too many access tokens of the session wait to be revoked", authrt.ErrUnavailable)

type reuseError struct{}

func (*reuseError) Error() string        { return "issuer: refresh token reused; its session is revoked" }
func (*reuseError) Is(target error) bool { return target == ErrInvalidRefreshToken }

// Store keeps sessions and the hashes of their refresh tokens. Every method
// must be atomic: two concurrent Rotates of one token must see one succeed
// and the other fail with ErrRefreshTokenReused. MemoryStore and
// issuerredis.Store are Stores. A store that cannot be reached should wrap
// authrt.ErrUnavailable.
type Store interface {
	// Create stores session s with its first refresh token, of hash h,
	// valid until exp, and records the access token minted with it.
	Create(ctx context.Context, s *Session, h Hash, exp time.Time, access AccessRef) error
	// Rotate exchanges the refresh token of hash h at now. If it is
	// current, Rotate marks it used, stores next valid until nextExp (or
	// the session's end if sooner), records access, and returns the
	// session, with the oldest live access tokens beyond MaxAccessRefs (at
	// most MaxExcessPerRefresh, never access), which it still remembers
	// until Forget; it fails with ErrBacklog, changing nothing, when the
	// session remembers MaxRememberedRefs, and returns a session with at
	// least its ID and the oldest MaxExcessPerRefresh of them. If it was
	// used already, Rotate revokes the session and returns
	// ErrRefreshTokenReused with the session's live access tokens.
	// Otherwise it returns ErrInvalidRefreshToken.
	Rotate(ctx context.Context, h, next Hash, nextExp time.Time, access AccessRef, now time.Time) (*Session, []AccessRef, error)
	// Revoke ends the session of the refresh token of hash h (current or
	// used) and returns its live access tokens; ErrInvalidRefreshToken if
	// the token is unknown or expired.
	Revoke(ctx context.Context, h Hash, now time.Time) ([]AccessRef, error)
	// Forget drops refs from the access tokens remembered for session id,
	// once the Issuer has revoked them (or has no revoker). Unknown ones
	// are ignored.
	Forget(ctx context.Context, id string, refs []AccessRef) error
}
