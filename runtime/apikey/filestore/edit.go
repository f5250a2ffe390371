package filestore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/authgen/authgen/runtime/apikey"
)

// Get returns the record with the given ID from the set being served, or
// an error wrapping apikey.ErrNotFound.
func (s *Store) Get(_ context.Context, id string) (*apikey.Record, error) {
	if r := s.snap.Load().byID[id]; r != nil {
		return r, nil
	}
	return nil, fmt.Errorf("%w: record %q", apikey.ErrNotFound, id)
}

// List returns the records being served, sorted by ID.
func (s *Store) List(context.Context) ([]*apikey.Record, error) {
	return append([]*apikey.Record(nil), s.snap.Load().list...), nil
}

// Create adds r to the file (see apikey.Admin).
func (s *Store) Create(_ context.Context, r apikey.Record) error {
	return s.edit(func(snap *snapshot) ([]*apikey.Record, error) {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if _, dup := snap.byID[r.ID]; dup {
			return nil, fmt.Errorf("%w: record %q: already stored", apikey.ErrDuplicateID, r.ID)
		}
		if other, dup := snap.byHash[r.Hash]; dup {
			return nil, fmt.Errorf("%w: record %q: same key hash as record %q", apikey.ErrDuplicateHash, r.ID, other.ID)
		}
		return append(slices.Clip(snap.list), r.Clone()), nil
	})
}

// Update changes the record with the given ID in the file (see
// apikey.Admin).
func (s *Store) Update(_ context.Context, id string, change func(*apikey.Record) error) (*apikey.Record, error) {
	var updated *apikey.Record
	err := s.edit(func(snap *snapshot) ([]*apikey.Record, error) {
		old := snap.byID[id]
		if old == nil {
			return nil, fmt.Errorf("%w: record %q: cannot update", apikey.ErrNotFound, id)
		}
		c, err := apikey.ChangeRecord(old, change)
		if err != nil {
			return nil, err
		}
		updated = c
		list := make([]*apikey.Record, len(snap.list))
		for i, r := range snap.list {
			if r.ID == id {
				r = c
			}
			list[i] = r
		}
		return list, nil
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// edit rewrites the file with change's records, under the lock file: it
// reads the file as it is now (another process may have changed it), lets
// change compute the new list from it, writes the list to a temporary file
// and renames it over the file. A file that does not parse is not edited.
func (s *Store) edit(change func(*snapshot) ([]*apikey.Record, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path + ".lock")
	if err != nil {
		return fmt.Errorf("filestore: lock %s: %w", s.path, err)
	}
	defer unlock()
	if err := s.reloadLocked(); err != nil {
		return fmt.Errorf("filestore: the file is not edited until it is fixed: %w", err)
	}
	list, err := change(s.snap.Load())
	if err != nil {
		return err
	}
	records := make([]apikey.Record, len(list))
	for i, r := range list {
		records[i] = *r
	}
	data, err := Encode(records, s.format)
	if err != nil {
		return fmt.Errorf("filestore: %s: %w", s.path, err)
	}
	snap, err := s.index(data) // what a reader will see: check it before writing
	if err != nil {
		return err
	}
	if err := writeAtomic(s.path, data); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	s.snap.Store(snap)
	s.lastErr.Store(nil)
	if fi, err := os.Stat(s.path); err == nil {
		s.seen = fi
	}
	return nil
}

// createEmpty writes an empty key file if there is none.
func (s *Store) createEmpty() error {
	if _, err := os.Stat(s.path); !errors.Is(err, fs.ErrNotExist) {
		return nil // there is one, or Reload will say what is wrong
	}
	data, err := Encode(nil, s.format)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	if err := writeAtomic(s.path, data); err != nil {
		return fmt.Errorf("filestore: %w", err)
	}
	return nil
}

// writeAtomic replaces path with data: a temporary file in the same
// directory, synced, then renamed over it, so that a reader sees the old
// file or the new one, whole. The file keeps its mode; a new one is 0600.
func writeAtomic(path string, data []byte) error {
	mode := fs.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
