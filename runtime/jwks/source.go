// Package jwks keeps the JWK Set of an identity provider fresh for
// jwtauth: it fetches the set from its URL, refreshes it in the background
// as the provider's Cache-Control says (within bounds), fetches it again,
// at a limited rate, when a token names a key it does not know, and keeps
// serving the last keys while the provider is down, for a bounded time.
//
// A Source is a jwtauth.KeySource:
//
//	src, err := jwks.New(ctx, "https://idp.example.com/.well-known/jwks.json")
//	if err != nil {
//		return err // the URL is not https, or the first fetch failed
//	}
//	v, err := jwtauth.NewFromSource(src,
//		jwtauth.WithIssuer("https://idp.example.com/"),
//		jwtauth.WithAudience("https://api.example.com"))
//
// The set is parsed by jwtauth.ParsePublicJWKS: a document that is not a
// JWK Set, or has no usable key, counts as a failed fetch, and the keys
// already in use stay. A key that is bad on its own (a weak RSA key,
// private members, a symmetric "oct" key, a kid used twice) is left out and
// logged, and the rest of the set is used, so a key removed from the set
// stops being accepted when the next fetch succeeds whatever else the
// provider added. The URL must be
// https, or http to a loopback address (for tests and sidecars); redirects
// are held to the same rule.
//
// No library fetches the set: github.com/MicahParks/keyfunc/v3 with jwkset
// (v3.9.2, v0.11.4) reads the body without a cap, ignores Cache-Control,
// serves stale keys without a bound, blocks requests on its unknown-kid
// rate limiter, and plugs into jwt.Parse, which would bypass jwtauth's
// strict decoding. This package needs only the standard library.
package jwks

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/httpfetch"
	"github.com/authgen/authgen/runtime/jwtauth"
)

// Errors of New and Refresh. A failed fetch wraps ErrFetch and one of
// these or a network error.
var (
	// ErrFetch: fetching or parsing the set failed.
	ErrFetch = errors.New("jwks: fetching the JWK set failed")
	// ErrInsecureURL: the URL is not https, nor http to a loopback address.
	ErrInsecureURL = httpfetch.ErrInsecureURL
	// ErrTooLarge: the set is larger than WithMaxBodySize.
	ErrTooLarge = httpfetch.ErrTooLarge
	// ErrClosed: the Source was closed.
	ErrClosed = errors.New("jwks: source closed")
)

// Source is a JWK Set fetched from a URL and kept fresh. It implements
// jwtauth.KeySource and is safe for concurrent use.
type Source struct {
	url    string
	client *http.Client
	cfg    config

	state atomic.Pointer[state]

	mu          sync.Mutex
	inflight    chan struct{} // closed when the fetch in flight ends
	lastErr     error         // of the last fetch
	failures    int           // fetches failed in a row
	lastUnknown time.Time     // when an unknown kid last caused a fetch
	next        time.Duration // until the scheduled fetch after the last one

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// state is the keys of the last successful fetch.
type state struct {
	set       *jwtauth.KeySet
	digest    [sha256.Size]byte // of the body, to keep the same KeySet when nothing changed
	fetchedAt time.Time
}

var _ jwtauth.KeySource = (*Source)(nil)

// New fetches the JWK Set at url and starts refreshing it in the background
// until ctx is done or Close is called. It fails if url may not be fetched
// (ErrInsecureURL), an option is invalid (ErrInvalidOption), or the first
// fetch fails (ErrFetch): a server should not start without keys.
func New(ctx context.Context, url string, opts ...Option) (*Source, error) {
	if _, err := httpfetch.CheckURL(url); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	s := &Source{url: url, client: httpfetch.Client(cfg.client), cfg: cfg}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if err := s.Refresh(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.wg.Add(1)
	go s.run()
	return s, nil
}

// Keys returns the keys of the last successful fetch. It fails, with an
// error wrapping authrt.ErrUnavailable, once they are older than
// WithMaxStale allows.
func (s *Source) Keys() (*jwtauth.KeySet, error) {
	st := s.state.Load()
	if st == nil {
		return nil, fmt.Errorf("%w: jwks: no keys fetched from %s", authrt.ErrUnavailable, s.url)
	}
	if age := s.cfg.clock().Sub(st.fetchedAt); age > s.cfg.maxStale {
		return nil, fmt.Errorf("%w: jwks: the keys from %s are %v old (limit %v): %v",
			authrt.ErrUnavailable, s.url, age.Round(time.Second), s.cfg.maxStale, s.Status().Err)
	}
	return st.set, nil
}

// KeysFor fetches the set again if it lacks kid, unless a fetch for an
// unknown kid happened less than WithUnknownKeyInterval ago; a fetch
// already in flight is joined rather than repeated. It waits for the fetch
// at most until ctx is done, and returns the newest keys.
func (s *Source) KeysFor(ctx context.Context, kid string) *jwtauth.KeySet {
	st := s.state.Load()
	if st == nil || st.set.HasKeyID(kid) {
		return st.setOrNil()
	}
	now := s.cfg.clock()
	s.mu.Lock()
	ch := s.inflight
	if ch == nil {
		if now.Sub(s.lastUnknown) < s.cfg.unknownInterval {
			s.mu.Unlock()
			return st.set
		}
		s.lastUnknown = now
		ch = s.startLocked()
	}
	s.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
	return s.state.Load().set
}

func (st *state) setOrNil() *jwtauth.KeySet {
	if st == nil {
		return nil
	}
	return st.set
}

// Refresh fetches the set now (or waits for the fetch in flight) and
// returns its error. On failure the keys in use stay.
func (s *Source) Refresh(ctx context.Context) error {
	s.mu.Lock()
	ch := s.inflight
	if ch == nil {
		ch = s.startLocked()
	}
	s.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrFetch, ctx.Err())
	}
	return s.Status().Err
}

