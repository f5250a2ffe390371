package authrt

// Regression tests for findings of a security review: each failed before
// its fix.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// With AllowUnlisted, a path that the spec does not list passes through
// unauthenticated. But net/http's ServeMux hands such paths to a listed
// operation's handler when the spec path (and so, naturally, the mux
// pattern) ends in a slash: "GET /v1/admin/" is a subtree pattern that
// matches /v1/admin/anything. The guard only gives lenient-router spellings
// (case, missing base path) the operation's checks, not subtree matches, so
// the admin handler runs for an anonymous caller.
func TestReviewAllowUnlistedTrailingSlashSubtree(t *testing.T) {
	ops := []Operation{
		{ID: "adminHome", Method: "GET", Path: "/admin/", Security: []Alternative{{{Scheme: 0, Scopes: []Scope{"admin"}}}}},
	}
	spec := &Spec{
		Title:      "t",
		Schemes:    []Scheme{{Name: "bearer", Type: HTTPBearer}},
		Operations: ops,
		Routes:     buildRoutes(ops),
		BasePaths:  []string{"/v1"},
	}
	g := mustGuard(t, spec, []Verifier{accept(map[string]*Identity{"adm": ident("root", "admin")})}, Options{AllowUnlisted: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/admin/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("admin area"))
	})
	h := g.Middleware(mux)

	// The listed spelling is protected...
	w := httptest.NewRecorder()
	h.ServeHTTP(w, newRequest("GET", "/v1/admin/"))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("GET /v1/admin/: %d, want 401", w.Code)
	}
	// ...but one more segment reaches the same handler without any check.
	w = httptest.NewRecorder()
	h.ServeHTTP(w, newRequest("GET", "/v1/admin/users"))
	if w.Code == http.StatusOK {
		t.Errorf("GET /v1/admin/users without credentials reached the admin handler: %d %q", w.Code, w.Body.String())
	}
}

// Anonymous callers, and "by: ip" limits, are counted per client address.
// An IPv6 client normally holds a whole /64 (often a /48 or /56), so it can
// send each request from a fresh address and never hit the limit.
func TestReviewRateLimitIPv6PerAddress(t *testing.T) {
	ops := []Operation{{
		ID: "gen", Method: "POST", Path: "/gen", Public: true,
		RateLimits: []RateLimitRule{{Name: "anon", Limit: 1, Per: time.Hour, By: RateByIP}},
	}}
	spec := &Spec{Title: "t", Operations: ops, Routes: buildRoutes(ops)}
	g := mustGuard(t, spec, []Verifier{}, Options{})
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	allowed := 0
	for i := 1; i <= 50; i++ {
		r := newRequest("POST", "/gen")
		r.RemoteAddr = fmt.Sprintf("[2001:db8:1:2::%x]:40000", i) // one /64
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			allowed++
		}
	}
	if allowed > 1 {
		t.Errorf("limit 1/hour by ip: %d of 50 requests from one IPv6 /64 were allowed", allowed)
	}
}

// "by: key" is documented as "per API key ID (or, without one, per
// subject)". For a bearer JWT, Identity.KeyID is the token's jti, so the
// bucket is per token: a user who gets a new access token (every refresh
// mints a new jti) gets a fresh bucket. See also
// runtime/jwtauth/review_test.go, which shows it with real tokens.
func TestReviewRateByKeyCountsPerJWT(t *testing.T) {
	ops := []Operation{{
		ID: "gen", Method: "POST", Path: "/gen",
		Security:   []Alternative{{{Scheme: 0}}},
		RateLimits: []RateLimitRule{{Name: "perKey", Limit: 1, Per: time.Hour, By: RateByKey}},
	}}
	spec := &Spec{Title: "t", Schemes: []Scheme{{Name: "bearer", Type: HTTPBearer}}, Operations: ops, Routes: buildRoutes(ops)}
	ids := map[string]*Identity{}
	for i := range 10 {
		// Ten access tokens of one user, as ten refreshes give them.
		ids[fmt.Sprintf("tok%d", i)] = &Identity{Subject: "alice", KeyID: fmt.Sprintf("jti-%d", i)}
	}
	g := mustGuard(t, spec, []Verifier{accept(ids)}, Options{})
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	allowed := 0
	for i := range 10 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, newRequest("POST", "/gen", "Authorization", fmt.Sprintf("Bearer tok%d", i)))
		if w.Code == http.StatusOK {
			allowed++
		}
	}
	if allowed > 1 {
		t.Errorf("limit 1/hour by key: user alice made %d allowed calls with 10 tokens", allowed)
	}
}

// The same gap with a multi-segment wildcard: GitHub's spec has
// GET /repos/{owner}/{repo}/contents/{path}, where path holds slashes, and
// the natural ServeMux pattern is {path...}. With AllowUnlisted, a nested
// path is "unlisted" for the guard and served by the protected handler.
func TestReviewAllowUnlistedRestWildcard(t *testing.T) {
	ops := []Operation{{ID: "getContent", Method: "GET", Path: "/repos/{owner}/{repo}/contents/{path}",
		Security: []Alternative{{{Scheme: 0, Scopes: []Scope{"repo"}}}}}}
	spec := &Spec{Title: "t", Schemes: []Scheme{{Name: "bearer", Type: HTTPBearer}}, Operations: ops, Routes: buildRoutes(ops)}
	g := mustGuard(t, spec, []Verifier{accept(nil)}, Options{AllowUnlisted: true})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("content of " + r.PathValue("path")))
	})
	w := httptest.NewRecorder()
	g.Middleware(mux).ServeHTTP(w, newRequest("GET", "/repos/acme/private/contents/src/secret.go"))
	if w.Code == http.StatusOK {
		t.Errorf("anonymous request reached the protected handler: %d %q", w.Code, w.Body.String())
	}
}
