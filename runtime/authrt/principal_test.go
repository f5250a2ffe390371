package authrt

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
)

func TestPrincipalContext(t *testing.T) {
	if p, ok := PrincipalFrom(context.Background()); ok || p != nil {
		t.Errorf("empty context: %v, %v", p, ok)
	}
	if p, ok := PrincipalFrom(WithPrincipal(context.Background(), nil)); ok || p != nil {
		t.Errorf("nil principal: %v, %v", p, ok)
	}
	want := &Principal{Subject: "alice"}
	ctx := WithPrincipal(context.Background(), want)
	if p, ok := PrincipalFrom(ctx); !ok || p != want {
		t.Errorf("PrincipalFrom = %v, %v; want %v", p, ok, want)
	}
	// A context value of another type under another key is not a principal.
	type otherKey struct{}
	if _, ok := PrincipalFrom(context.WithValue(context.Background(), otherKey{}, want)); ok {
		t.Errorf("found a principal under a foreign key")
	}
}

// TestHandBuiltPrincipal: WithPrincipal is for tests of handlers, which
// build a Principal by hand and cannot set its identities. Its methods
// must not panic on one.
func TestHandBuiltPrincipal(t *testing.T) {
	p := &Principal{
		Operation: "getItem",
		Schemes:   []string{"bearer"},
		Subject:   "alice",
		Scopes:    []string{"read"},
		Claims:    map[string]any{"plan": "pro"},
	}
	if id := p.Identity("bearer"); id != nil {
		t.Errorf("Identity of a hand-built principal = %+v, want nil", id)
	}
	if id := p.Identity("other"); id != nil {
		t.Errorf("Identity(other) = %+v", id)
	}
	if !p.HasScope("read") || p.HasScope("write") {
		t.Errorf("HasScope")
	}
	var c struct{ Plan string }
	if err := p.DecodeClaims(&c); err != nil || c.Plan != "pro" {
		t.Errorf("DecodeClaims = %+v, %v", c, err)
	}
}

func TestClaim(t *testing.T) {
	var claims map[string]any
	if err := json.Unmarshal([]byte(`{
		"n": 3, "f": 3.5, "big": 1e300, "neg": -2, "s": "str", "b": true,
		"models": ["gpt", "o1"], "mixed": ["a", 1],
		"obj": {"tier": "pro", "limit": 10}, "null": null
	}`), &claims); err != nil {
		t.Fatal(err)
	}
	claims["num"] = json.Number("42")
	p := &Principal{Claims: claims}

	check := func(name string, got any, ok bool, want any, wantOK bool) {
		t.Helper()
		if ok != wantOK || (wantOK && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s = %#v, %v; want %#v, %v", name, got, ok, want, wantOK)
		}
	}
	v1, ok := Claim[int](p, "n")
	check("Claim[int](n)", v1, ok, 3, true)
	v2, ok := Claim[float64](p, "n")
	check("Claim[float64](n)", v2, ok, 3.0, true)
	v3, ok := Claim[int](p, "f")
	check("Claim[int](f)", v3, ok, 0, false) // 3.5 does not convert
	v4, ok := Claim[int64](p, "neg")
	check("Claim[int64](neg)", v4, ok, int64(-2), true)
	v5, ok := Claim[uint](p, "neg")
	check("Claim[uint](neg)", v5, ok, uint(0), false)
	v6, ok := Claim[int](p, "big")
	check("Claim[int](big)", v6, ok, 0, false)
	v7, ok := Claim[int](p, "num")
	check("Claim[int](json.Number)", v7, ok, 42, true)
	v8, ok := Claim[string](p, "s")
	check("Claim[string](s)", v8, ok, "str", true)
	v9, ok := Claim[string](p, "n")
	check("Claim[string](n)", v9, ok, "", false)
	v10, ok := Claim[bool](p, "b")
	check("Claim[bool](b)", v10, ok, true, true)
	v11, ok := Claim[[]string](p, "models")
	check("Claim[[]string](models)", v11, ok, []string{"gpt", "o1"}, true)
	v12, ok := Claim[[]string](p, "mixed")
	check("Claim[[]string](mixed)", v12, ok, []string(nil), false)
	v13, ok := Claim[[]any](p, "models")
	check("Claim[[]any](models)", v13, ok, []any{"gpt", "o1"}, true)
	type tier struct {
		Tier  string `json:"tier"`
		Limit int    `json:"limit"`
	}
	v14, ok := Claim[tier](p, "obj")
	check("Claim[struct](obj)", v14, ok, tier{"pro", 10}, true)
	v15, ok := Claim[map[string]any](p, "obj")
	check("Claim[map](obj)", v15, ok, map[string]any{"tier": "pro", "limit": 10.0}, true)
	v16, ok := Claim[string](p, "missing")
	check("Claim[string](missing)", v16, ok, "", false)
	v17, ok := Claim[any](p, "s")
	check("Claim[any](s)", v17, ok, "str", true)
	v18, ok := Claim[string](&Principal{}, "s")
	check("Claim on nil Claims", v18, ok, "", false)
}