// Status describes the Source, for health checks.
type Status struct {
	// FetchedAt is when the keys in use were fetched.
	FetchedAt time.Time
	// Keys is how many keys are in use.
	Keys int
	// Err is the error of the last fetch; nil if it succeeded.
	Err error
}

// Status returns the Source's current status.
func (s *Source) Status() Status {
	var st Status
	if cur := s.state.Load(); cur != nil {
		st.FetchedAt, st.Keys = cur.fetchedAt, cur.set.Len()
	}
	s.mu.Lock()
	st.Err = s.lastErr
	s.mu.Unlock()
	return st
}

// Close stops the background refresh and waits for it. Keys keeps
// answering with the last keys, within the staleness bound.
func (s *Source) Close() error {
	s.cancel()
	s.wg.Wait()
	return nil
}

// startLocked starts a fetch; the caller holds s.mu and no fetch is in
// flight.
func (s *Source) startLocked() chan struct{} {
	ch := make(chan struct{})
	s.inflight = ch
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.fetch()
		s.mu.Lock()
		s.inflight, s.lastErr = nil, err
		if err != nil {
			s.failures++
		} else {
			s.failures = 0
		}
		s.mu.Unlock()
		close(ch)
	}()
	return ch
}

// fetch gets and parses the set, and swaps it in.
func (s *Source) fetch() error {
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.timeout)
	defer cancel()
	resp, err := httpfetch.Get(ctx, s.client, s.url, s.cfg.maxBody)
	if err != nil {
		return s.failed(fmt.Errorf("%w: %s: %w", ErrFetch, s.url, err))
	}
	now := s.cfg.clock()
	digest := sha256.Sum256(resp.Body)
	next := &state{digest: digest, fetchedAt: now}
	if old := s.state.Load(); old != nil && old.digest == digest {
		next.set = old.set // same keys: cached verifications stay valid
	} else {
		keys, skipped, err := jwtauth.ParsePublicJWKS(resp.Body)
		for _, e := range skipped {
			s.cfg.logger.Warn("jwks: key left out of the set", "url", s.url, "reason", e)
		}
		if err == nil {
			next.set, err = jwtauth.NewKeySet(keys)
		}
		if err != nil {
			return s.failed(fmt.Errorf("%w: %s: %w", ErrFetch, s.url, err))
		}
	}
	s.state.Store(next)
	s.setNext(refreshDelay(resp.Header, &s.cfg))
	return nil
}

// failed logs a failed fetch and schedules a retry, sooner than the
// regular refresh: after 1 s, 2 s, 4 s... up to the minimum refresh.
func (s *Source) failed(err error) error {
	s.mu.Lock()
	n := s.failures
	s.mu.Unlock()
	retry := s.cfg.minRefresh
	if n < 16 && time.Second<<n < retry {
		retry = time.Second << n
	}
	s.setNext(retry)
	if s.ctx.Err() == nil {
		s.cfg.logger.Warn("jwks: refresh failed; the keys in use stay", "url", s.url, "error", err, "retry_in", retry)
	}
	return err
}
