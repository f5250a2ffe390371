package apikey

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

const (
	// DefaultMinKeyLength is the shortest key, in bytes, a Verifier accepts
	// unless told otherwise (WithMinKeyLength).
	DefaultMinKeyLength = 16
	// DefaultMaxKeyLength is the longest key, in bytes, a Verifier accepts
	// unless told otherwise (WithMaxKeyLength).
	DefaultMaxKeyLength = 256
	// MinPepperLength is the shortest pepper, in bytes, NewVerifier accepts.
	MinPepperLength = 16
)

// Option configures a Verifier. Options are checked by NewVerifier, which
// fails on any misconfiguration.
type Option func(*config)

// config collects the options before NewVerifier checks them.
type config struct {
	hasher    *Hasher
	hasherSet bool
	pepper    []byte
	pepperSet bool
	clock     func() time.Time
	clockSet  bool
	minLen    int
	maxLen    int
	prefixes  []string
	addrFrom  func(context.Context) (netip.Addr, bool)

	addrFromNil bool
}

// WithHasher makes the Verifier hash keys with h, which must be the Hasher
// the store's records were made with. It cannot be combined with
// WithPepper. Default: plain SHA-256.
func WithHasher(h *Hasher) Option {
	return func(c *config) { c.hasher, c.hasherSet = h, true }
}

// WithPepper makes the Verifier hash keys with HMAC-SHA256 under pepper, as
// NewHasher(pepper) does. pepper must be at least MinPepperLength bytes. It
// cannot be combined with WithHasher.
func WithPepper(pepper []byte) Option {
	pepper = append([]byte(nil), pepper...)
	return func(c *config) { c.pepper, c.pepperSet = pepper, true }
}

// WithClock sets the function that gives the current time, against which
// NotBefore and ExpiresAt are checked. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock, c.clockSet = now, true }
}

// WithMinKeyLength sets the shortest key, in bytes, that is looked up;
// shorter keys are refused with ErrMalformedKey. n must be at least 1.
// Default: DefaultMinKeyLength.
func WithMinKeyLength(n int) Option {
	return func(c *config) { c.minLen = n }
}

// WithMaxKeyLength sets the longest key, in bytes, that is hashed; longer
// keys are refused with ErrMalformedKey before any hashing. n must be at least
// the minimum length. Default: DefaultMaxKeyLength.
func WithMaxKeyLength(n int) Option {
	return func(c *config) { c.maxLen = n }
}

// WithPrefixes makes the Verifier accept only keys in the format NewKey
// makes (see ParseKey) with one of the given prefixes: any other key is
// refused with ErrMalformedKey before it is hashed or looked up, and a
// mistyped key fails its checksum there. Use it for keys minted by authgen;
// without it, any key of acceptable length is looked up. Each prefix must
// pass ValidPrefix.
func WithPrefixes(prefixes ...string) Option {
	prefixes = append([]string(nil), prefixes...)
	return func(c *config) {
		if prefixes == nil {
			prefixes = []string{} // given, but empty: refused below
		}
		c.prefixes = prefixes
	}
}

// WithClientAddrFrom sets where the Verifier finds the client address that
// records' network rules (Record.Networks) are checked against. Default:
// ClientAddrFrom, filled by ClientAddr.Middleware. Give another function
// when the server resolves client addresses in its own middleware.
func WithClientAddrFrom(from func(context.Context) (netip.Addr, bool)) Option {
	return func(c *config) {
		c.addrFrom = from
		if from == nil {
			c.addrFrom = func(context.Context) (netip.Addr, bool) { return netip.Addr{}, false }
			c.addrFromNil = true
		}
	}
}

// newConfig applies opts over the defaults and checks the result, reporting
// every problem at once.
func newConfig(opts []Option) (*config, error) {
	c := &config{clock: time.Now, minLen: DefaultMinKeyLength, maxLen: DefaultMaxKeyLength, addrFrom: ClientAddrFrom}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("apikey: nil Option")
		}
		opt(c)
	}
	var errs []error
	switch {
	case c.hasherSet && c.pepperSet:
		errs = append(errs, errors.New("apikey: WithHasher and WithPepper both given; use one"))
	case c.hasherSet && c.hasher == nil:
		errs = append(errs, errors.New("apikey: WithHasher(nil)"))
	case c.hasherSet && c.hasher.Peppered() && c.hasher.pepperLen < MinPepperLength:
		errs = append(errs, fmt.Errorf("apikey: the Hasher's pepper is %d bytes, shorter than %d",
			c.hasher.pepperLen, MinPepperLength))
	case c.pepperSet && len(c.pepper) < MinPepperLength:
		errs = append(errs, fmt.Errorf("apikey: WithPepper: pepper is %d bytes, shorter than %d",
			len(c.pepper), MinPepperLength))
	case c.pepperSet:
		c.hasher = NewHasher(c.pepper)
	case !c.hasherSet:
		c.hasher = plain
	}
	if c.clockSet && c.clock == nil {
		errs = append(errs, errors.New("apikey: WithClock(nil)"))
	}
	if c.minLen < 1 {
		errs = append(errs, fmt.Errorf("apikey: minimum key length %d is less than 1", c.minLen))
	}
	if c.maxLen < c.minLen {
		errs = append(errs, fmt.Errorf("apikey: maximum key length %d is less than the minimum %d",
			c.maxLen, c.minLen))
	}
	if c.addrFromNil {
		errs = append(errs, errors.New("apikey: WithClientAddrFrom(nil)"))
	}
	if c.prefixes != nil && len(c.prefixes) == 0 {
		errs = append(errs, errors.New("apikey: WithPrefixes with no prefix"))
	}
	for _, p := range c.prefixes {
		if err := ValidPrefix(p); err != nil {
			errs = append(errs, fmt.Errorf("WithPrefixes: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}
