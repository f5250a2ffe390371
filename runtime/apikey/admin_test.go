package apikey_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/internal/admintest"
)

func TestMemoryStoreAdmin(t *testing.T) {
	admintest.Run(t, func(t *testing.T) apikey.Admin {
		s, err := apikey.NewMemoryStore()
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMint(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 500, time.UTC)
	h := apikey.NewHasher([]byte("mint-pepper-0123456789abcdef"))
	spec := apikey.KeySpec{
		Prefix: "sk_live", Name: "billing", Scopes: []string{"chat"},
		ExpiresAt: now.Add(time.Hour), Networks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Metadata: map[string]any{"plan": "pro"},
	}
	key, rec, err := apikey.Mint(h, spec, now)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := apikey.ParseKey(key); err != nil || p != "sk_live" {
		t.Fatalf("minted key does not parse: %q, %v", p, err)
	}
	if rec.Hash != h.Hash(key) || rec.Prefix != "sk_live" || rec.Name != "billing" ||
		!strings.HasPrefix(rec.ID, "key_") || !rec.CreatedAt.Equal(now.Truncate(time.Second)) {
		t.Fatalf("record = %+v", rec)
	}
	spec.Scopes[0], spec.Metadata["plan"] = "admin", "free"
	if rec.Scopes[0] != "chat" || rec.Metadata["plan"] != "pro" {
		t.Fatal("the record shares the spec's slices or maps")
	}
	_, rec2, _ := apikey.Mint(h, apikey.KeySpec{Prefix: "sk_live"}, now)
	if rec2.ID == rec.ID || rec2.Hash == rec.Hash {
		t.Fatal("two mints gave the same ID or hash")
	}
	for name, bad := range map[string]apikey.KeySpec{
		"no prefix":            {},
		"bad prefix":           {Prefix: "SK"},
		"expires before start": {Prefix: "sk", NotBefore: now, ExpiresAt: now.Add(-time.Second)},
	} {
		if key, _, err := apikey.Mint(h, bad, now); err == nil || key != "" {
			t.Errorf("Mint(%s) = %q, %v; want an error and no key", name, key, err)
		}
	}
}

func TestImport(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	minted, _ := apikey.NewKey("sk_live")
	tests := []struct {
		name, key, prefix string
		wantPrefix        string
		wantErr           error
	}{
		{"authgen key", minted, "", "sk_live", nil},
		{"authgen key, prefix given", minted, "sk_live", "sk_live", nil},
		{"authgen key, other prefix", minted, "sk_test", "", apikey.ErrMalformedKey},
		{"legacy key", "legacy-0123456789abcdef", "", "", nil},
		{"legacy key with a prefix", "legacy-0123456789abcdef", "sk_live", "", apikey.ErrMalformedKey},
		{"too short", "short", "", "", apikey.ErrMalformedKey},
	}
	for _, tc := range tests {
		rec, err := apikey.Import(nil, tc.key, apikey.KeySpec{Prefix: tc.prefix, ID: "k1"}, now)
		if !errors.Is(err, tc.wantErr) && !(err == nil && tc.wantErr == nil) {
			t.Errorf("%s: Import error = %v, want %v", tc.name, err, tc.wantErr)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), tc.key) {
				t.Errorf("%s: error %q contains the key", tc.name, err)
			}
			continue
		}
		if rec.Prefix != tc.wantPrefix || rec.Hash != apikey.HashKey(tc.key) || rec.ID != "k1" {
			t.Errorf("%s: record = %+v", tc.name, rec)
		}
	}
}

func TestRotatePepper(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	h := apikey.NewHasher([]byte("pepper-0123456789abcdef"))
	if id := h.PepperID(); len(id) != 12 || id != apikey.NewHasher([]byte("pepper-0123456789abcdef")).PepperID() ||
		id == apikey.NewHasher([]byte("pepper-0123456789abcdeF")).PepperID() || (*apikey.Hasher)(nil).PepperID() != "" {
		t.Fatalf("PepperID %q: want 12 hex digits, the same for one pepper, another for another, none without", id)
	}
	s, _ := apikey.NewMemoryStore()
	_, rec, err := apikey.Issue(ctx, s, h, apikey.KeySpec{Prefix: "sk"}, now)
	if err != nil || rec.PepperID != h.PepperID() {
		t.Fatalf("Issue: %v, PepperID %q", err, rec.PepperID)
	}
	for name, other := range map[string]*apikey.Hasher{"none": nil, "another": apikey.NewHasher([]byte("another-pepper-0123456"))} {
		if _, _, _, err := apikey.Rotate(ctx, s, other, rec.ID, apikey.RotateSpec{}, now); !errors.Is(err, apikey.ErrPepperMismatch) {
			t.Errorf("Rotate with %s pepper: %v, want ErrPepperMismatch", name, err)
		}
	}
	if list, _ := s.List(ctx); len(list) != 1 || !list[0].ExpiresAt.IsZero() {
		t.Errorf("a refused rotation changed the store: %+v", list)
	}
	key, next, _, err := apikey.Rotate(ctx, s, h, rec.ID, apikey.RotateSpec{}, now)
	if err != nil || next.PepperID != h.PepperID() {
		t.Fatalf("Rotate with the record's pepper: %v", err)
	}
	v, _ := apikey.NewVerifier(s, apikey.WithHasher(h), apikey.WithClock(func() time.Time { return now }))
	if _, err := v.Verify(ctx, key); err != nil {
		t.Errorf("the successor: %v", err)
	}
}

