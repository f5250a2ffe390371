// Package redise2e drives generated middleware against a real Redis: the
// rate limits of generator/e2e/policy shared by two replicas, and what each
// failure mode does when Redis stops.
package redise2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/generator/e2e/policy"
	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/redistest"
	"github.com/authgen/authgen/runtime/ratelimit/redislimit"
)

func redisHandler(t *testing.T, addr string) http.Handler {
	t.Helper()
	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	lim, err := redislimit.New(client, redislimit.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	verifier := authrt.VerifierFunc(func(_ context.Context, tok string) (*authrt.Identity, error) {
		if id, ok := identities[tok]; ok {
			return id, nil
		}
		return nil, authrt.Reject("unknown token")
	})
	auth, err := policy.New(policy.Config{Bearer: verifier, Key: verifier, Options: authrt.Options{RateLimiter: lim}})
	if err != nil {
		t.Fatal(err)
	}
	return auth.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
}

var identities = map[string]*authrt.Identity{
	"tok-verified": {Subject: "alice", Claims: map[string]any{"email_verified": true}},
	"tok-pro":      {Subject: "carol", Claims: map[string]any{"email_verified": true}},
	"tok-large":    {Subject: "erin", Claims: map[string]any{"org": map[string]any{"id": "org-1"}}},
	"tok-org2":     {Subject: "heidi", Claims: map[string]any{"org": map[string]any{"id": "org-2"}}},
}

func do(h http.Handler, method, target, _ string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// TestRedisReplicasShareLimits: two guards (two replicas) on one Redis
// enforce one limit between them, and when Redis stops, each limit follows
// its failure mode: the chat limit falls back to the in-memory limiter, the
// fail-closed one answers 503.
func TestRedisReplicasShareLimits(t *testing.T) {
	srv := redistest.Start(t)
	a, b := redisHandler(t, srv.Addr()), redisHandler(t, srv.Addr())
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(h http.Handler) {
			defer wg.Done()
			if do(h, "POST", "/chat", "", bearer("tok-verified")...).Code == 200 {
				ok.Add(1)
			}
		}([]http.Handler{a, b}[i%2])
	}
	wg.Wait()
	if ok.Load() != 5 {
		t.Fatalf("two replicas allowed %d requests against a shared limit of 5", ok.Load())
	}

	srv.Stop()
	// Fallback: each replica limits locally (5 each, as a fresh in-memory
	// bucket), never unlimited.
	n := 0
	for i := 0; i < 10 && do(a, "POST", "/chat", "", bearer("tok-pro")...).Code == 200; i++ {
		n++
	}
	if n != 5 {
		t.Errorf("with Redis down, the fallback limiter allowed %d requests, want 5", n)
	}
	rec := do(a, "GET", "/by-org", "", bearer("tok-large")...)
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("fail-closed limit with Redis down: %d, want 503 with Retry-After", rec.Code)
	}

	srv.Restart()
	if rec := do(b, "GET", "/by-org", "", bearer("tok-org2")...); rec.Code != 200 {
		t.Errorf("after Redis restarted: %d", rec.Code)
	}
}
