package apikey

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestHashKeyIsSHA256(t *testing.T) {
	// FIPS 180-2 test vector: SHA-256("abc").
	const want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	got := HashKey("abc")
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("HashKey(abc) = %x, want %s", got, want)
	}
	for _, h := range []*Hasher{nil, {}, NewHasher(nil), NewHasher([]byte{})} {
		if got := h.Hash("abc"); got != HashKey("abc") {
			t.Errorf("unpeppered Hasher %+v: got %x, want plain SHA-256", h, got)
		}
		if h.Peppered() {
			t.Errorf("unpeppered Hasher %+v: Peppered() = true", h)
		}
	}
}

func TestPepperChangesHash(t *testing.T) {
	const key = "sk_live_pepper_test_0123456789"
	pepperA := []byte("pepper-A-0123456789abcdef")
	pepperB := []byte("pepper-B-0123456789abcdef")

	mac := hmac.New(sha256.New, pepperA)
	mac.Write([]byte(key))
	var want Hash
	copy(want[:], mac.Sum(nil))

	a, b := NewHasher(pepperA), NewHasher(pepperB)
	if !a.Peppered() {
		t.Error("NewHasher(pepper).Peppered() = false")
	}
	if got := a.Hash(key); got != want {
		t.Errorf("peppered hash = %x, want HMAC-SHA256 %x", got, want)
	}
	if a.Hash(key) == HashKey(key) {
		t.Error("peppered hash equals plain SHA-256")
	}
	if a.Hash(key) == b.Hash(key) {
		t.Error("two peppers give the same hash")
	}
	// The Hasher copies its pepper: changing the caller's slice changes nothing.
	pepperA[0] = 'X'
	if got := a.Hash(key); got != want {
		t.Error("hash changed after the caller modified the pepper slice")
	}
	// Repeated and concurrent use of pooled state gives the same answers.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := key + strings.Repeat("x", i%40)
				if a.Hash(k) == b.Hash(k) {
					t.Errorf("peppers collide for length %d", len(k))
					return
				}
				if i%40 == 0 && a.Hash(k) != want {
					t.Errorf("pooled hasher drifted")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestHashText(t *testing.T) {
	h := HashKey("abc")
	const text = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	if got := h.String(); got != text {
		t.Fatalf("String() = %q, want %q", got, text)
	}
	parsed, err := ParseHash(text)
	if err != nil || parsed != h {
		t.Fatalf("ParseHash(%q) = %x, %v", text, parsed, err)
	}
	upper, err := ParseHash("sha256:" + strings.ToUpper(text[len("sha256:"):]))
	if err != nil || upper != h {
		t.Fatalf("ParseHash(upper case) = %x, %v", upper, err)
	}

	bad := []struct{ name, text, wantErr string }{
		{"empty", "", `must start with "sha256:"`},
		{"no prefix", text[len("sha256:"):], `must start with "sha256:"`},
		{"other algorithm", "sha512:" + text[len("sha256:"):], `must start with "sha256:"`},
		{"prefix case", "SHA256:" + text[len("sha256:"):], `must start with "sha256:"`},
		{"short", text[:len(text)-2], "64 hex digits"},
		{"long", text + "00", "64 hex digits"},
		{"trailing space", text + " ", "64 hex digits"},
		{"not hex", "sha256:" + strings.Repeat("zz", 32), "not hex"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			h := HashKey("unchanged")
			err := h.UnmarshalText([]byte(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("UnmarshalText(%q) error = %v, want containing %q", tc.text, err, tc.wantErr)
			}
			if h != HashKey("unchanged") {
				t.Error("failed UnmarshalText modified the hash")
			}
		})
	}
}

func TestHashEqual(t *testing.T) {
	a := HashKey("one")
	b := a
	b[len(b)-1] ^= 1
	if !a.Equal(a) || a.Equal(b) || a.Equal(Hash{}) {
		t.Fatal("Equal gives wrong answers")
	}
	if !(Hash{}).IsZero() || a.IsZero() {
		t.Fatal("IsZero gives wrong answers")
	}
}

func TestRecordJSON(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := NewRecord("k1", "alice", "sk_test_json_0123456789", "read", "write")
	rec.CreatedAt = t0
	rec.ExpiresAt = t0.Add(24 * time.Hour)
	rec.Metadata = map[string]any{"tier": "gold", "quota": 10.0}

	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"id":"k1"`, `"hash":"sha256:`, `"expires_at":"2025-03-02T12:00:00Z"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON %s lacks %s", s, want)
		}
	}
	for _, unwanted := range []string{"not_before", "revoked", "sk_test_json"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("JSON %s contains %s", s, unwanted)
		}
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Hash != rec.Hash || back.ID != rec.ID || !back.ExpiresAt.Equal(rec.ExpiresAt) ||
		len(back.Scopes) != 2 || back.Metadata["tier"] != "gold" {
		t.Fatalf("round trip: got %+v, want %+v", back, rec)
	}
	if err := json.Unmarshal([]byte(`{"id":"k","hash":"md5:00"}`), &back); err == nil {
		t.Fatal("bad hash in JSON accepted")
	}
}

func TestRecordCopiesScopes(t *testing.T) {
	scopes := []string{"read"}
	rec := NewHasher([]byte("pepper-0123456789abcdef")).Record("k1", "", "sk_test_copy_0123456789", scopes...)
	scopes[0] = "admin"
	if rec.Scopes[0] != "read" {
		t.Fatal("Record shares the caller's scopes slice")
	}
	if rec.Hash == HashKey("sk_test_copy_0123456789") {
		t.Fatal("Hasher.Record ignored the pepper")
	}
}

// TestHashStackAndPool checks that keys hashed from the stack (up to
// stackKeyLength bytes) and through the pool (longer) both give SHA-256.
func TestHashStackAndPool(t *testing.T) {
	for _, n := range []int{0, 1, 40, stackKeyLength - 1, stackKeyLength, stackKeyLength + 1, 4 * stackKeyLength} {
		key := strings.Repeat("k", n)
		if got, want := HashKey(key), Hash(sha256.Sum256([]byte(key))); got != want {
			t.Errorf("length %d: %v, want %v", n, got, want)
		}
	}
}

// TestHashEqualEveryByte checks that a difference in any bit of any byte
// makes two hashes unequal.
func TestHashEqualEveryByte(t *testing.T) {
	h := HashKey("sk_live_example")
	if !h.Equal(h) {
		t.Fatal("a hash is not equal to itself")
	}
	for i := range h {
		for bit := range 8 {
			other := h
			other[i] ^= 1 << bit
			if h.Equal(other) || other.Equal(h) {
				t.Fatalf("byte %d bit %d: hashes compare equal", i, bit)
			}
		}
	}
}
