// Package revokeredis is a revocation list shared by every replica of a
// service through Redis, for jwtauth.WithRevocation.
//
// Each replica answers Revoked from a local copy (a revoke.Memory), never
// from Redis on the request path, and brings the copy up to date every
// WithSyncInterval (250 ms by default) with one script call that returns
// only the revocations it has not seen. A token revoked on one replica is
// refused by all within about a sync interval.
//
// When Redis cannot be reached, the copy keeps answering for what it knows:
// a token it lists is still refused. A token it does not list is accepted
// only while the copy is at most WithMaxLag old (1 min by default, as the
// API-key store's stale limit); after that, Revoked fails with authrt.ErrUnavailable and the verifier refuses
// the token with 503 rather than accept a token that may have been revoked
// meanwhile. Service resumes by itself when Redis answers again. A Redis
// that restarts empty loses the revocations it held; the replicas keep
// those they had copied until the tokens expire. So does a Redis that loses
// only its latest writes (a failover to a Redis replica that had not
// received them, a restart from an older snapshot) and then hands their
// sequence numbers out again: each replica checks that the log entry it
// read last is still there under its sequence number, and when it is not,
// reads the whole list again and logs a warning, so that no revocation
// made after the loss is skipped. The lost revocations are known only to
// the replicas that had copied them.
//
// Redis drops an entry once the token's exp plus the grace (WithGrace) has
// passed by Redis's own clock, never by a replica's, and every revocation
// is sent to Redis, which judges by that clock whether the token is dead
// already: a replica whose clock runs fast neither deletes entries still
// alive for the others nor keeps its revocations to itself. Each local
// copy drops entries by its replica's clock. A replica whose clock lags
// Redis's by more than the grace less the verifier's leeway may, after a
// full sync, accept a revoked token that its clock still calls alive; keep
// the clocks synchronized (NTP) well within that margin.
//
//	client := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	list, err := revokeredis.New(ctx, client)
//	v, err := jwtauth.NewFromSource(src, jwtauth.WithRevocation(list))
//	...
//	err = revoke.Token(ctx, list, identity) // on logout
package revokeredis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/revoke"
)

// Defaults of the options.
const (
	DefaultPrefix       = "authgen:revoke"
	DefaultSyncInterval = 250 * time.Millisecond
	// DefaultMaxLag matches the API-key Redis store's stale limit
	// (redisstore.DefaultStaleFor): a Redis failover does not take the
	// service down, and a replica cut off from Redis refuses unlisted
	// tokens after a minute.
	DefaultMaxLag = time.Minute
	// logKeep is how many revocations the log remembers for replicas that
	// sync incrementally; one further behind reads the whole set.
	logKeep = 100000
	// syncTimeout bounds one background sync.
	syncTimeout = 2 * time.Second
)

// ErrInvalidOption is returned by New for an option it cannot use.
var ErrInvalidOption = errors.New("revokeredis: invalid option")

// List is a revocation list in Redis with a local copy. It implements
// jwtauth.RevocationList and revoke.Revoker, and is safe for concurrent use.
type List struct {
	client redis.UniversalClient
	keys   []string // set, log, seq, epoch, mark
	local  *revoke.Memory
	cfg    config
	keep   int // logKeep; tests lower it

	syncMu   sync.Mutex // one sync at a time; guards epoch to lastFull
	epoch    string
	seq      int64
	jti      string       // logged at seq, or ""
	mark     string       // written with seq, or ""
	lastFull int          // why the last sync read the whole set (sync*); tests
	syncedAt atomic.Int64 // Unix nanoseconds of the last successful sync
	down     atomic.Bool  // the last sync failed (to log changes only)

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type config struct {
	prefix   string
	interval time.Duration
	maxLag   time.Duration
	logger   *slog.Logger
	clock    func() time.Time
	memory   []revoke.Option
}

// Option configures a List.
type Option func(*config) error

// WithPrefix names the Redis keys "{prefix}:..."; DefaultPrefix by default.
// Lists with different prefixes are independent.
func WithPrefix(p string) Option {
	return func(c *config) error {
		if p == "" {
			return fmt.Errorf("%w: empty prefix", ErrInvalidOption)
		}
		c.prefix = p
		return nil
	}
}

// WithSyncInterval sets how often the local copy is brought up to date.
func WithSyncInterval(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Millisecond {
			return fmt.Errorf("%w: sync interval %v", ErrInvalidOption, d)
		}
		c.interval = d
		return nil
	}
}

