package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authgen/authgen/examples/aichat/aichatauth"
	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/filestore"
	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/jwtauth"
)

// The benchmarks of an API key verified through the generated middleware,
// with their baseline in the same package so that the ratio comes from one
// run:
//
//	go test ./examples/aichat -run '^$' -bench 'APIKey|Baseline' -benchmem
//
// BenchmarkBaselineSHA256MapLookup is the least any verifier must do (hash
// the key, look the hash up in a map). BenchmarkBaselineContextMiddleware is
// the least any net/http middleware must do to hand that key's principal to
// a handler: the same hash and lookup, a principal, and the request copy
// that r.WithContext makes. BenchmarkAPIKeyMiddlewareStatic is the
// middleware with a verifier that does nothing, so the allocations it
// reports are the middleware's own (principal, request context); the
// difference to BenchmarkAPIKeyMiddleware is what verifying the key adds.

const benchKeys = 10_000

// benchRecords mints benchKeys keys in authgen's format.
func benchRecords(b *testing.B) ([]string, []apikey.Record) {
	b.Helper()
	keys := make([]string, benchKeys)
	records := make([]apikey.Record, benchKeys)
	for i := range keys {
		key, rec, err := apikey.Mint(nil, apikey.KeySpec{
			ID: fmt.Sprintf("key_%05d", i), Prefix: "sk_live", Name: "integration",
			Scopes: []string{"ai.inference.embedding"}, Metadata: map[string]any{"plan": "pro"},
		}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		keys[i], records[i] = key, rec
	}
	return keys, records
}

// benchHandler is the generated middleware over a handler that does
// nothing, with keyVerifier for apiKeyAuth.
func benchHandler(b *testing.B, keyVerifier authrt.Verifier) http.Handler {
	b.Helper()
	jwtVerifier, err := jwtauth.New([]jwtauth.Key{jwtauth.HMAC(testSecret)})
	if err != nil {
		b.Fatal(err)
	}
	auth, err := aichatauth.New(aichatauth.Config{BearerAuth: jwtVerifier, APIKeyAuth: keyVerifier})
	if err != nil {
		b.Fatal(err)
	}
	return auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := authrt.PrincipalFrom(r.Context()); !ok {
			panic("no principal")
		}
	}))
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(code int) {
	if code != http.StatusOK {
		panic(fmt.Sprintf("status %d", code))
	}
}

// runMiddleware sends POST /v1/embeddings (an operation with scopes and no
// rate limit) with each key in turn: one hot key, and all benchKeys keys
// (store and requests out of the CPU caches).
func runMiddleware(b *testing.B, h http.Handler, keys []string) {
	b.Run("keys=1", func(b *testing.B) { runRequests(b, h, keys[:1]) })
	b.Run(fmt.Sprintf("keys=%d", len(keys)), func(b *testing.B) { runRequests(b, h, keys) })
}

func runRequests(b *testing.B, h http.Handler, keys []string) {
	reqs := make([]*http.Request, len(keys))
	for i, k := range keys {
		reqs[i] = httptest.NewRequest("POST", "/v1/embeddings", nil)
		reqs[i].Header.Set("X-API-Key", k)
	}
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.ServeHTTP(w, reqs[i%len(reqs)])
		i++
	}
}

// BenchmarkAPIKeyMiddleware is a key verified from a MemoryStore of
// benchKeys records (format and checksum checked, SHA-256, scopes checked)
// through the generated middleware.
func BenchmarkAPIKeyMiddleware(b *testing.B) {
	keys, records := benchRecords(b)
	store, err := apikey.NewMemoryStore(records...)
	if err != nil {
		b.Fatal(err)
	}
	v, err := apikey.NewVerifier(store, apikey.WithPrefixes("sk_live"))
	if err != nil {
		b.Fatal(err)
	}
	runMiddleware(b, benchHandler(b, v), keys)
}

// BenchmarkAPIKeyMiddlewareFileStore is BenchmarkAPIKeyMiddleware with the
// records in a watched key file (served from memory, lock-free).
func BenchmarkAPIKeyMiddlewareFileStore(b *testing.B) {
	keys, records := benchRecords(b)
	path := filepath.Join(b.TempDir(), "keys.json")
	data, err := filestore.Encode(records, filestore.JSON)
	if err != nil {
		b.Fatal(err)
	}
	if err := writeBenchFile(path, data); err != nil {
		b.Fatal(err)
	}
	store, err := filestore.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	v, err := apikey.NewVerifier(store, apikey.WithPrefixes("sk_live"))
	if err != nil {
		b.Fatal(err)
	}
	runMiddleware(b, benchHandler(b, v), keys)
}

// BenchmarkAPIKeyMiddlewareStatic is the middleware with a verifier that
// returns a ready identity: the cost of routing, extraction, the principal
// and the request context, without the key.
func BenchmarkAPIKeyMiddlewareStatic(b *testing.B) {
	keys, _ := benchRecords(b)
	id := &authrt.Identity{Subject: "integration", KeyID: "key_00000", Scopes: []string{"ai.inference.embedding"}}
	static := authrt.VerifierFunc(func(context.Context, string) (*authrt.Identity, error) { return id, nil })
	runMiddleware(b, benchHandler(b, static), keys)
}

// BenchmarkBaselineSHA256MapLookup hashes the key with SHA-256 and looks
// the hash up in a map of benchKeys records: the floor for any verifier.
func BenchmarkBaselineSHA256MapLookup(b *testing.B) {
	keys, records := benchRecords(b)
	m := make(map[[sha256.Size]byte]*apikey.Record, len(records))
	for i := range records {
		m[records[i].Hash] = &records[i]
	}
	for _, n := range []int{1, len(keys)} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if m[sha256.Sum256([]byte(keys[i%n]))] == nil {
					b.Fatal("missing")
				}
				i++
			}
		})
	}
}

type floorKey struct{}

// floorPrincipal is what a minimal middleware tells the handler.
type floorPrincipal struct {
	Subject, KeyID string
	Scopes         []string
	Claims         map[string]any
}

// BenchmarkBaselineContextMiddleware is a hand-written middleware with no
// routing, no format check, no policy and no error handling: it reads the
// header, hashes the key, looks the hash up in a map, and passes a new
// principal to the handler in the request context. It is the floor for any
// net/http middleware, authgen's or a hand-rolled one.
func BenchmarkBaselineContextMiddleware(b *testing.B) {
	keys, records := benchRecords(b)
	m := make(map[[sha256.Size]byte]*apikey.Record, len(records))
	for i := range records {
		m[records[i].Hash] = &records[i]
	}
	next := floorHandler
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := m[sha256.Sum256([]byte(r.Header.Get("X-Api-Key")))]
		if rec == nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		p := &floorPrincipal{Subject: rec.Name, KeyID: rec.ID, Scopes: rec.Scopes, Claims: rec.Metadata}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), floorKey{}, p)))
	})
	runMiddleware(b, h, keys)
}

// floorHandler is package-level, so that the compiler cannot inline it into
// the baseline and keep the request copy on the stack, which no real
// middleware gets.
var floorHandler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, ok := r.Context().Value(floorKey{}).(*floorPrincipal); !ok {
		panic("no principal")
	}
})

// writeBenchFile writes a key file for the benchmark.
func writeBenchFile(path string, data []byte) error {
	return os.WriteFile(path, data, 0o600)
}
