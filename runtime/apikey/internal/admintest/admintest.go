// Package admintest is the conformance test of apikey.Admin
// implementations: the memory, file and Redis stores all run it, so that
// keys are managed the same way whatever holds them.
package admintest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
)

// T0 is the time the tests mint and verify keys at.
var T0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Run runs the conformance tests against stores made by newAdmin, each one
// empty and private to its subtest.
func Run(t *testing.T, newAdmin func(t *testing.T) apikey.Admin) {
	t.Run("CreateGetLookup", func(t *testing.T) { testCreate(t, newAdmin(t)) })
	t.Run("RecordRoundTrip", func(t *testing.T) { testRoundTrip(t, newAdmin(t)) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, newAdmin(t)) })
	t.Run("ConcurrentUpdates", func(t *testing.T) { testConcurrentUpdates(t, newAdmin(t)) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, newAdmin(t)) })
}

func testCreate(t *testing.T, a apikey.Admin) {
	ctx := context.Background()
	r1 := apikey.NewRecord("k1", "alice", "sk_test_admin_key_one_0123", "read")
	r2 := apikey.NewRecord("k2", "bob", "sk_test_admin_key_two_0123")
	for _, r := range []apikey.Record{r2, r1} {
		if err := a.Create(ctx, r); err != nil {
			t.Fatalf("Create(%s): %v", r.ID, err)
		}
	}
	sameID := apikey.NewRecord("k1", "mallory", "sk_test_admin_key_three_01")
	sameHash := r2
	sameHash.ID = "k3"
	for _, tc := range []struct {
		name string
		r    apikey.Record
		want error
	}{
		{"duplicate ID", sameID, apikey.ErrDuplicateID},
		{"duplicate hash", sameHash, apikey.ErrDuplicateHash},
		{"no hash", apikey.Record{ID: "k4"}, apikey.ErrInvalidRecord},
		{"no ID", apikey.NewRecord("", "", "sk_test_admin_key_four_01"), apikey.ErrInvalidRecord},
	} {
		if err := a.Create(ctx, tc.r); !errors.Is(err, tc.want) {
			t.Errorf("Create(%s) error = %v, want %v", tc.name, err, tc.want)
		}
	}
	got, err := a.Get(ctx, "k1")
	if err != nil || got.Name != "alice" || !slices.Equal(got.Scopes, []string{"read"}) {
		t.Fatalf("Get(k1) = %+v, %v", got, err)
	}
	if _, err := a.Get(ctx, "nope"); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
	}
	got, err = a.Lookup(ctx, apikey.HashKey("sk_test_admin_key_two_0123"))
	if err != nil || got.ID != "k2" {
		t.Fatalf("Lookup(k2's hash) = %+v, %v", got, err)
	}
	if _, err := a.Lookup(ctx, apikey.HashKey("sk_test_admin_key_three_01")); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("Lookup(refused duplicate) error = %v, want ErrNotFound", err)
	}
	list, err := a.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range list {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"k1", "k2"}) {
		t.Errorf("List IDs = %v, want [k1 k2]", ids)
	}
}

func testRoundTrip(t *testing.T, a apikey.Admin) {
	ctx := context.Background()
	r := apikey.NewRecord("k-full", "carol", "sk_test_admin_round_trip_01", "chat:generate", "models:read")
	r.Prefix = "sk_test"
	r.CreatedAt = T0
	r.NotBefore = T0.Add(-time.Hour)
	r.ExpiresAt = T0.Add(90 * 24 * time.Hour)
	r.Networks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	r.Metadata = map[string]any{"plan": "pro", "models": []any{"small", "large"}, "rpm": 600.0}
	if err := a.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	for name, get := range map[string]func() (*apikey.Record, error){
		"Get":    func() (*apikey.Record, error) { return a.Get(ctx, "k-full") },
		"Lookup": func() (*apikey.Record, error) { return a.Lookup(ctx, r.Hash) },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := Diff(&r, got); diff != "" {
			t.Errorf("%s: record changed in the store: %s", name, diff)
		}
	}
}

// Diff describes how got differs from want, or returns "".
func Diff(want, got *apikey.Record) string {
	w, g := fmt.Sprintf("%+v", *want), fmt.Sprintf("%+v", *got)
	if w != g || !want.CreatedAt.Equal(got.CreatedAt) || !want.ExpiresAt.Equal(got.ExpiresAt) ||
		!want.NotBefore.Equal(got.NotBefore) {
		return "\n got " + g + "\nwant " + w
	}
	return ""
}