// WithMaxLag sets how old the local copy may be for Revoked to answer
// "not revoked"; past it, Revoked fails with authrt.ErrUnavailable. It must
// be at least twice the sync interval.
func WithMaxLag(d time.Duration) Option {
	return func(c *config) error {
		c.maxLag = d
		return nil
	}
}

// WithGrace sets how long entries are kept after the token's exp, as
// revoke.WithGrace; revoke.DefaultGrace by default. Redis applies the
// grace of the replica that revokes, by its own clock; give every replica
// the same grace.
func WithGrace(d time.Duration) Option {
	return func(c *config) error {
		c.memory = append(c.memory, revoke.WithGrace(d))
		return nil
	}
}

// WithLogger logs changes of Redis's reachability to l (Warn when lost,
// Info when back) instead of slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrInvalidOption)
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the clock, for tests. Sync timers still run on real time.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.clock = now
		c.memory = append(c.memory, revoke.WithClock(now))
		return nil
	}
}

// New returns a List on client, synced once, and keeps it in sync until
// ctx is done or Close is called. It fails if an option is invalid or the
// first sync fails (Redis cannot be reached). Close does not close client.
func New(ctx context.Context, client redis.UniversalClient, opts ...Option) (*List, error) {
	cfg := config{prefix: DefaultPrefix, interval: DefaultSyncInterval, maxLag: DefaultMaxLag, logger: slog.Default(), clock: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ErrInvalidOption)
	}
	if cfg.maxLag < 2*cfg.interval {
		return nil, fmt.Errorf("%w: max lag %v is under twice the sync interval %v", ErrInvalidOption, cfg.maxLag, cfg.interval)
	}
	local, err := revoke.NewMemory(cfg.memory...)
	if err != nil {
		return nil, fmt.Errorf("revokeredis: %w", err)
	}
	tag := "{" + cfg.prefix + "}:"
	l := &List{
		client: client,
		keys:   []string{tag + "set", tag + "log", tag + "seq", tag + "epoch", tag + "mark"},
		local:  local,
		cfg:    cfg,
		keep:   logKeep,
	}
	if err := l.Sync(ctx); err != nil {
		return nil, err
	}
	ctx, l.cancel = context.WithCancel(ctx)
	l.wg.Add(1)
	go l.run(ctx)
	return l, nil
}

// Grace returns the time entries are kept after the token's exp
// (WithGrace); jwtauth checks the verifier's leeway against it.
func (l *List) Grace() time.Duration { return l.local.Grace() }

// Revoke lists jti until exp (plus the grace) in Redis and in the local
// copy. When Redis fails, the local copy still refuses the token, and the
// error (wrapping authrt.ErrUnavailable) tells that other replicas may not.
// Whether the token is dead already is left to Redis's clock (and, for the
// local copy, this replica's), so a replica whose clock runs fast still
// tells the others.
func (l *List) Revoke(ctx context.Context, jti string, exp time.Time) error {
	if err := l.local.Revoke(ctx, jti, exp); err != nil {
		return err
	}
	_, err := revokeScript.Run(ctx, l.client, l.keys,
		jti, unixMilli(exp), l.local.Grace().Milliseconds(), l.keep, newEpoch(), newEpoch()).Result()
	if err != nil {
		return fmt.Errorf("%w: revokeredis: revoke: %v", authrt.ErrUnavailable, err)
	}
	return nil
}

