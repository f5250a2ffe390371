// Package filestore keeps API-key records in a JSON or YAML file: the
// default store of a server that runs on one machine, with no database.
//
// The file is a list of apikey.Record, hashes and never keys, written by
// "authgen keys" or by hand:
//
//	# keys.yaml
//	- id: key_7Qm2c9TfXw1LpZ0aB4sD
//	  name: billing-service
//	  prefix: sk_live
//	  hash: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	  scopes: [chat:generate]
//	  expires_at: "2026-06-01T00:00:00Z"
//	  networks: [10.0.0.0/8]
//	  metadata: {plan: pro, models: [small, large]}
//
// A Store serves lookups from memory and reloads the file when it changes
// (checked every second by default). A reload is atomic: requests see the
// old set or the new one, never a mix. An edit that does not parse, or
// whose records are invalid (a duplicate ID, a bad hash, an unknown field),
// is refused as a whole: the store keeps serving the last good set, logs
// why, and reports it from Err until a good version is written.
//
// A Store is also an apikey.Admin: Create and Update rewrite the file
// atomically (a temporary file renamed over it) under a lock file, so that
// the authgen CLI and a server can share it.
package filestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
)

// DefaultReloadInterval is how often a Store checks its file for changes
// unless told otherwise (WithReloadInterval).
const DefaultReloadInterval = time.Second

// Store is an apikey.Store (and apikey.Admin) that keeps its records in a
// file. It is safe for concurrent use.
type Store struct {
	path     string
	format   Format
	interval time.Duration
	log      *slog.Logger

	snap    atomic.Pointer[snapshot]
	lastErr atomic.Pointer[reloadError]
	mu      sync.Mutex  // serialises reloads and edits in this process
	seen    os.FileInfo // the version of the file last read, good or bad; under mu

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type reloadError struct{ err error }

// snapshot is one good version of the file, indexed. It is never modified.
type snapshot struct {
	byHash map[apikey.Hash]*apikey.Record
	byID   map[string]*apikey.Record
	list   []*apikey.Record // sorted by ID
}

var (
	_ apikey.Store = (*Store)(nil)
	_ apikey.Admin = (*Store)(nil)
)

// Option configures a Store.
type Option func(*options)

type options struct {
	interval time.Duration
	log      *slog.Logger
	create   bool
	format   Format
}

// WithReloadInterval sets how often the file is checked for changes (its
// size, modification time and identity). 0 turns checking off: call Reload
// instead (on SIGHUP, say). Default: DefaultReloadInterval.
func WithReloadInterval(d time.Duration) Option {
	return func(o *options) { o.interval = d }
}

// WithLogger sets where reloads and refused edits are reported. Default:
// slog.Default(). Messages name the file and record IDs, never keys.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithFormat sets the file's format instead of taking it from the
// extension (FormatOf).
func WithFormat(f Format) Option {
	return func(o *options) { o.format = f }
}

// CreateIfMissing makes Open create an empty key file (mode 0600) when there
// is none, as "authgen keys new" does. A server should not use it: a
// missing file there is a misconfiguration.
func CreateIfMissing() Option {
	return func(o *options) { o.create = true }
}

// Open loads the key file at path and, unless the reload interval is 0,
// starts watching it; Close stops the watching. It fails if the file cannot
// be read or does not hold a valid set of records, so that a misconfigured
// server stops at startup.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{interval: DefaultReloadInterval, log: slog.Default()}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("filestore: nil Option")
		}
		opt(&o)
	}
	var errs []error
	if o.interval < 0 {
		errs = append(errs, fmt.Errorf("filestore: negative reload interval %s", o.interval))
	}
	if o.log == nil {
		errs = append(errs, errors.New("filestore: WithLogger(nil)"))
	}
	if o.format == 0 {
		f, err := FormatOf(path)
		errs = append(errs, err)
		o.format = f
	} else if o.format != JSON && o.format != YAML {
		errs = append(errs, fmt.Errorf("filestore: unknown %v", o.format))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Store{path: path, format: o.format, interval: o.interval, log: o.log}
	if o.create {
		if err := s.createEmpty(); err != nil {
			return nil, err
		}
	}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	if s.interval > 0 {
		s.stop, s.done = make(chan struct{}), make(chan struct{})
		go s.watch()
	}
	return s, nil
}

// Path returns the file's path.
func (s *Store) Path() string { return s.path }

// Close stops watching the file. Lookups keep working on the last set.
func (s *Store) Close() error {
	s.once.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.done
		}
	})
	return nil
}

