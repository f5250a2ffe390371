package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authgen/authgen/runtime/jwtauth"
)

// Defaults of the options.
const (
	// DefaultAccessTTL is the lifetime of an access token.
	DefaultAccessTTL = 10 * time.Minute
	// DefaultRefreshTTL is the lifetime of a refresh token: a session not
	// refreshed for that long ends.
	DefaultRefreshTTL = 14 * 24 * time.Hour
	// DefaultSessionTTL is the longest a session lasts, however often it is
	// refreshed; then the user logs in again.
	DefaultSessionTTL = 30 * 24 * time.Hour
	// MaxAccessTTL bounds WithAccessTTL: access tokens are meant to be
	// short-lived, since only a revocation list can stop one early.
	MaxAccessTTL = 24 * time.Hour
)

// Errors of New and Issue.
var (
	// ErrInvalidOption: an option was given a value it cannot use, or a
	// required one is missing.
	ErrInvalidOption = errors.New("issuer: invalid option")
	// ErrInvalidClaims: Issue was given an empty subject, a scope with
	// spaces, or a claim the issuer sets itself.
	ErrInvalidClaims = errors.New("issuer: invalid claims")
)

// Revoker revokes access tokens by jti until their exp: revoke.Memory and
// revokeredis.List are Revokers.
type Revoker interface {
	Revoke(ctx context.Context, jti string, exp time.Time) error
}

// Option configures an Issuer.
type Option func(*config) error

type config struct {
	issuer     string
	audience   []string
	accessTTL  time.Duration
	refreshTTL time.Duration
	sessionTTL time.Duration
	revoker    Revoker
	extraKeys  []jwtauth.Key
	clock      func() time.Time
}

func defaultConfig() config {
	return config{accessTTL: DefaultAccessTTL, refreshTTL: DefaultRefreshTTL, sessionTTL: DefaultSessionTTL, clock: time.Now}
}

// WithIssuer sets the iss of every access token (required): a URL that
// names this service.
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if iss == "" {
			return fmt.Errorf("%w: empty issuer", ErrInvalidOption)
		}
		c.issuer = iss
		return nil
	}
}

// WithAudience sets the aud of every access token: the APIs that accept
// it.
func WithAudience(aud ...string) Option {
	return func(c *config) error {
		if len(aud) == 0 {
			return fmt.Errorf("%w: WithAudience needs an audience", ErrInvalidOption)
		}
		for _, a := range aud {
			if a == "" {
				return fmt.Errorf("%w: empty audience", ErrInvalidOption)
			}
		}
		c.audience = append(c.audience, aud...)
		return nil
	}
}

// WithAccessTTL sets the lifetime of access tokens (DefaultAccessTTL; at
// most MaxAccessTTL).
func WithAccessTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > MaxAccessTTL {
			return fmt.Errorf("%w: access TTL %v (want 1s to %v)", ErrInvalidOption, d, MaxAccessTTL)
		}
		c.accessTTL = d
		return nil
	}
}

// WithRefreshTTL sets the lifetime of each refresh token
// (DefaultRefreshTTL) and the longest a session lasts (DefaultSessionTTL).
func WithRefreshTTL(refresh, session time.Duration) Option {
	return func(c *config) error {
		if refresh < time.Minute || session < time.Minute {
			return fmt.Errorf("%w: refresh TTL %v and session lifetime %v (want at least 1m)", ErrInvalidOption, refresh, session)
		}
		c.refreshTTL, c.sessionTTL = refresh, session
		return nil
	}
}

// WithRevoker revokes the live access tokens of a session when it is
// revoked (Revoke, or reuse of a refresh token). Verifiers must check the
// same list (jwtauth.WithRevocation) for that to matter.
func WithRevoker(r Revoker) Option {
	return func(c *config) error {
		if r == nil {
			return fmt.Errorf("%w: nil Revoker", ErrInvalidOption)
		}
		c.revoker = r
		return nil
	}
}

// WithVerificationKeys adds keys that Verifier and Keys accept besides the
// signer's: the previous signing key, during a key rotation.
func WithVerificationKeys(keys ...jwtauth.Key) Option {
	return func(c *config) error {
		c.extraKeys = append(c.extraKeys, keys...)
		return nil
	}
}

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	}
}
