package redislimit

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of the options.
const (
	// DefaultKeyPrefix is put before every hashed key (after redis_rate's
	// own "rate:").
	DefaultKeyPrefix = "authgen:rl:"
	// DefaultTimeout bounds each Allow's round trip to Redis.
	DefaultTimeout = 100 * time.Millisecond
)

// maxPrefixLen keeps keys short: a prefix is a namespace, not data.
const maxPrefixLen = 64

// Option configures a Limiter.
type Option func(*options)

type options struct {
	prefix  string
	timeout time.Duration
}

// WithKeyPrefix sets the prefix of the Limiter's Redis keys, so that several
// applications, or several limiters with different meanings, share one
// Redis. Limiters that must share counts must use the same prefix. It must
// be 1 to 64 printable ASCII characters without spaces. Default:
// DefaultKeyPrefix.
func WithKeyPrefix(prefix string) Option { return func(o *options) { o.prefix = prefix } }

// WithTimeout bounds each Allow's call to Redis; past it Allow returns an
// error wrapping authrt.ErrUnavailable. It applies whatever the client's
// own read and dial timeouts, and within the caller's context deadline. It
// must be at least 1 ms. Default: DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

func (o *options) valid() error {
	var errs []error
	if err := validPrefix(o.prefix); err != nil {
		errs = append(errs, err)
	}
	if o.timeout < time.Millisecond {
		errs = append(errs, fmt.Errorf("redislimit: timeout %s is less than 1ms", o.timeout))
	}
	return errors.Join(errs...)
}

func validPrefix(p string) error {
	if p == "" || len(p) > maxPrefixLen {
		return fmt.Errorf("redislimit: key prefix %q: must be 1 to %d characters", p, maxPrefixLen)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("redislimit: key prefix %q: must be printable ASCII without spaces", p)
		}
	}
	return nil
}
