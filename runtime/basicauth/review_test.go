package basicauth

// Regression tests for findings of a security review: each failed before
// its fix.

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
)

// An unknown user must cost what a known one does, or the response time
// tells which user names exist: the table checks an unknown name against a
// dummy hash with an iteration count the table's own users have (found by
// review: the dummy had DefaultIterations, 6x a user's minIterations hash).
// Checked structurally, not by timing.
func TestTableUnknownUserCostsAsAKnownOne(t *testing.T) {
	low, err := hashWith("correct horse", []byte("0123456789abcdef"), minIterations)
	if err != nil {
		t.Fatal(err)
	}
	high, err := hashWith("battery staple", []byte("fedcba9876543210"), DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	for _, users := range [][]User{
		{{Name: "alice", PasswordHash: low}},
		{{Name: "alice", PasswordHash: low}, {Name: "bob", PasswordHash: high}},
	} {
		tab, err := NewTable(users...)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]bool{}
		for _, u := range tab.users {
			want[u.h.iter] = true
		}
		got := map[int]bool{}
		for _, d := range tab.dummies {
			got[d.iter] = true
		}
		if len(got) != len(want) {
			t.Errorf("users hash with %v iterations, unknown names are checked with %v", want, got)
		}
		for iter := range got {
			if !want[iter] {
				t.Errorf("a dummy hash of %d iterations, which no user has (users: %v)", iter, want)
			}
		}
	}
}

// Rate limits (x-authgen-rate-limit) are applied only once a request is
// authorized, so failed logins are never counted: even an operation with a
// per-IP limit of 1 an hour lets one client guess passwords without end.
// Each guess also costs the server a full PBKDF2 (600,000 rounds, ~100 ms of
// CPU here) before any limit is consulted, so a few requests per second
// from anyone, with no valid credential, keep a core busy.
func TestReviewBasicGuessingNeverRateLimited(t *testing.T) {
	hash, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	tab, err := NewTable(User{Name: "alice", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	spec := &authrt.Spec{
		Title:   "t",
		Schemes: []authrt.Scheme{{Name: "basic", Type: authrt.HTTPBasic}},
		Operations: []authrt.Operation{{
			ID: "login", Method: "GET", Path: "/login",
			Security:   []authrt.Alternative{{{Scheme: 0}}},
			RateLimits: []authrt.RateLimitRule{{Name: "ip", Limit: 1, Per: time.Hour, By: authrt.RateByIP}},
		}},
		Routes: []authrt.RouteNode{
			{Static: []authrt.RouteEdge{{Segment: "login", Node: 1}}},
			{Methods: []authrt.RouteMethod{{Method: "GET", Operation: 0}}},
		},
	}
	g, err := authrt.NewGuard(spec, []authrt.Verifier{tab}, authrt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	codes := map[int]int{}
	start := time.Now()
	for _, pw := range []string{"123456", "password", "qwerty", "letmein", "dragon"} {
		r := httptest.NewRequest("GET", "/login", nil)
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("alice:"+pw)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		codes[w.Code]++
	}
	t.Logf("5 guesses from one address: %v in %v", codes, time.Since(start))
	if codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("5 wrong passwords from one address under a 1/hour per-IP limit: %v, never 429", codes)
	}
}
