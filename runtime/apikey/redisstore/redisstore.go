// Package redisstore keeps API-key records in Redis, for a fleet of
// replicas that must agree on which keys exist and which are revoked.
//
// Every replica serves the keys it verified recently from a local cache, so
// a hot key costs no round trip. Changes reach the other replicas two ways:
// each Create or Update publishes the key's hash on a channel, and every
// Store evicts what it hears (typically within milliseconds); and no cached
// record is used for longer than the maximum age (WithMaxAge, default 1 s)
// without Redis confirming it, which bounds propagation even when a message
// is lost. New keys are never cached as absent, so they work at once.
//
// When Redis cannot be reached, a key that Redis confirmed within the stale
// limit (WithStaleFor, default 1 min) keeps working, unless Redis had said
// it changed; any other key is refused with an error wrapping
// authrt.ErrUnavailable, which the generated middleware answers with 503
// and Retry-After, never with a 200.
//
// Layout, all keys in one hash slot (Redis Cluster) through the hash tag
// {ns}: "{ns}:h:<hex hash>" holds a record's JSON, "{ns}:id:<id>" its hash,
// the set "{ns}:ids" every ID, and changes are published on "<ns>:changes".
// Records are written by Create and Update only (Lua scripts, atomic);
// the authgen keys commands use them.
package redisstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/authrt"
)

// Defaults of the options.
const (
	DefaultNamespace     = "authgen:apikeys"
	DefaultMaxAge        = time.Second
	DefaultStaleFor      = time.Minute
	DefaultTimeout       = 250 * time.Millisecond
	DefaultRetryInterval = time.Second
	DefaultCacheSize     = 100_000
)

// Store is an apikey.Store and apikey.Admin backed by Redis, with a local
// cache. It is safe for concurrent use.
type Store struct {
	client redis.UniversalClient
	ns     string
	o      options

	cache     *cache
	downUntil atomic.Int64 // Unix ns before which lookups do not call Redis
	down      atomic.Bool  // for logging the transitions

	sub       *redis.PubSub
	changes   atomic.Int64 // change messages handled, for tests
	subs      atomic.Int64 // subscription confirmations received, for tests
	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var (
	_ apikey.Store = (*Store)(nil)
	_ apikey.Admin = (*Store)(nil)
)

// Option configures a Store.
type Option func(*options)

type options struct {
	ns            string
	maxAge        time.Duration
	staleFor      time.Duration
	timeout       time.Duration
	retryInterval time.Duration
	cacheSize     int
	log           *slog.Logger
	clock         func() time.Time
	noSubscribe   bool // tests of the maximum age alone
}

// WithNamespace sets the prefix of the Store's Redis keys and channel, so
// that several key sets share one Redis. Default: DefaultNamespace. It may
// not contain '{' or '}'.
func WithNamespace(ns string) Option { return func(o *options) { o.ns = ns } }

// WithMaxAge sets how long a cached record is used without Redis confirming
// it: the bound on how late a replica sees a change if the change message is
// lost. Hot keys are refreshed in the background after half of it. Default:
// DefaultMaxAge.
func WithMaxAge(d time.Duration) Option { return func(o *options) { o.maxAge = d } }

// WithStaleFor sets how long after Redis last confirmed it a cached record
// still verifies while Redis cannot be reached. 0 refuses every key (503)
// during an outage. Default: DefaultStaleFor.
func WithStaleFor(d time.Duration) Option { return func(o *options) { o.staleFor = d } }

// WithTimeout bounds each Redis call made for a lookup. Default:
// DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithRetryInterval sets how long, after a failed call, lookups do without
// Redis (cache or 503) before trying it again, so that an outage does not
// cost every request a timeout. Default: DefaultRetryInterval.
func WithRetryInterval(d time.Duration) Option { return func(o *options) { o.retryInterval = d } }

// WithCacheSize bounds the number of cached records. Default:
// DefaultCacheSize.
func WithCacheSize(n int) Option { return func(o *options) { o.cacheSize = n } }

// WithLogger sets where outages and recoveries are reported. Default:
// slog.Default(). Messages never contain keys.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock of the cache's ages. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// New returns a Store over client, which it does not own (Close leaves it
// open), and starts listening for changes. It does not need Redis to be up:
// lookups answer 503 until it is. It fails on a nil client or a bad option.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	o := options{
		ns: DefaultNamespace, maxAge: DefaultMaxAge, staleFor: DefaultStaleFor, timeout: DefaultTimeout,
		retryInterval: DefaultRetryInterval, cacheSize: DefaultCacheSize, log: slog.Default(), clock: time.Now,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("redisstore: nil Option")
		}
		opt(&o)
	}
	var errs []error
	if client == nil || reflect.ValueOf(client).IsNil() {
		errs = append(errs, errors.New("redisstore: nil Redis client"))
	}
	if o.ns == "" || strings.ContainsAny(o.ns, "{}") {
		errs = append(errs, fmt.Errorf("redisstore: namespace %q: must be non-empty, without braces", o.ns))
	}
	for _, d := range []struct {
		name string
		d    time.Duration
		min  time.Duration
	}{{"maximum age", o.maxAge, time.Millisecond}, {"timeout", o.timeout, time.Millisecond},
		{"retry interval", o.retryInterval, 0}, {"stale limit", o.staleFor, 0}} {
		if d.d < d.min {
			errs = append(errs, fmt.Errorf("redisstore: %s %s is less than %s", d.name, d.d, d.min))
		}
	}
	if o.cacheSize < 1 {
		errs = append(errs, fmt.Errorf("redisstore: cache size %d is less than 1", o.cacheSize))
	}
	if o.log == nil || o.clock == nil {
		errs = append(errs, errors.New("redisstore: WithLogger(nil) or WithClock(nil)"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Store{client: client, ns: o.ns, o: o, cache: newCache(o.cacheSize), done: make(chan struct{})}
	if o.noSubscribe {
		close(s.done)
		return s, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.sub = client.Subscribe(ctx) // subscribed in the loop, which sees the confirmation
	go s.listen(ctx)
	return s, nil
}

// Close stops listening for changes. The client stays open; lookups keep
// working, bounded by the maximum age.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stop != nil {
			s.stop()
			s.sub.Close()
		}
		<-s.done
	})
	return nil
}