// Lookup returns the record whose hash is h, or apikey.ErrNotFound. It
// takes no lock: the set is replaced, never changed.
func (s *Store) Lookup(_ context.Context, h apikey.Hash) (*apikey.Record, error) {
	if r := s.snap.Load().byHash[h]; r != nil {
		return r, nil
	}
	return nil, apikey.ErrNotFound
}

// Len returns the number of records in the set being served.
func (s *Store) Len() int { return len(s.snap.Load().list) }

// Err returns why the file's current version was refused, or nil when the
// set being served is the file's current content.
func (s *Store) Err() error {
	if e := s.lastErr.Load(); e != nil {
		return e.err
	}
	return nil
}

// Reload reads the file now and, if it holds a valid set of records,
// serves it. On any error the set being served does not change; the error
// is returned, and kept for Err.
func (s *Store) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reloadLocked()
}

// reloadLocked is Reload; the caller holds s.mu.
func (s *Store) reloadLocked() error {
	fi, data, err := s.read()
	if fi != nil {
		s.seen = fi
	}
	if err == nil {
		var snap *snapshot
		snap, err = s.index(data)
		if err == nil {
			s.snap.Store(snap)
			s.lastErr.Store(nil)
			return nil
		}
	}
	s.lastErr.Store(&reloadError{err})
	return err
}

// read returns the file's content and the version it came from. It reads
// again if the file changed while it was read (an editor writing in place),
// and fails if it keeps changing.
func (s *Store) read() (os.FileInfo, []byte, error) {
	for range 3 {
		before, err := os.Stat(s.path)
		if err != nil {
			return nil, nil, fmt.Errorf("filestore: %w", err)
		}
		data, err := os.ReadFile(s.path)
		if err != nil {
			return before, nil, fmt.Errorf("filestore: %w", err)
		}
		after, err := os.Stat(s.path)
		if err == nil && sameVersion(before, after) {
			return after, data, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, nil, fmt.Errorf("filestore: %s keeps changing while it is read", s.path)
}

// sameVersion reports whether a and b describe the same version of a file.
func sameVersion(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// index decodes data and checks it as a whole: valid records, unique IDs and
// hashes.
func (s *Store) index(data []byte) (*snapshot, error) {
	records, err := Decode(data, s.format)
	if err != nil {
		return nil, fmt.Errorf("filestore: %s: %w", s.path, err)
	}
	snap := &snapshot{
		byHash: make(map[apikey.Hash]*apikey.Record, len(records)),
		byID:   make(map[string]*apikey.Record, len(records)),
		list:   make([]*apikey.Record, 0, len(records)),
	}
	for i := range records {
		r := &records[i]
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("filestore: %s: record %d: %w", s.path, i+1, err)
		}
		if _, dup := snap.byID[r.ID]; dup {
			return nil, fmt.Errorf("filestore: %s: record %d: %w: %q", s.path, i+1, apikey.ErrDuplicateID, r.ID)
		}
		if other, dup := snap.byHash[r.Hash]; dup {
			return nil, fmt.Errorf("filestore: %s: record %d (%q): %w: same key hash as %q",
				s.path, i+1, r.ID, apikey.ErrDuplicateHash, other.ID)
		}
		snap.byID[r.ID], snap.byHash[r.Hash] = r, r
		snap.list = append(snap.list, r)
	}
	apikey.SortRecords(snap.list)
	return snap, nil
}

// watch checks the file every interval until Close, and reloads it when it
// is a new version.
func (s *Store) watch() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.check()
	}
}

// maxSettle bounds how long a new version of the file must stand unchanged
// before the watcher reads it.
const maxSettle = 200 * time.Millisecond

// check reloads the file if its version differs from the last one read,
// and logs the outcome. A version written less than a settle time ago
// (half the interval, at most maxSettle) waits for the next check: a
// program writing the file in place, in several writes, may not be done,
// and a file cut short before a "revoked: true" line still parses.
func (s *Store) check() {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.path)
	if err == nil && sameVersion(fi, s.seen) {
		return
	}
	if err == nil {
		if age := time.Since(fi.ModTime()); age >= 0 && age < min(s.interval/2, maxSettle) {
			return
		}
	}
	if err != nil && s.Err() != nil {
		return // still missing: said so already
	}
	if err := s.reloadLocked(); err != nil {
		s.log.Error("API-key file refused; still serving the last good set",
			"path", s.path, "keys", s.Len(), "error", err)
		return
	}
	s.log.Info("API-key file reloaded", "path", s.path, "keys", s.Len())
}
