package jwks

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/authgen/authgen/runtime/jwtauth"
)

// Defaults of the options.
const (
	// DefaultRefresh is how often the set is fetched when the provider
	// sends no Cache-Control max-age.
	DefaultRefresh = 15 * time.Minute
	// DefaultMinRefresh and DefaultMaxRefresh bound the provider's
	// max-age: a set is never fetched more often than every minute on
	// schedule, nor kept longer than an hour, so a key removed from the set
	// stops being accepted within the hour.
	DefaultMinRefresh = time.Minute
	DefaultMaxRefresh = time.Hour
	// DefaultMaxStale is how long the last keys fetched are still used
	// while the provider does not answer. After that, verification fails
	// with authrt.ErrUnavailable (503) until a fetch succeeds.
	DefaultMaxStale = 24 * time.Hour
	// DefaultUnknownKeyInterval is the least time between two fetches
	// caused by tokens that name a kid the set lacks, so that a stream of
	// forged kids costs the provider one request per interval.
	DefaultUnknownKeyInterval = 30 * time.Second
	// DefaultTimeout bounds one fetch.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBodySize is the largest JWK Set read: 1 MiB.
	DefaultMaxBodySize = jwtauth.MaxJWKSSize
)

// ErrInvalidOption is returned by New for an option given a value it cannot
// use.
var ErrInvalidOption = errors.New("jwks: invalid option")

// Option configures a Source.
type Option func(*config) error

type config struct {
	client          *http.Client
	refresh         time.Duration
	minRefresh      time.Duration
	maxRefresh      time.Duration
	maxStale        time.Duration
	unknownInterval time.Duration
	timeout         time.Duration
	maxBody         int64
	logger          *slog.Logger
	clock           func() time.Time
}

func defaultConfig() config {
	return config{
		refresh:         DefaultRefresh,
		minRefresh:      DefaultMinRefresh,
		maxRefresh:      DefaultMaxRefresh,
		maxStale:        DefaultMaxStale,
		unknownInterval: DefaultUnknownKeyInterval,
		timeout:         DefaultTimeout,
		maxBody:         DefaultMaxBodySize,
		logger:          slog.Default(),
		clock:           time.Now,
	}
}

func (c *config) check() error {
	switch {
	case c.minRefresh <= 0 || c.minRefresh > c.maxRefresh:
		return fmt.Errorf("%w: refresh bounds %v..%v", ErrInvalidOption, c.minRefresh, c.maxRefresh)
	case c.refresh < c.minRefresh || c.refresh > c.maxRefresh:
		return fmt.Errorf("%w: default refresh %v outside the bounds %v..%v", ErrInvalidOption, c.refresh, c.minRefresh, c.maxRefresh)
	case c.maxStale < c.maxRefresh:
		return fmt.Errorf("%w: max stale %v is shorter than the longest refresh interval %v", ErrInvalidOption, c.maxStale, c.maxRefresh)
	}
	return nil
}

// WithHTTPClient fetches with client (its transport, proxy and TLS
// settings). Its redirects are still held to https, at most five. The
// default is http.DefaultClient's settings.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) error {
		if client == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrInvalidOption)
		}
		c.client = client
		return nil
	}
}

// WithRefresh sets how often the set is fetched: every def when the
// provider sends no Cache-Control max-age, otherwise after max-age (less the
// Age header), held within lowest and highest. no-cache and no-store count
// as a max-age of 0, so lowest. The defaults are DefaultRefresh,
// DefaultMinRefresh and DefaultMaxRefresh.
func WithRefresh(def, lowest, highest time.Duration) Option {
	return func(c *config) error {
		c.refresh, c.minRefresh, c.maxRefresh = def, lowest, highest
		return nil
	}
}

// WithMaxStale sets how long the keys of the last successful fetch are used
// while every fetch since has failed; DefaultMaxStale by default. It must be
// at least the longest refresh interval.
func WithMaxStale(d time.Duration) Option {
	return func(c *config) error {
		c.maxStale = d
		return nil
	}
}

// WithUnknownKeyInterval sets the least time between two fetches caused by
// tokens naming an unknown kid; DefaultUnknownKeyInterval by default.
func WithUnknownKeyInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: unknown-key interval %v (want > 0)", ErrInvalidOption, d)
		}
		c.unknownInterval = d
		return nil
	}
}

// WithTimeout bounds each fetch; DefaultTimeout by default.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: timeout %v (want > 0)", ErrInvalidOption, d)
		}
		c.timeout = d
		return nil
	}
}

// WithMaxBodySize sets the largest set read, in bytes; a larger response
// is a failed fetch. The default is DefaultMaxBodySize (1 MiB).
func WithMaxBodySize(n int64) Option {
	return func(c *config) error {
		if n < 64 || n > 64<<20 {
			return fmt.Errorf("%w: body size limit %d (want 64 bytes to 64 MiB)", ErrInvalidOption, n)
		}
		c.maxBody = n
		return nil
	}
}

// WithLogger logs failed fetches to l (at Warn) instead of slog.Default().
// Log records name the URL and the error, never a token or a key.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the clock that ages the keys and spaces unknown-kid
// fetches, for tests. Refresh timers still run on real time.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	}
}