// Revoked reports whether jti is revoked, from the local copy. It fails,
// with an error wrapping authrt.ErrUnavailable, for a jti it does not list
// when the copy is older than WithMaxLag. It does not allocate unless it
// fails.
func (l *List) Revoked(jti string) (bool, error) {
	if revoked, _ := l.local.Revoked(jti); revoked {
		return true, nil
	}
	if lag := l.cfg.clock().UnixNano() - l.syncedAt.Load(); lag > int64(l.cfg.maxLag) {
		return false, fmt.Errorf("%w: revokeredis: not synchronized with Redis for %v (limit %v)",
			authrt.ErrUnavailable, time.Duration(lag).Round(time.Millisecond), l.cfg.maxLag)
	}
	return false, nil
}

// Sync brings the local copy up to date now. The background loop calls it
// every sync interval; tests and admin tools may call it directly.
func (l *List) Sync(ctx context.Context) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	now := l.cfg.clock()
	res, err := syncScript.Run(ctx, l.client, l.keys,
		l.seq, l.epoch, unixMilli(now.Add(-l.local.Grace())), l.jti, l.mark).Slice()
	if err == nil {
		err = l.apply(ctx, res)
	}
	if err != nil {
		if !l.down.Swap(true) {
			l.cfg.logger.Warn("revokeredis: cannot sync with Redis; unlisted tokens get 503 once the copy is too old",
				"error", err, "max_lag", l.cfg.maxLag)
		}
		return fmt.Errorf("%w: revokeredis: sync: %v", authrt.ErrUnavailable, err)
	}
	if l.down.Swap(false) {
		l.cfg.logger.Info("revokeredis: synced with Redis again")
	}
	l.syncedAt.Store(now.UnixNano())
	return nil
}

// apply adds the entries of a sync reply to the local copy. The caller
// holds syncMu.
func (l *List) apply(ctx context.Context, res []any) error {
	if len(res) < 5 || len(res)%2 != 1 {
		return fmt.Errorf("unexpected sync reply of %d items", len(res))
	}
	epoch, ok1 := res[0].(string)
	seq, ok2 := res[1].(int64)
	full, ok3 := res[2].(int64)
	jti, ok4 := res[3].(string)
	mark, ok5 := res[4].(string)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return errors.New("unexpected sync reply")
	}
	switch full {
	case syncNewEpoch:
		l.cfg.logger.Warn("revokeredis: Redis lost its data (a new epoch); reading the whole list again: "+
			"revocations it lost are known only to the replicas that had copied them",
			"synced_seq", l.seq, "redis_seq", seq)
	case syncLogChanged:
		l.cfg.logger.Warn("revokeredis: Redis lost revocations this replica had read (a failover to a Redis replica "+
			"that lacked them, or a restart from an older snapshot); reading the whole list again: "+
			"revocations it lost are known only to the replicas that had copied them",
			"synced_seq", l.seq, "redis_seq", seq)
	}
	for i := 5; i < len(res); i += 2 {
		jti, ok1 := res[i].(string)
		score, ok2 := res[i+1].(string)
		ms, err := strconv.ParseFloat(score, 64)
		if !ok1 || !ok2 || err != nil {
			return errors.New("unexpected entry in the sync reply")
		}
		if err := l.local.Revoke(ctx, jti, time.UnixMilli(int64(ms))); err != nil {
			return err
		}
	}
	l.epoch, l.seq, l.jti, l.mark, l.lastFull = epoch, seq, jti, mark, int(full)
	return nil
}

// Len returns the number of entries in the local copy.
func (l *List) Len() int { return l.local.Len() }

// Close stops the background sync and waits for it. Revoked keeps
// answering from the local copy, and fails once it is too old.
func (l *List) Close() error {
	l.cancel()
	l.wg.Wait()
	return nil
}

func (l *List) run(ctx context.Context) {
	defer l.wg.Done()
	tick := time.NewTicker(l.cfg.interval)
	defer tick.Stop()
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			sctx, cancel := context.WithTimeout(ctx, min(l.cfg.maxLag, syncTimeout))
			l.Sync(sctx)
			cancel()
		case <-sweep.C:
			l.local.Sweep()
		}
	}
}

func unixMilli(t time.Time) int64 { return t.UnixMilli() }

// newEpoch returns a random epoch ID.
func newEpoch() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