func (s *Store) hashKey(h string) string { return "{" + s.ns + "}:h:" + h }
func (s *Store) idKey(id string) string  { return "{" + s.ns + "}:id:" + id }
func (s *Store) idsKey() string          { return "{" + s.ns + "}:ids" }
func (s *Store) channel() string         { return s.ns + ":changes" }

// Lookup returns the record whose hash is h: from the cache while it is
// fresh, else from Redis. See the package documentation for what happens
// when Redis is down.
func (s *Store) Lookup(ctx context.Context, h apikey.Hash) (*apikey.Record, error) {
	now := s.o.clock().UnixNano()
	e := s.cache.get(h)
	var st *state
	if e != nil {
		st = e.state.Load()
		age := time.Duration(now - st.fetched)
		if st.fresh && age < s.o.maxAge {
			if age >= s.o.maxAge/2 && e.refreshing.CompareAndSwap(false, true) {
				go s.refresh(h, e, st)
			}
			return st.rec, nil
		}
	}
	if now < s.downUntil.Load() {
		return s.stale(st, now, errors.New("waiting to retry after a failure"))
	}
	ticket := s.cache.ticket(h)
	rec, err := s.fetch(ctx, h)
	switch {
	case errors.Is(err, apikey.ErrNotFound):
		if e != nil {
			s.cache.remove(h)
		}
		return nil, apikey.ErrNotFound
	case err != nil:
		if ctx.Err() != nil || errors.Is(err, errCorrupt) {
			// The request gave up, or this one record is bad: Redis
			// itself is fine.
			return nil, err
		}
		s.failed(err)
		return s.stale(st, now, err)
	}
	s.recovered()
	s.cache.put(h, e, st, rec, now, ticket)
	return rec, nil
}

// stale returns the cached record during an outage if it may be served,
// and otherwise an error wrapping authrt.ErrUnavailable.
func (s *Store) stale(st *state, now int64, cause error) (*apikey.Record, error) {
	if st != nil && st.stale && time.Duration(now-st.fetched) < s.o.staleFor {
		return st.rec, nil
	}
	return nil, fmt.Errorf("%w: redisstore: Redis unreachable and the key not cached: %v", authrt.ErrUnavailable, cause)
}

// refresh fetches a key in the background: a hot key before its cached
// record reaches the maximum age, or a key whose record changed (which
// invalidate has already stopped serving, fresh or stale). The caller has
// set e.refreshing.
func (s *Store) refresh(h apikey.Hash, e *entry, seen *state) {
	defer e.refreshing.Store(false)
	ticket := s.cache.ticket(h)
	rec, err := s.fetch(context.Background(), h)
	switch {
	case errors.Is(err, apikey.ErrNotFound):
		s.cache.remove(h)
	case err != nil:
		s.failed(err) // the entry ages; lookups then decide
	default:
		s.recovered()
		s.cache.put(h, e, seen, rec, s.o.clock().UnixNano(), ticket)
	}
}

// fetch reads the record of h from Redis.
func (s *Store) fetch(ctx context.Context, h apikey.Hash) (*apikey.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.timeout)
	defer cancel()
	data, err := s.client.Get(ctx, s.hashKey(hex.EncodeToString(h[:]))).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, apikey.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: %w", err)
	}
	return decode(data)
}

// errCorrupt is wrapped by the error for a stored record that does not
// parse: a fault of that record, not of Redis.
var errCorrupt = errors.New("redisstore: stored record does not parse")

// decode parses a stored record.
func decode(data []byte) (*apikey.Record, error) {
	var r apikey.Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return &r, nil
}

// failed notes a failed call: lookups do without Redis for the retry
// interval. The first failure of an outage is logged.
func (s *Store) failed(err error) {
	s.downUntil.Store(s.o.clock().Add(s.o.retryInterval).UnixNano())
	if s.down.CompareAndSwap(false, true) {
		s.o.log.Error("Redis unreachable: serving recently verified API keys from the cache, refusing others with 503",
			"namespace", s.ns, "stale_for", s.o.staleFor, "error", err)
	}
}

// recovered notes a successful call, logging the end of an outage.
func (s *Store) recovered() {
	if s.down.Load() && s.down.CompareAndSwap(true, false) {
		s.o.log.Info("Redis reachable again", "namespace", s.ns)
	}
}
