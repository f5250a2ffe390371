package apikey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

// Keys of the fixture store. Each is distinctive enough that finding it in an
// error string cannot be an accident.
const (
	keyValid   = "sk_test_VALID_6b1f0c9e2d7a4358"
	keyNoName  = "sk_test_NONAME_0f8e7d6c5b4a39"
	keyRevoked = "sk_test_REVOKED_1a2b3c4d5e6f70"
	keyExpired = "sk_test_EXPIRED_9f8e7d6c5b4a30"
	keyEdge    = "sk_test_EXPIRES_NOW_77aa88bb99"
	keyNotYet  = "sk_test_NOTYET_aa11bb22cc33dd"
	keyUnknown = "sk_test_UNKNOWN_0000ffff1111ee"
)

// fixtureStore returns a MemoryStore with one record per case.
func fixtureStore(t testing.TB, h *Hasher) *MemoryStore {
	t.Helper()
	valid := h.Record("k-valid", "alice", keyValid, "chat:read", "chat:write")
	valid.ExpiresAt = t0.Add(time.Hour)
	valid.NotBefore = t0.Add(-time.Hour)
	valid.Metadata = map[string]any{"tier": "gold"}
	noName := h.Record("k-noname", "", keyNoName)
	revoked := h.Record("k-revoked", "carol", keyRevoked)
	revoked.Revoked = true
	expired := h.Record("k-expired", "dave", keyExpired)
	expired.ExpiresAt = t0.Add(-time.Second)
	edge := h.Record("k-edge", "erin", keyEdge)
	edge.ExpiresAt = t0 // expired at exactly its ExpiresAt
	notYet := h.Record("k-notyet", "frank", keyNotYet)
	notYet.NotBefore = t0.Add(time.Second)

	s, err := NewMemoryStore(valid, noName, revoked, expired, edge, notYet)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertKeyHidden fails if any text made from err contains key.
func assertKeyHidden(t *testing.T, err error, key string) {
	t.Helper()
	if err == nil || key == "" {
		return
	}
	for _, text := range []string{
		err.Error(),
		fmt.Sprintf("%+v", err),
		fmt.Sprintf("%#v", err),
		authrt.PublicReason(err),
	} {
		if strings.Contains(text, key) {
			t.Errorf("error text %q contains the key", text)
		}
	}
}

func TestVerify(t *testing.T) {
	v, err := NewVerifier(fixtureStore(t, nil), WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		key        string
		wantErr    error  // nil for an accepted key
		wantReason string // authrt.PublicReason
		wantDetail string // in err.Error()
		want       *authrt.Identity
	}{
		{name: "valid", key: keyValid, want: &authrt.Identity{
			Subject: "alice", KeyID: "k-valid", Scopes: []string{"chat:read", "chat:write"},
			Claims: map[string]any{"tier": "gold"}, ExpiresAt: t0.Add(time.Hour),
		}},
		{name: "subject falls back to ID", key: keyNoName, want: &authrt.Identity{
			Subject: "k-noname", KeyID: "k-noname",
		}},
		{name: "unknown", key: keyUnknown, wantErr: ErrUnknownKey,
			wantReason: "unknown API key", wantDetail: "no record"},
		{name: "revoked", key: keyRevoked, wantErr: ErrKeyRevoked,
			wantReason: "API key revoked", wantDetail: `key id "k-revoked"`},
		{name: "expired", key: keyExpired, wantErr: ErrKeyExpired,
			wantReason: "API key expired", wantDetail: `key id "k-expired"`},
		{name: "expires at this instant", key: keyEdge, wantErr: ErrKeyExpired,
			wantReason: "API key expired", wantDetail: `key id "k-edge"`},
		{name: "not yet valid", key: keyNotYet, wantErr: ErrKeyNotYetValid,
			wantReason: "API key not yet valid", wantDetail: `key id "k-notyet"`},
		{name: "empty", key: "", wantErr: ErrMalformedKey,
			wantReason: "malformed API key", wantDetail: "key length 0 outside 16..256"},
		{name: "too short", key: keyValid[:15], wantErr: ErrMalformedKey,
			wantReason: "malformed API key", wantDetail: "key length 15 "},
		{name: "too long", key: keyValid + strings.Repeat("x", 257-len(keyValid)), wantErr: ErrMalformedKey,
			wantReason: "malformed API key", wantDetail: "key length 257 "},
		{name: "valid key with trailing space", key: keyValid + " ", wantErr: ErrUnknownKey,
			wantReason: "unknown API key"},
		{name: "valid key in other case", key: strings.ToUpper(keyValid), wantErr: ErrUnknownKey,
			wantReason: "unknown API key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tc.key)
			assertKeyHidden(t, err, tc.key)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify error = %v, want none", err)
				}
				assertIdentity(t, got, tc.want)
				return
			}
			if got != nil {
				t.Errorf("Verify returned identity %+v with its error", got)
			}
			if !errors.Is(err, tc.wantErr) || !errors.Is(err, authrt.ErrInvalidCredential) {
				t.Fatalf("Verify error = %v, want %v wrapping authrt.ErrInvalidCredential", err, tc.wantErr)
			}
			if r := authrt.PublicReason(err); r != tc.wantReason {
				t.Errorf("PublicReason = %q, want %q", r, tc.wantReason)
			}
			if !strings.Contains(err.Error(), tc.wantDetail) {
				t.Errorf("error %q lacks %q", err, tc.wantDetail)
			}
		})
	}
}