// TestPepperIDSetOnce: a peppered record made without its pepper ID (by
// hand, or by another tool) is refused by Rotate with a hint, may be given
// its pepper ID by an update, and then rotates; a pepper ID once set does
// not change.
func TestPepperIDSetOnce(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	h := apikey.NewHasher([]byte("pepper-0123456789abcdef"))
	s, _ := apikey.NewMemoryStore()
	_, rec, err := apikey.Mint(h, apikey.KeySpec{Prefix: "sk"}, now)
	if err != nil {
		t.Fatal(err)
	}
	rec.PepperID = ""
	if err := s.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = apikey.Rotate(ctx, s, h, rec.ID, apikey.RotateSpec{}, now)
	if !errors.Is(err, apikey.ErrPepperMismatch) || !strings.Contains(err.Error(), "set its pepper_id to \""+h.PepperID()+"\"") {
		t.Fatalf("Rotate of a peppered record without pepper ID: %v, want ErrPepperMismatch with a hint", err)
	}
	if _, err := s.Update(ctx, rec.ID, func(r *apikey.Record) error { r.PepperID = h.PepperID(); return nil }); err != nil {
		t.Fatalf("setting a missing pepper ID: %v", err)
	}
	if _, _, _, err := apikey.Rotate(ctx, s, h, rec.ID, apikey.RotateSpec{}, now); err != nil {
		t.Fatalf("Rotate once the pepper ID is set: %v", err)
	}
	if _, err := s.Update(ctx, rec.ID, func(r *apikey.Record) error { r.PepperID = "000000000000"; return nil }); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("changing a pepper ID: %v, want ErrInvalidRecord", err)
	}
}

func TestRotateNotYetValid(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s, _ := apikey.NewMemoryStore()
	nbf := now.Add(48 * time.Hour)
	_, rec, err := apikey.Issue(ctx, s, nil, apikey.KeySpec{Prefix: "sk", NotBefore: nbf}, now)
	if err != nil {
		t.Fatal(err)
	}
	_, next, old, err := apikey.Rotate(ctx, s, nil, rec.ID, apikey.RotateSpec{Overlap: time.Hour}, now)
	if err != nil {
		t.Fatalf("Rotate of a key not valid yet: %v", err)
	}
	if !next.NotBefore.Equal(nbf) {
		t.Errorf("successor valid from %s, want the old key's %s", next.NotBefore, nbf)
	}
	if !old.Revoked {
		t.Errorf("old key (overlap ends before it is valid) = %+v, want revoked", old)
	}
}

func TestRotateKeepsOlderExpiry(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s, _ := apikey.NewMemoryStore()
	_, rec, err := apikey.Issue(ctx, s, nil, apikey.KeySpec{Prefix: "sk", ExpiresAt: now.Add(time.Minute)}, now)
	if err != nil {
		t.Fatal(err)
	}
	_, next, old, err := apikey.Rotate(ctx, s, nil, rec.ID, apikey.RotateSpec{Overlap: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !old.ExpiresAt.Equal(now.Add(time.Minute)) {
		t.Errorf("old key's expiry moved to %s; an overlap never extends a key", old.ExpiresAt)
	}
	if !next.ExpiresAt.Equal(now.Add(time.Minute)) {
		t.Errorf("successor expires at %s, want the old lifetime (1m) from now", next.ExpiresAt)
	}
	if _, _, _, err := apikey.Rotate(ctx, s, nil, rec.ID, apikey.RotateSpec{Overlap: -time.Second}, now); err == nil {
		t.Error("negative overlap accepted")
	}
	legacy := apikey.NewRecord("legacy", "", "legacy-0123456789abcdef")
	s.Put(legacy)
	if _, _, _, err := apikey.Rotate(ctx, s, nil, "legacy", apikey.RotateSpec{}, now); !errors.Is(err, apikey.ErrInvalidRecord) {
		t.Errorf("Rotate(imported key without prefix) error = %v, want ErrInvalidRecord", err)
	}
}
