// Package revoke keeps a blocklist of revoked JWTs, by jti, for
// jwtauth.WithRevocation. Each entry is kept only until the token would
// have expired anyway (its exp plus a grace that covers the verifier's
// leeway), so the list holds only tokens that are revoked and still alive.
//
// Memory is a list for one process. Package revokeredis shares one through
// Redis, so that every replica refuses a token revoked on any of them.
//
//	list, err := revoke.NewMemory()
//	v, err := jwtauth.New(keys, jwtauth.WithRevocation(list))
//	...
//	// on logout, in a handler:
//	p, _ := authrt.PrincipalFrom(r.Context())
//	err = revoke.Token(r.Context(), list, p.Identity(scheme))
package revoke

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
)

// DefaultGrace is how long an entry is kept after the token's exp. It must
// be at least the verifier's leeway (jwtauth.DefaultLeeway, 30 seconds),
// which accepts a token that long after its exp.
const DefaultGrace = time.Minute

// sweepEvery is the least time between two sweeps of dead entries.
const sweepEvery = time.Minute

// Errors of Revoke and Token.
var (
	// ErrNoJTI: the token has no jti, so it cannot be listed.
	ErrNoJTI = errors.New("revoke: the token has no jti")
	// ErrNoExpiry: the token has no exp, so its entry could never be
	// dropped.
	ErrNoExpiry = errors.New("revoke: the token has no exp")
	// ErrInvalidOption: an option was given a value it cannot use.
	ErrInvalidOption = errors.New("revoke: invalid option")
)

// Revoker revokes tokens: Memory and revokeredis.List are Revokers.
type Revoker interface {
	// Revoke lists jti until exp (plus the grace). It is a no-op for a
	// token already past that time.
	Revoke(ctx context.Context, jti string, exp time.Time) error
}

// Token revokes the token id was verified from (its jti and exp), as a
// logout handler does with the identity of the request.
func Token(ctx context.Context, r Revoker, id *authrt.Identity) error {
	if id == nil || id.KeyID == "" {
		return ErrNoJTI
	}
	return r.Revoke(ctx, id.KeyID, id.ExpiresAt)
}

// Memory is an in-memory revocation list. It implements
// jwtauth.RevocationList and Revoker, and is safe for concurrent use.
// Revoked takes a read lock and does not allocate.
type Memory struct {
	mu        sync.RWMutex
	until     map[string]int64 // jti to Unix nanoseconds at which it is dropped
	nextSweep int64

	grace time.Duration
	clock func() time.Time
}

// Option configures a Memory (and, through revokeredis, its replica).
type Option func(*Memory) error

// WithGrace sets how long an entry is kept after the token's exp;
// DefaultGrace by default. It must be at least the verifier's leeway:
// jwtauth.New and NewFromSource refuse a longer leeway with this list.
func WithGrace(d time.Duration) Option {
	return func(m *Memory) error {
		if d < 0 {
			return fmt.Errorf("%w: negative grace %v", ErrInvalidOption, d)
		}
		m.grace = d
		return nil
	}
}

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option {
	return func(m *Memory) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		m.clock = now
		return nil
	}
}

// NewMemory returns an empty list.
func NewMemory(opts ...Option) (*Memory, error) {
	m := &Memory{until: make(map[string]int64), grace: DefaultGrace, clock: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Grace returns the time entries are kept after the token's exp.
func (m *Memory) Grace() time.Duration { return m.grace }

// Revoke lists jti until exp plus the grace. A later exp for the same jti
// extends the entry; an earlier one leaves it. It fails with ErrNoJTI or
// ErrNoExpiry; it never blocks on ctx.
func (m *Memory) Revoke(_ context.Context, jti string, exp time.Time) error {
	if jti == "" {
		return ErrNoJTI
	}
	if exp.IsZero() {
		return ErrNoExpiry
	}
	now := m.clock()
	until := exp.Add(m.grace)
	if !until.After(now) {
		return nil // the token is dead already
	}
	n := until.UnixNano()
	if until.Year() > 2262 { // beyond int64 nanoseconds
		n = 1<<63 - 1
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if n > m.until[jti] {
		m.until[jti] = n
	}
	m.sweepLocked(now.UnixNano())
	return nil
}

// Revoked reports whether jti is listed. An entry past its time may still
// answer true until it is swept; its token is expired by then, so the
// answer changes nothing. The error is always nil.
func (m *Memory) Revoked(jti string) (bool, error) {
	m.mu.RLock()
	_, ok := m.until[jti]
	m.mu.RUnlock()
	return ok, nil
}

// Len returns the number of entries.
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.until)
}

// Sweep drops the entries whose time has passed. Revoke sweeps at most
// once a minute on its own; Sweep is for lists that are rarely written.
func (m *Memory) Sweep() {
	now := m.clock().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextSweep = 0
	m.sweepLocked(now)
}

func (m *Memory) sweepLocked(now int64) {
	if now < m.nextSweep {
		return
	}
	for jti, until := range m.until {
		if until <= now {
			delete(m.until, jti)
		}
	}
	m.nextSweep = now + int64(sweepEvery)
}