func testUpdate(t *testing.T, a apikey.Admin) {
	ctx := context.Background()
	r := apikey.NewRecord("k1", "alice", "sk_test_admin_update_0123", "read")
	if err := a.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	before, _ := a.Get(ctx, "k1")
	got, err := a.Update(ctx, "k1", func(r *apikey.Record) error {
		r.Scopes = append(r.Scopes, "write")
		r.Name = "alice2"
		return nil
	})
	if err != nil || got.Name != "alice2" || !slices.Equal(got.Scopes, []string{"read", "write"}) {
		t.Fatalf("Update = %+v, %v", got, err)
	}
	if before.Name != "alice" || len(before.Scopes) != 1 {
		t.Errorf("Update changed a record a reader held: %+v", before)
	}
	if got, _ := a.Lookup(ctx, r.Hash); got.Name != "alice2" {
		t.Errorf("Lookup after Update = %+v, want the updated record", got)
	}
	errStop := errors.New("stop")
	for _, tc := range []struct {
		name   string
		id     string
		change func(*apikey.Record) error
		want   error
	}{
		{"unknown ID", "nope", func(*apikey.Record) error { return nil }, apikey.ErrNotFound},
		{"change fails", "k1", func(r *apikey.Record) error { r.Name = "x"; return errStop }, errStop},
		{"ID changed", "k1", func(r *apikey.Record) error { r.ID = "k9"; return nil }, apikey.ErrInvalidRecord},
		{"hash changed", "k1", func(r *apikey.Record) error { r.Hash[0] ^= 1; return nil }, apikey.ErrInvalidRecord},
		{"invalid result", "k1", func(r *apikey.Record) error {
			r.NotBefore, r.ExpiresAt = T0, T0.Add(-time.Second)
			return nil
		}, apikey.ErrInvalidRecord},
	} {
		if _, err := a.Update(ctx, tc.id, tc.change); !errors.Is(err, tc.want) {
			t.Errorf("Update(%s) error = %v, want %v", tc.name, err, tc.want)
		}
	}
	if got, _ := a.Get(ctx, "k1"); got.Name != "alice2" || !got.ExpiresAt.IsZero() {
		t.Errorf("a failed Update changed the record: %+v", got)
	}
}

// testConcurrentUpdates shows that Update is atomic: no change is lost when
// several run at once.
func testConcurrentUpdates(t *testing.T, a apikey.Admin) {
	ctx := context.Background()
	if err := a.Create(ctx, apikey.NewRecord("k1", "alice", "sk_test_admin_concurrent_01")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := a.Update(ctx, "k1", func(r *apikey.Record) error {
				r.Scopes = append(r.Scopes, fmt.Sprintf("s%d", i))
				return nil
			})
			if err != nil {
				t.Errorf("Update %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	got, err := a.Get(ctx, "k1")
	if err != nil || len(got.Scopes) != n {
		t.Fatalf("after %d concurrent Updates: %+v, %v; want %d scopes", n, got, err, n)
	}
}

// testLifecycle mints, rotates and revokes keys through the store, checking
// each step with a Verifier on a clock the test moves.
func testLifecycle(t *testing.T, a apikey.Admin) {
	ctx := context.Background()
	now := T0
	h := apikey.NewHasher([]byte("admintest-pepper-0123456789"))
	v, err := apikey.NewVerifier(a, apikey.WithHasher(h), apikey.WithPrefixes("sk_test"),
		apikey.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	verify := func(key string) error {
		t.Helper()
		_, err := v.Verify(ctx, key)
		if err != nil && strings.Contains(err.Error(), key) {
			t.Errorf("error %q contains the key", err)
		}
		return err
	}

	key1, rec1, err := apikey.Issue(ctx, a, h, apikey.KeySpec{
		Prefix: "sk_test", Name: "billing", Scopes: []string{"chat"},
		ExpiresAt: now.Add(30 * 24 * time.Hour), Metadata: map[string]any{"plan": "pro"},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(key1); err != nil {
		t.Fatalf("minted key: %v", err)
	}

	now = now.Add(10 * 24 * time.Hour)
	key2, rec2, old, err := apikey.Rotate(ctx, a, h, rec1.ID, apikey.RotateSpec{Overlap: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !old.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("old key expires at %s, want now+overlap %s", old.ExpiresAt, now.Add(time.Hour))
	}
	if rec2.Name != "billing" || !slices.Equal(rec2.Scopes, []string{"chat"}) || rec2.Metadata["plan"] != "pro" ||
		!rec2.ExpiresAt.Equal(now.Add(30*24*time.Hour)) || rec2.Prefix != "sk_test" {
		t.Errorf("successor = %+v, want the old key's name, scopes, metadata, prefix and lifetime", rec2)
	}
	for _, k := range []string{key1, key2} {
		if err := verify(k); err != nil {
			t.Errorf("during the overlap: %v", err)
		}
	}
	now = now.Add(time.Hour)
	if err := verify(key1); !errors.Is(err, apikey.ErrKeyExpired) {
		t.Errorf("old key after the overlap: %v, want ErrKeyExpired", err)
	}
	if err := verify(key2); err != nil {
		t.Errorf("successor after the overlap: %v", err)
	}

	if _, err := apikey.Revoke(ctx, a, rec2.ID); err != nil {
		t.Fatal(err)
	}
	if err := verify(key2); !errors.Is(err, apikey.ErrKeyRevoked) {
		t.Errorf("revoked key: %v, want ErrKeyRevoked", err)
	}
	if _, _, _, err := apikey.Rotate(ctx, a, h, rec2.ID, apikey.RotateSpec{}, now); !errors.Is(err, apikey.ErrRecordRevoked) {
		t.Errorf("Rotate(revoked) error = %v, want ErrRecordRevoked", err)
	}
	if _, err := apikey.Revoke(ctx, a, "nope"); !errors.Is(err, apikey.ErrNotFound) {
		t.Errorf("Revoke(unknown) error = %v, want ErrNotFound", err)
	}
}