func assertIdentity(t *testing.T, got, want *authrt.Identity) {
	t.Helper()
	if got == nil {
		t.Fatal("nil identity")
	}
	if got.Subject != want.Subject || got.KeyID != want.KeyID || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		!slices.Equal(got.Scopes, want.Scopes) || fmt.Sprint(got.Claims) != fmt.Sprint(want.Claims) {
		t.Fatalf("identity = %+v, want %+v", got, want)
	}
}

func TestSentinelsAreInvalidCredentials(t *testing.T) {
	for _, err := range []error{ErrMalformedKey, ErrUnknownKey, ErrKeyRevoked, ErrKeyExpired, ErrKeyNotYetValid} {
		if !errors.Is(err, authrt.ErrInvalidCredential) {
			t.Errorf("%v does not wrap authrt.ErrInvalidCredential", err)
		}
	}
	for _, err := range []error{ErrNotFound, ErrDuplicateID, ErrDuplicateHash, ErrInvalidRecord} {
		if errors.Is(err, authrt.ErrInvalidCredential) {
			t.Errorf("store error %v wraps authrt.ErrInvalidCredential", err)
		}
	}
}

// TestVerifyIdentitySharesRecord shows the documented trade: the identity
// shares the record's scopes and metadata (read-only) so that Verify
// allocates the Identity and nothing else.
func TestVerifyIdentitySharesRecord(t *testing.T) {
	s := fixtureStore(t, nil)
	v, err := NewVerifier(s, WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := v.Verify(ctx, keyValid)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := s.Lookup(ctx, HashKey(keyValid))
	if &id.Scopes[0] != &rec.Scopes[0] {
		t.Error("identity scopes are a copy, want the record's (read-only) slice")
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(ctx, keyValid); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 1 {
		t.Errorf("Verify allocates %v times, want 1 (the Identity)", allocs)
	}
}

func TestVerifyWithPepper(t *testing.T) {
	pepper := []byte("server-pepper-0123456789abcdef")
	peppered := fixtureStore(t, NewHasher(pepper))
	ctx := context.Background()

	for name, opt := range map[string]Option{
		"WithPepper": WithPepper(pepper),
		"WithHasher": WithHasher(NewHasher(pepper)),
	} {
		v, err := NewVerifier(peppered, WithClock(fixedClock), opt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if id, err := v.Verify(ctx, keyValid); err != nil || id.KeyID != "k-valid" {
			t.Errorf("%s: Verify = %+v, %v; want k-valid", name, id, err)
		}
	}
	// Without the pepper (or with another one) the records are not found.
	for name, opts := range map[string][]Option{
		"no pepper":    nil,
		"other pepper": {WithPepper([]byte("another-pepper-0123456789abcdef"))},
	} {
		v, err := NewVerifier(peppered, append(opts, WithClock(fixedClock))...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := v.Verify(ctx, keyValid); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%s: Verify error = %v, want ErrUnknownKey", name, err)
		}
	}
}

// storeFunc adapts a function to Store, for stores that misbehave.
type storeFunc func(ctx context.Context, h Hash) (*Record, error)

func (f storeFunc) Lookup(ctx context.Context, h Hash) (*Record, error) { return f(ctx, h) }

func TestVerifyStoreFailures(t *testing.T) {
	errBackend := errors.New("connection refused")
	wrongRecord := NewRecord("k-other", "mallory", keyUnknown)
	tests := []struct {
		name             string
		store            storeFunc
		wantRejected     bool  // wraps authrt.ErrInvalidCredential
		wantErr          error // also wrapped
		wantUnavailable  bool
		wantMessageParts []string
	}{
		{
			name:    "wrapped ErrNotFound is an unknown key",
			store:   func(context.Context, Hash) (*Record, error) { return nil, fmt.Errorf("redis: %w", ErrNotFound) },
			wantErr: ErrUnknownKey, wantRejected: true,
		},
		{
			name:    "backend error is a technical failure",
			store:   func(context.Context, Hash) (*Record, error) { return nil, errBackend },
			wantErr: errBackend, wantMessageParts: []string{"apikey: store lookup", "connection refused"},
		},
		{
			name: "unavailable passes through",
			store: func(context.Context, Hash) (*Record, error) {
				return nil, fmt.Errorf("%w: timeout", authrt.ErrUnavailable)
			},
			wantErr: authrt.ErrUnavailable, wantUnavailable: true,
		},
		{
			name:    "context error passes through",
			store:   func(ctx context.Context, _ Hash) (*Record, error) { return nil, ctx.Err() },
			wantErr: context.Canceled,
		},
		{
			name:             "no record and no error",
			store:            func(context.Context, Hash) (*Record, error) { return nil, nil },
			wantMessageParts: []string{"neither a record nor an error"},
		},
		{
			// The store returns a record whose hash is not the key's (a
			// prefix index, a bug): the full constant-time comparison
			// refuses it.
			name:    "record with another hash is refused by the hash comparison",
			store:   func(context.Context, Hash) (*Record, error) { return &wrongRecord, nil },
			wantErr: ErrUnknownKey, wantRejected: true,
			wantMessageParts: []string{`record "k-other" whose hash differs`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(tc.store)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			id, err := v.Verify(ctx, keyValid)
			assertKeyHidden(t, err, keyValid)
			if id != nil || err == nil {
				t.Fatalf("Verify = %+v, %v; want an error", id, err)
			}
			if got := errors.Is(err, authrt.ErrInvalidCredential); got != tc.wantRejected {
				t.Errorf("errors.Is(%v, ErrInvalidCredential) = %v, want %v", err, got, tc.wantRejected)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tc.wantErr)
			}
			if got := errors.Is(err, authrt.ErrUnavailable); got != tc.wantUnavailable {
				t.Errorf("errors.Is(%v, ErrUnavailable) = %v, want %v", err, got, tc.wantUnavailable)
			}
			for _, part := range tc.wantMessageParts {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
		})
	}
}

func TestVerifyRefusesLengthBeforeLookup(t *testing.T) {
	var lookups atomic.Int32
	store := storeFunc(func(context.Context, Hash) (*Record, error) {
		lookups.Add(1)
		return nil, ErrNotFound
	})
	v, err := NewVerifier(store, WithMinKeyLength(4), WithMaxKeyLength(8))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"abc", "123456789", strings.Repeat("k", 1<<20)} {
		if _, err := v.Verify(context.Background(), key); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("Verify(len %d) error = %v, want ErrMalformedKey", len(key), err)
		}
	}
	if n := lookups.Load(); n != 0 {
		t.Fatalf("%d lookups for keys of bad length, want 0", n)
	}
	for _, key := range []string{"abcd", "12345678"} {
		if _, err := v.Verify(context.Background(), key); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("Verify(len %d) error = %v, want ErrUnknownKey", len(key), err)
		}
	}
	if n := lookups.Load(); n != 2 {
		t.Fatalf("%d lookups for keys at the length limits, want 2", n)
	}
}

