package jwtauth

import (
	"fmt"
	"time"
)

// Defaults of the options.
const (
	// DefaultLeeway is the clock skew allowed on exp and nbf unless
	// WithLeeway says otherwise.
	DefaultLeeway = 30 * time.Second
	// DefaultMaxTokenSize is the longest token accepted unless
	// WithMaxTokenSize says otherwise: 8 KiB, well above real access tokens
	// and well below typical header limits.
	DefaultMaxTokenSize = 8 << 10
)

// Option configures a Verifier. Options that get an unusable value make New
// fail with ErrInvalidOption.
type Option func(*config) error

// config is what the options set.
type config struct {
	issuers      []string
	audiences    []string
	leeway       time.Duration
	clock        func() time.Time
	maxSize      int
	algs         algSet // allowed algorithms; all when zero and !algsSet
	algsSet      bool
	requireExp   bool
	scopeClaim   string // "" means "scope", then "scp"
	subjectClaim string
	cacheSize    int           // 0: no cache
	cacheTTL     time.Duration // longest a cached result is kept
	revocation   RevocationList
	types        []string // required typ, one of; none when empty
}

func defaultConfig() config {
	return config{
		leeway:       DefaultLeeway,
		clock:        time.Now,
		maxSize:      DefaultMaxTokenSize,
		requireExp:   true,
		subjectClaim: "sub",
	}
}

// WithTypes requires the JOSE header's typ to be one of types, with or
// without "application/" (RFC 7515 section 4.1.9), so that a verifier of
// access tokens refuses other JWTs the same key signed: WithTypes("at+jwt")
// (RFC 9068 section 4). Each must be "JWT" or "at+jwt". Without it, typ may
// be absent, "JWT" or "at+jwt".
func WithTypes(types ...string) Option {
	return func(c *config) error {
		if len(types) == 0 {
			return fmt.Errorf("%w: WithTypes needs at least one type", ErrInvalidOption)
		}
		for _, t := range types {
			if !typeIs(t, "JWT") && !typeIs(t, "at+jwt") {
				return fmt.Errorf("%w: WithTypes(%q): want \"JWT\" or \"at+jwt\"", ErrInvalidOption, t)
			}
		}
		c.types = append([]string(nil), types...)
		return nil
	}
}

// WithIssuer requires the iss claim to be one of iss. Without it, iss is not
// checked.
func WithIssuer(iss ...string) Option {
	return func(c *config) error {
		if len(iss) == 0 {
			return fmt.Errorf("%w: WithIssuer needs at least one issuer", ErrInvalidOption)
		}
		for _, s := range iss {
			if s == "" {
				return fmt.Errorf("%w: WithIssuer with an empty issuer", ErrInvalidOption)
			}
		}
		c.issuers = append(c.issuers, iss...)
		return nil
	}
}

// WithAudience requires the aud claim (a string or a list of strings) to
// contain at least one of aud. Without it, aud is not checked.
func WithAudience(aud ...string) Option {
	return func(c *config) error {
		if len(aud) == 0 {
			return fmt.Errorf("%w: WithAudience needs at least one audience", ErrInvalidOption)
		}
		for _, s := range aud {
			if s == "" {
				return fmt.Errorf("%w: WithAudience with an empty audience", ErrInvalidOption)
			}
		}
		c.audiences = append(c.audiences, aud...)
		return nil
	}
}

// WithLeeway sets the clock skew allowed when checking exp and nbf. The
// default is DefaultLeeway (30 seconds).
func WithLeeway(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: negative leeway %v", ErrInvalidOption, d)
		}
		c.leeway = d
		return nil
	}
}

// WithClock sets the function that tells the current time, for tests. The
// default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	}
}

// WithMaxTokenSize sets the length in bytes of the longest token accepted.
// Longer tokens are refused before any decoding. The default is
// DefaultMaxTokenSize (8 KiB).
func WithMaxTokenSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: max token size %d", ErrInvalidOption, n)
		}
		c.maxSize = n
		return nil
	}
}

// WithAlgorithms narrows the accepted algorithms to algs (for example
// "RS256", "ES256"). It never widens what a key allows: each key still only
// verifies the algorithms of its type. A key left with no algorithm is not
// used; New fails if no key is left. Repeated, the lists intersect.
func WithAlgorithms(algs ...string) Option {
	return func(c *config) error {
		if len(algs) == 0 {
			return fmt.Errorf("%w: WithAlgorithms needs at least one algorithm", ErrInvalidOption)
		}
		var set algSet
		for _, name := range algs {
			i := lookupAlgorithm(name)
			if i < 0 {
				return fmt.Errorf("%w: %q", ErrUnknownAlgorithm, name)
			}
			set |= 1 << i
		}
		if c.algsSet {
			set &= c.algs
		}
		c.algs, c.algsSet = set, true
		return nil
	}
}

// WithoutExpirationRequired accepts tokens without an exp claim. By default
// exp is required. An exp that is present is always checked.
func WithoutExpirationRequired() Option {
	return func(c *config) error {
		c.requireExp = false
		return nil
	}
}

// WithScopeClaim names the claim that holds the granted scopes: a string of
// space-separated scopes, or a JSON array of strings. By default the scopes
// come from "scope" (RFC 8693, RFC 9068) or, when it is absent, from "scp".
func WithScopeClaim(name string) Option {
	return func(c *config) error {
		if name == "" {
			return fmt.Errorf("%w: empty scope claim name", ErrInvalidOption)
		}
		c.scopeClaim = name
		return nil
	}
}

// WithSubjectClaim names the string claim that becomes Identity.Subject.
// The default is "sub".
func WithSubjectClaim(name string) Option {
	return func(c *config) error {
		if name == "" {
			return fmt.Errorf("%w: empty subject claim name", ErrInvalidOption)
		}
		c.subjectClaim = name
		return nil
	}
}
