package apikey

import (
	"context"
	"sync"
)

// Store finds the record of a key by the key's hash.
//
// Lookup returns ErrNotFound (possibly wrapped) when no record has hash h;
// any other error is a failure of the store (the Verifier reports it as a
// technical error, and the request is refused with 503). A store that cannot
// be reached should wrap authrt.ErrUnavailable. The returned record must not
// be modified by the caller, and the store must not modify it afterwards.
//
// A Store must be safe for concurrent use.
type Store interface {
	Lookup(ctx context.Context, h Hash) (*Record, error)
}

// MemoryStore is a Store that holds its records in memory, indexed by hash
// and by ID. It is safe for concurrent use: lookups share a read lock, and
// changes replace records rather than modify them, so a record returned by
// Lookup never changes under its reader.
type MemoryStore struct {
	mu     sync.RWMutex
	byHash map[Hash]*Record
	byID   map[string]*Record
}

// NewMemoryStore returns a MemoryStore holding records. It fails, naming the
// record, if one is invalid (empty ID, zero hash, expiry not after
// NotBefore) or if two share an ID or a hash. The records are copied.
func NewMemoryStore(records ...Record) (*MemoryStore, error) {
	s := &MemoryStore{
		byHash: make(map[Hash]*Record, len(records)),
		byID:   make(map[string]*Record, len(records)),
	}
	for i := range records {
		if err := s.put(&records[i]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Lookup returns the record whose hash is h, or ErrNotFound. It does not
// consult ctx: a map lookup cannot block.
func (s *MemoryStore) Lookup(_ context.Context, h Hash) (*Record, error) {
	s.mu.RLock()
	r := s.byHash[h]
	s.mu.RUnlock()
	if r == nil {
		return nil, ErrNotFound
	}
	return r, nil
}

// Put adds a copy of r. It fails with ErrInvalidRecord for an invalid record,
// ErrDuplicateID if a record with r.ID is already stored and ErrDuplicateHash
// if another record has r.Hash; the store is then unchanged. To replace a
// record, Delete it first.
func (s *MemoryStore) Put(r Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.put(&r)
}

// put adds a copy of r; the caller holds the write lock or owns s.
func (s *MemoryStore) put(r *Record) error {
	if err := r.validate(); err != nil {
		return err
	}
	if _, ok := s.byID[r.ID]; ok {
		return recordError(ErrDuplicateID, r.ID, "already stored")
	}
	if other, ok := s.byHash[r.Hash]; ok {
		return recordError(ErrDuplicateHash, r.ID, "same key hash as record %q", other.ID)
	}
	c := r.clone()
	s.byID[c.ID] = c
	s.byHash[c.Hash] = c
	return nil
}

// Delete removes the record with the given ID, after which its key is
// unknown. It returns ErrNotFound (wrapped) if there is no such record.
func (s *MemoryStore) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return recordError(ErrNotFound, id, "cannot delete")
	}
	delete(s.byID, id)
	delete(s.byHash, r.Hash)
	return nil
}

// Revoke marks the record with the given ID as revoked, after which its key
// is refused with ErrKeyRevoked. Revoking a revoked record does nothing. It
// returns ErrNotFound (wrapped) if there is no such record.
func (s *MemoryStore) Revoke(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[id]
	if !ok {
		return recordError(ErrNotFound, id, "cannot revoke")
	}
	if r.Revoked {
		return nil
	}
	c := *r // readers may hold r: replace it, never modify it
	c.Revoked = true
	s.byID[id] = &c
	s.byHash[c.Hash] = &c
	return nil
}

// Len returns the number of records, revoked ones included.
func (s *MemoryStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID)
}