func TestDecodeClaims(t *testing.T) {
	type claims struct {
		Plan   string   `json:"plan"`
		Models []string `json:"models"`
		Limit  int      `json:"limit"`
	}
	// From RawClaims: the first identity that has any, even if it is not
	// the first identity.
	p := newPrincipal("op", []string{"key", "tok"}, []*Identity{
		{Subject: "svc", Claims: map[string]any{"plan": "from-key-claims"}},
		{RawClaims: []byte(`{"plan":"pro","models":["gpt","o1"],"limit":7}`), Claims: map[string]any{"plan": "ignored"}},
	})
	var c claims
	if err := p.DecodeClaims(&c); err != nil || !reflect.DeepEqual(c, claims{"pro", []string{"gpt", "o1"}, 7}) {
		t.Errorf("from RawClaims: %+v, %v", c, err)
	}
	// From Claims when no identity has RawClaims.
	p = newPrincipal("op", []string{"key"}, []*Identity{
		{Claims: map[string]any{"plan": "free", "models": []any{"small"}, "limit": 1.0}},
	})
	c = claims{}
	if err := p.DecodeClaims(&c); err != nil || !reflect.DeepEqual(c, claims{"free", []string{"small"}, 1}) {
		t.Errorf("from Claims: %+v, %v", c, err)
	}
	// Type mismatches are errors, as encoding/json reports them.
	p = newPrincipal("op", []string{"tok"}, []*Identity{{RawClaims: []byte(`{"limit":"lots"}`)}})
	if err := p.DecodeClaims(&c); err == nil {
		t.Errorf("mismatched type: no error")
	}
	// No claims at all: nothing to fill, no error.
	p = newPrincipal("op", []string{"tok"}, []*Identity{{Subject: "x"}})
	c = claims{Plan: "kept"}
	if err := p.DecodeClaims(&c); err != nil || c.Plan != "kept" {
		t.Errorf("no claims: %+v, %v", c, err)
	}
}

func TestNewPrincipalSingle(t *testing.T) {
	id := &Identity{Subject: "s", KeyID: "k", Scopes: []string{"a", "a"}, Claims: map[string]any{"x": 1}}
	p := newPrincipal("op", []string{"tok"}, []*Identity{id})
	if p.Operation != "op" || p.Subject != "s" || p.KeyID != "k" || p.Identity("tok") != id {
		t.Errorf("single identity: %+v", p)
	}
	// One identity is taken as it is (shared, not copied or deduplicated).
	if !reflect.DeepEqual(p.Scopes, id.Scopes) || &p.Scopes[0] != &id.Scopes[0] {
		t.Errorf("scopes not shared: %v", p.Scopes)
	}
}
