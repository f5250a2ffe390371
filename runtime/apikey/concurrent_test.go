package apikey

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentVerifyAndChanges runs Verify from several goroutines while
// another adds, revokes and deletes keys. Under -race it shows that the store
// and verifier share no unsynchronised state; in any mode it shows that a
// stable key keeps verifying and that a changing key is only ever accepted,
// unknown or revoked.
func TestConcurrentVerifyAndChanges(t *testing.T) {
	const (
		stableKey = "sk_test_STABLE_c0ffee0123456789"
		churnKeys = 8
		rounds    = 200
		readers   = 8
	)
	churnKey := func(i int) string { return fmt.Sprintf("sk_test_CHURN_%02d_0123456789ab", i) }

	hasher := NewHasher([]byte("concurrency-pepper-0123456789"))
	stable := hasher.Record("k-stable", "alice", stableKey, "read")
	stable.Metadata = map[string]any{"tier": "gold"}
	store, err := NewMemoryStore(stable)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(store, WithHasher(hasher))
	if err != nil {
		t.Fatal(err)
	}

	var done atomic.Bool
	var accepted, unknown, revoked atomic.Int64
	var wg sync.WaitGroup
	for r := range readers {
		wg.Go(func() {
			ctx := context.Background()
			for i := 0; !done.Load(); i++ {
				id, err := v.Verify(ctx, stableKey)
				if err != nil || id.KeyID != "k-stable" || id.Claims["tier"] != "gold" {
					t.Errorf("stable key: %+v, %v", id, err)
					return
				}
				_ = id.Claims["tier"] // read-only: shared with the record (Verify's doc)

				key := churnKey((i + r) % churnKeys)
				id, err = v.Verify(ctx, key)
				assertKeyHidden(t, err, key)
				switch {
				case err == nil:
					accepted.Add(1)
				case errors.Is(err, ErrUnknownKey):
					unknown.Add(1)
				case errors.Is(err, ErrKeyRevoked):
					revoked.Add(1)
				default:
					t.Errorf("churn key: %+v, %v", id, err)
					return
				}
			}
		})
	}

	for round := range rounds {
		for i := range churnKeys {
			id := fmt.Sprintf("k-churn-%d", i)
			if err := store.Put(hasher.Record(id, "bob", churnKey(i), "write")); err != nil {
				t.Fatalf("round %d: Put: %v", round, err)
			}
			if i%2 == 0 {
				if err := store.Revoke(id); err != nil {
					t.Fatalf("round %d: Revoke: %v", round, err)
				}
			}
		}
		for i := range churnKeys {
			if err := store.Delete(fmt.Sprintf("k-churn-%d", i)); err != nil {
				t.Fatalf("round %d: Delete: %v", round, err)
			}
		}
	}
	done.Store(true)
	wg.Wait()

	if store.Len() != 1 {
		t.Errorf("Len() = %d at the end, want 1", store.Len())
	}
	t.Logf("churn keys: %d accepted, %d unknown, %d revoked",
		accepted.Load(), unknown.Load(), revoked.Load())
}
