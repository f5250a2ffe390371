package issuer

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a Store in memory, for a single process (and tests). It is
// safe for concurrent use; expired sessions and tokens are swept as new
// sessions are created.
type MemoryStore struct {
	mu        sync.Mutex
	grants    map[Hash]*memGrant
	sessions  map[string]*memSession
	nextSweep time.Time
}

type memGrant struct {
	session string
	expires time.Time
	used    bool
}

type memSession struct {
	Session
	revoked bool
	access  []AccessRef
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{grants: map[Hash]*memGrant{}, sessions: map[string]*memSession{}}
}

// Create implements Store.
func (m *MemoryStore) Create(_ context.Context, s *Session, h Hash, exp time.Time, access AccessRef) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweepLocked(s.CreatedAt)
	m.sessions[s.ID] = &memSession{Session: *s, access: []AccessRef{access}}
	m.grants[h] = &memGrant{session: s.ID, expires: exp}
	return nil
}

// Rotate implements Store.
func (m *MemoryStore) Rotate(_ context.Context, h, next Hash, nextExp time.Time, access AccessRef, now time.Time) (*Session, []AccessRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, s := m.liveLocked(h, now)
	if s == nil {
		return nil, nil, ErrInvalidRefreshToken
	}
	if g.used {
		return nil, m.revokeLocked(s, now), ErrRefreshTokenReused
	}
	if s.access = liveRefs(s.access, now); len(s.access) >= MaxRememberedRefs {
		c := s.Session
		return &c, slices.Clone(s.access[:MaxExcessPerRefresh]), ErrBacklog
	}
	g.used = true
	m.grants[next] = &memGrant{session: s.ID, expires: minTime(nextExp, s.ExpiresAt)}
	s.access = append(s.access, access)
	var excess []AccessRef
	if n := min(len(s.access)-MaxAccessRefs, MaxExcessPerRefresh); n > 0 {
		excess = slices.Clone(s.access[:n]) // the oldest; access is last
	}
	c := s.Session
	return &c, excess, nil
}

// Forget implements Store.
func (m *MemoryStore) Forget(_ context.Context, id string, refs []AccessRef) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.sessions[id]; s != nil {
		gone := make(map[string]bool, len(refs))
		for _, r := range refs {
			gone[r.JTI] = true
		}
		s.access = slices.DeleteFunc(s.access, func(a AccessRef) bool { return gone[a.JTI] })
	}
	return nil
}

// Revoke implements Store.
func (m *MemoryStore) Revoke(_ context.Context, h Hash, now time.Time) ([]AccessRef, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.grants[h]
	if g == nil || !now.Before(g.expires) {
		return nil, ErrInvalidRefreshToken
	}
	s := m.sessions[g.session]
	if s == nil {
		return nil, ErrInvalidRefreshToken
	}
	return m.revokeLocked(s, now), nil
}

// liveLocked returns the grant of h and its session if both are alive.
func (m *MemoryStore) liveLocked(h Hash, now time.Time) (*memGrant, *memSession) {
	g := m.grants[h]
	if g == nil || !now.Before(g.expires) {
		return nil, nil
	}
	s := m.sessions[g.session]
	if s == nil || s.revoked || !now.Before(s.ExpiresAt) {
		return nil, nil
	}
	return g, s
}

func (m *MemoryStore) revokeLocked(s *memSession, now time.Time) []AccessRef {
	s.revoked = true
	refs := liveRefs(s.access, now)
	s.access = nil
	return refs
}

// sweepLocked drops expired tokens and sessions, at most once a minute.
func (m *MemoryStore) sweepLocked(now time.Time) {
	if now.Before(m.nextSweep) {
		return
	}
	m.nextSweep = now.Add(time.Minute)
	for h, g := range m.grants {
		if !now.Before(g.expires) {
			delete(m.grants, h)
		}
	}
	for id, s := range m.sessions {
		if !now.Before(s.ExpiresAt) {
			delete(m.sessions, id)
		}
	}
}

// liveRefs returns the refs of refs that have not expired at now.
func liveRefs(refs []AccessRef, now time.Time) []AccessRef {
	return slices.DeleteFunc(refs, func(r AccessRef) bool { return !now.Before(r.ExpiresAt) })
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