func TestNewVerifierMisconfigured(t *testing.T) {
	store, err := NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		store   Store
		opts    []Option
		wantMsg []string
	}{
		{"nil store", nil, nil, []string{"nil Store"}},
		{"typed nil store", (*MemoryStore)(nil), nil, []string{"nil Store"}},
		{"nil store func", storeFunc(nil), nil, []string{"nil Store"}},
		{"nil option", store, []Option{nil}, []string{"nil Option"}},
		{"nil hasher", store, []Option{WithHasher(nil)}, []string{"WithHasher(nil)"}},
		{"hasher and pepper", store, []Option{WithHasher(NewHasher(nil)), WithPepper(make([]byte, 32))},
			[]string{"both given"}},
		{"empty pepper", store, []Option{WithPepper(nil)}, []string{"pepper is 0 bytes"}},
		{"short pepper", store, []Option{WithPepper([]byte("short"))}, []string{"pepper is 5 bytes"}},
		{"hasher with short pepper", store, []Option{WithHasher(NewHasher([]byte("short")))},
			[]string{"pepper is 5 bytes"}},
		{"nil clock", store, []Option{WithClock(nil)}, []string{"WithClock(nil)"}},
		{"zero minimum", store, []Option{WithMinKeyLength(0)}, []string{"minimum key length 0"}},
		{"maximum below minimum", store, []Option{WithMinKeyLength(32), WithMaxKeyLength(31)},
			[]string{"maximum key length 31 is less than the minimum 32"}},
		{"every problem reported", nil, []Option{WithClock(nil), WithMinKeyLength(-1)},
			[]string{"nil Store", "WithClock(nil)", "minimum key length -1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(tc.store, tc.opts...)
			if err == nil || v != nil {
				t.Fatalf("NewVerifier = %v, %v; want an error", v, err)
			}
			for _, part := range tc.wantMsg {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q lacks %q", err, part)
				}
			}
		})
	}
}
