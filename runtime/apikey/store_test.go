package apikey

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNewMemoryStoreRejects(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	good := NewRecord("k1", "alice", "sk_test_store_key_one_0123")
	other := NewRecord("k2", "bob", "sk_test_store_key_two_0123")
	noID := other
	noID.ID = ""
	noHash := other
	noHash.Hash = Hash{}
	backwards := other
	backwards.NotBefore, backwards.ExpiresAt = t0, t0
	sameID := other
	sameID.ID = "k1"
	sameHash := other
	sameHash.Hash = good.Hash

	tests := []struct {
		name    string
		records []Record
		wantErr error
		wantMsg string
	}{
		{"empty ID", []Record{noID}, ErrInvalidRecord, "empty ID"},
		{"zero hash", []Record{good, noHash}, ErrInvalidRecord, `record "k2": zero hash`},
		{"expiry not after not-before", []Record{backwards}, ErrInvalidRecord, `record "k2": expires at`},
		{"duplicate ID", []Record{good, sameID}, ErrDuplicateID, `record "k1": already stored`},
		{"duplicate hash", []Record{good, sameHash}, ErrDuplicateHash, `record "k2": same key hash as record "k1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewMemoryStore(tc.records...)
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("NewMemoryStore error = %v, want %v containing %q", err, tc.wantErr, tc.wantMsg)
			}
			if s != nil {
				t.Error("NewMemoryStore returned a store with its error")
			}
		})
	}

	s, err := NewMemoryStore()
	if err != nil || s.Len() != 0 {
		t.Fatalf("NewMemoryStore() = %v, %v; want an empty store", s, err)
	}
}

func TestMemoryStore(t *testing.T) {
	ctx := context.Background()
	k1 := NewRecord("k1", "alice", "sk_test_store_key_one_0123", "read")
	k1.Metadata = map[string]any{"tier": "gold"}
	s, err := NewMemoryStore(k1)
	if err != nil {
		t.Fatal(err)
	}

	// The store copied the record: the caller's later changes do not show.
	k1.Scopes[0] = "admin"
	k1.Metadata["tier"] = "free"
	got, err := s.Lookup(ctx, HashKey("sk_test_store_key_one_0123"))
	if err != nil || got.ID != "k1" || got.Scopes[0] != "read" || got.Metadata["tier"] != "gold" {
		t.Fatalf("Lookup = %+v, %v; want the record as stored", got, err)
	}
	if _, err := s.Lookup(ctx, HashKey("sk_test_missing_key_0123")); err != ErrNotFound {
		t.Fatalf("Lookup(unknown) error = %v, want ErrNotFound", err)
	}

	// Put refuses duplicates and leaves the store as it was.
	k2 := NewRecord("k2", "bob", "sk_test_store_key_two_0123")
	if err := s.Put(k2); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(k2); !errors.Is(err, ErrDuplicateID) {
		t.Fatalf("Put(same record) error = %v, want ErrDuplicateID", err)
	}
	k3 := k2
	k3.ID = "k3"
	if err := s.Put(k3); !errors.Is(err, ErrDuplicateHash) {
		t.Fatalf("Put(same hash) error = %v, want ErrDuplicateHash", err)
	}
	if err := s.Put(Record{ID: "k4"}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("Put(zero hash) error = %v, want ErrInvalidRecord", err)
	}
	if s.Len() != 2 {
		t.Fatalf("Len() = %d after failed Puts, want 2", s.Len())
	}

	// Revoke replaces the record: a reader's copy keeps its old state.
	before, _ := s.Lookup(ctx, k2.Hash)
	if err := s.Revoke("k2"); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke("k2"); err != nil {
		t.Fatalf("second Revoke error = %v, want nil", err)
	}
	after, _ := s.Lookup(ctx, k2.Hash)
	if before.Revoked || !after.Revoked {
		t.Fatalf("Revoke: before.Revoked=%v after.Revoked=%v, want false, true", before.Revoked, after.Revoked)
	}

	// Delete forgets the record, its hash and its ID.
	if err := s.Delete("k2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lookup(ctx, k2.Hash); err != ErrNotFound {
		t.Fatalf("Lookup after Delete error = %v, want ErrNotFound", err)
	}
	if err := s.Put(k3); err != nil {
		t.Fatalf("Put of the deleted key under a new ID: %v", err)
	}

	for name, op := range map[string]func(string) error{"Delete": s.Delete, "Revoke": s.Revoke} {
		err := op("nope")
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
			t.Errorf("%s(unknown ID) error = %v, want ErrNotFound naming the ID", name, err)
		}
	}
}
