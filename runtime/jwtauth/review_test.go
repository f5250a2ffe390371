package jwtauth_test

// Regression tests for findings of a security review: each failed before
// its fix.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/jwtauth"
)

var reviewSecret = []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")

func reviewToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(reviewSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reviewGuard protects POST /gen with one bearer (JWT) scheme.
func reviewGuard(t *testing.T, op authrt.Operation) http.Handler {
	t.Helper()
	v, err := jwtauth.New([]jwtauth.Key{jwtauth.HMAC(reviewSecret)})
	if err != nil {
		t.Fatal(err)
	}
	op.ID, op.Method, op.Path = "gen", "POST", "/gen"
	op.Security = []authrt.Alternative{{{Scheme: 0}}}
	spec := &authrt.Spec{
		Title:      "t",
		Schemes:    []authrt.Scheme{{Name: "bearer", Type: authrt.HTTPBearer}},
		Operations: []authrt.Operation{op},
		Routes: []authrt.RouteNode{
			{Static: []authrt.RouteEdge{{Segment: "gen", Node: 1}}},
			{Methods: []authrt.RouteMethod{{Method: "POST", Operation: 0}}},
		},
	}
	g, err := authrt.NewGuard(spec, []authrt.Verifier{v}, authrt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authrt.PrincipalFrom(r.Context())
		var c struct {
			Org string `json:"org"`
		}
		if err := p.DecodeClaims(&c); err != nil {
			t.Error(err)
		}
		fmt.Fprintf(w, "org=%s", c.Org)
	}))
}

// x-authgen-rate-limit "by: key" is documented as counting "per API key ID
// (or, without one, per subject)". The JWT verifier puts the token's jti in
// Identity.KeyID, so for bearer callers the bucket is per token: each access
// token the issuer mints for the same user (every refresh makes a new jti,
// see runtime/issuer) comes with a full, fresh limit.
func TestReviewRateByKeyPerJTI(t *testing.T) {
	h := reviewGuard(t, authrt.Operation{
		RateLimits: []authrt.RateLimitRule{{Name: "perKey", Limit: 1, Per: time.Hour, By: authrt.RateByKey}},
	})
	exp := time.Now().Add(time.Hour).Unix()
	allowed := 0
	for i := range 5 {
		tok := reviewToken(t, jwt.MapClaims{"sub": "alice", "jti": fmt.Sprintf("refresh-%d", i), "exp": exp})
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/gen", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			allowed++
		}
	}
	if allowed != 1 {
		t.Errorf("limit 1/hour by key: alice made %d allowed calls with 5 tokens", allowed)
	}
}

// Claim rules look a claim up by its exact name, and the strict decoder only
// refuses members whose names are identical. Principal.DecodeClaims, the
// documented typed access, uses encoding/json, which matches struct fields
// case-insensitively and keeps the last match. So a token carrying "org"
// and "ORG" passes a rule on one value and hands the handler the other.
func TestReviewClaimRuleVersusDecodeClaimsCase(t *testing.T) {
	h := reviewGuard(t, authrt.Operation{
		Claims: []authrt.ClaimRule{{Claim: "org", Op: authrt.ClaimEquals, Values: []any{"acme"}}},
	})
	// Members in this order: "org" first, "ORG" last.
	type orgClaims struct {
		Org string `json:"org"`
		ORG string `json:"ORG"`
		jwt.RegisteredClaims
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, orgClaims{Org: "acme", ORG: "globex", RegisteredClaims: jwt.RegisteredClaims{
		Subject: "mallory", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}}).SignedString(reviewSecret)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/gen", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(w, r)
	if w.Code == http.StatusOK && w.Body.String() != "org=acme" {
		t.Errorf("rule org == acme held, but the handler's typed claims say %q", w.Body.String())
	}
}

// TestReviewDuplicateFoldBeyondToLower: the case-folded duplicate check
// used strings.ToLower, which does not fold as encoding/json does: "ſ"
// (U+017F) lower-cases to itself, but encoding/json matches it to "s". A token carrying "status" and "ſtatus"
// passes the strict decoder; the claim rule reads "status" == "trial" and
// Principal.DecodeClaims hands the handler "enterprise".
func TestReviewDuplicateFoldBeyondToLower(t *testing.T) {
	v, err := jwtauth.New([]jwtauth.Key{jwtauth.HMAC(reviewSecret)})
	if err != nil {
		t.Fatal(err)
	}
	op := authrt.Operation{ID: "gen", Method: "POST", Path: "/gen",
		Security: []authrt.Alternative{{{Scheme: 0}}},
		Claims:   []authrt.ClaimRule{{Claim: "status", Op: authrt.ClaimEquals, Values: []any{"trial"}}}}
	spec := &authrt.Spec{
		Title:      "t",
		Schemes:    []authrt.Scheme{{Name: "bearer", Type: authrt.HTTPBearer}},
		Operations: []authrt.Operation{op},
		Routes: []authrt.RouteNode{
			{Static: []authrt.RouteEdge{{Segment: "gen", Node: 1}}},
			{Methods: []authrt.RouteMethod{{Method: "POST", Operation: 0}}},
		},
	}
	g, err := authrt.NewGuard(spec, []authrt.Verifier{v}, authrt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authrt.PrincipalFrom(r.Context())
		var c struct {
			Status string `json:"status"`
		}
		if err := p.DecodeClaims(&c); err != nil {
			t.Error(err)
		}
		fmt.Fprintf(w, "status=%s", c.Status)
	}))
	tok := reviewToken(t, jwt.MapClaims{
		"sub": "mallory", "exp": time.Now().Add(time.Hour).Unix(),
		"status": "trial", "\u017ftatus": "enterprise",
	})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/gen", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized {
		t.Errorf("a token with status and \u017ftatus: %d %s, want 401 (a duplicate member)", w.Code, w.Body)
	}
	if w.Code == http.StatusOK && w.Body.String() != "status=trial" {
		t.Errorf("rule status == trial held, but the handler's typed claims say %q", w.Body.String())
	}
}
