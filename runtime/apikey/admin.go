package apikey

import (
	"cmp"
	"context"
	"errors"
	"slices"
)

// Admin is a Store whose records can be read, added and changed: what Mint,
// Rotate and Revoke, and the authgen keys commands, work on. MemoryStore,
// filestore.Store and redisstore.Store implement it, so that a team can move
// from one machine to a fleet without changing how keys are managed.
//
// Records never leave an Admin with the key in them: only its hash.
type Admin interface {
	Store
	// Get returns the record with the given ID, or an error wrapping
	// ErrNotFound. The record must not be modified.
	Get(ctx context.Context, id string) (*Record, error)
	// Create adds r. It fails, leaving the store unchanged, with an error
	// wrapping ErrInvalidRecord (r.Validate), ErrDuplicateID or
	// ErrDuplicateHash.
	Create(ctx context.Context, r Record) error
	// Update calls change with a copy of the record with the given ID and
	// stores the result in its place, atomically: a concurrent change to
	// the same record is not lost. If change returns an error, nothing is
	// stored and Update returns it. change may not alter the ID or the Hash
	// (ErrInvalidRecord), and must not call the store (it may run under
	// the store's lock, or more than once when a concurrent change forces a
	// retry). It returns the record as stored, or an error wrapping
	// ErrNotFound for an unknown ID.
	Update(ctx context.Context, id string, change func(*Record) error) (*Record, error)
	// List returns every record, revoked ones included, sorted by ID.
	List(ctx context.Context) ([]*Record, error)
}

// ErrRecordRevoked is returned (wrapped) by Rotate for a revoked record: a
// revoked key is not rotated, it is replaced by a new one (Mint).
var ErrRecordRevoked = errors.New("apikey: record is revoked")

// ChangeRecord returns a copy of r changed by change, checked as Update
// requires: the same ID, Hash and PepperID (which may only be set where it was
// empty), and a valid record. It is the common part
// of the Admin implementations' Update.
func ChangeRecord(r *Record, change func(*Record) error) (*Record, error) {
	c := r.clone()
	if err := change(c); err != nil {
		return nil, err
	}
	if c.ID != r.ID || c.Hash != r.Hash || (c.PepperID != r.PepperID && r.PepperID != "") {
		// PepperID may be set once, on a record made without it.
		return nil, recordError(ErrInvalidRecord, r.ID, "an update may not change the ID, the hash or the pepper ID")
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// SortRecords sorts records by ID, as List returns them.
func SortRecords(records []*Record) {
	slices.SortFunc(records, func(a, b *Record) int { return cmp.Compare(a.ID, b.ID) })
}

var _ Admin = (*MemoryStore)(nil)

// Get returns the record with the given ID, or ErrNotFound (wrapped).
func (s *MemoryStore) Get(_ context.Context, id string) (*Record, error) {
	s.mu.RLock()
	r := s.byID[id]
	s.mu.RUnlock()
	if r == nil {
		return nil, recordError(ErrNotFound, id, "no such record")
	}
	return r, nil
}

// Create is Put, as Admin has it.
func (s *MemoryStore) Create(_ context.Context, r Record) error {
	return s.Put(r)
}

// Update replaces the record with the given ID by change's version of it
// (see Admin). Readers that hold the old record keep it unchanged.
func (s *MemoryStore) Update(_ context.Context, id string, change func(*Record) error) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byID[id]
	if !ok {
		return nil, recordError(ErrNotFound, id, "cannot update")
	}
	c, err := ChangeRecord(old, change)
	if err != nil {
		return nil, err
	}
	s.byID[id] = c
	s.byHash[c.Hash] = c
	return c, nil
}

// List returns every record, sorted by ID.
func (s *MemoryStore) List(context.Context) ([]*Record, error) {
	s.mu.RLock()
	out := make([]*Record, 0, len(s.byID))
	for _, r := range s.byID {
		out = append(out, r)
	}
	s.mu.RUnlock()
	SortRecords(out)
	return out, nil
}
