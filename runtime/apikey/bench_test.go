package apikey

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

// benchKeys are realistic 40-byte keys, enough of them that lookups do not
// all hit one cache line.
func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("sk_live_%032x", i*2654435761)
	}
	return keys
}

const benchStoreSize = 10_000

func benchVerifier(b *testing.B, opts ...Option) (*Verifier, []string) {
	b.Helper()
	keys := benchKeys(benchStoreSize)
	cfg, err := newConfig(opts) // the hasher the verifier will use

	if err != nil {
		b.Fatal(err)
	}
	records := make([]Record, len(keys))
	for i, k := range keys {
		records[i] = cfg.hasher.Record(fmt.Sprintf("k%d", i), "owner", k, "read")
	}
	store, err := NewMemoryStore(records...)
	if err != nil {
		b.Fatal(err)
	}
	v, err := NewVerifier(store, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return v, keys
}

// BenchmarkVerify is Verify of a valid key against a MemoryStore of
// benchStoreSize records, plain SHA-256.
func BenchmarkVerify(b *testing.B) {
	v, keys := benchVerifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := v.Verify(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkVerifyFormatted is BenchmarkVerify with keys in authgen's format
// and WithPrefixes: the format and checksum are checked before hashing.
func BenchmarkVerifyFormatted(b *testing.B) {
	keys := make([]string, benchStoreSize)
	records := make([]Record, benchStoreSize)
	for i := range keys {
		key, rec, err := Mint(nil, KeySpec{ID: fmt.Sprintf("k%d", i), Prefix: "sk_live", Scopes: []string{"read"}}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		keys[i], records[i] = key, rec
	}
	store, err := NewMemoryStore(records...)
	if err != nil {
		b.Fatal(err)
	}
	v, err := NewVerifier(store, WithPrefixes("sk_live"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := v.Verify(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkVerifyPeppered is BenchmarkVerify with HMAC-SHA256 under a pepper.
func BenchmarkVerifyPeppered(b *testing.B) {
	v, keys := benchVerifier(b, WithPepper([]byte("bench-pepper-0123456789abcdef")))
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := v.Verify(ctx, keys[i%len(keys)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkVerifyUnknown is Verify of a key that has no record.
func BenchmarkVerifyUnknown(b *testing.B) {
	v, _ := benchVerifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, "sk_live_not_a_key_00000000000000000000"); err == nil {
			b.Fatal("unknown key accepted")
		}
	}
}

// BenchmarkVerifyParallel is BenchmarkVerify from GOMAXPROCS goroutines,
// which share the store's read lock and the hasher's pool.
func BenchmarkVerifyParallel(b *testing.B) {
	v, keys := benchVerifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := v.Verify(ctx, keys[i%len(keys)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkBaselineSHA256MapLookup is the least any verifier must do: hash
// the key with SHA-256 and look the hash up in a map, without locking,
// copying or checks. Compare BenchmarkVerify with it.
func BenchmarkBaselineSHA256MapLookup(b *testing.B) {
	keys := benchKeys(benchStoreSize)
	m := make(map[[sha256.Size]byte]*Record, len(keys))
	for i, k := range keys {
		m[sha256.Sum256([]byte(k))] = &Record{ID: fmt.Sprintf("k%d", i)}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if m[sha256.Sum256([]byte(keys[i%len(keys)]))] == nil {
			b.Fatal("missing")
		}
		i++
	}
}
