package authrt

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Scheme indexes of evalSchemes.
const (
	sBearer = iota
	sBearer2
	sBot
	sKey
	sQkey
	sCkey
	sOauth
	sBasic
	nEvalSchemes
)

// evalSchemes are the scheme kinds the contract names, with the shared
// places it calls out: two bearer schemes (OpenAI), an apiKey in the
// Authorization header beside an OAuth2 bearer (Discord).
var evalSchemes = []Scheme{
	sBearer:  {Name: "bearer", Type: HTTPBearer},
	sBearer2: {Name: "bearer2", Type: HTTPBearer},
	sBot:     {Name: "bot", Type: APIKey, In: InHeader, Param: "Authorization"},
	sKey:     {Name: "key", Type: APIKey, In: InHeader, Param: "X-API-Key"},
	sQkey:    {Name: "qkey", Type: APIKey, In: InQuery, Param: "api_key"},
	sCkey:    {Name: "ckey", Type: APIKey, In: InCookie, Param: "session"},
	sOauth:   {Name: "oauth", Type: OAuth2},
	sBasic:   {Name: "basic", Type: HTTPBasic},
}

// req is a Requirement shorthand: req(sBearer, "a", "b").
func req(scheme int, scopes ...Scope) Requirement {
	return Requirement{Scheme: scheme, Scopes: scopes}
}

type evalFixture struct {
	g  *Guard
	vs []*fakeVerifier
}

// newEval builds a guard over evalSchemes for one operation (index 0) with
// the given alternatives, and a fake verifier per scheme.
func newEval(t *testing.T, security ...Alternative) *evalFixture {
	t.Helper()
	f := &evalFixture{vs: []*fakeVerifier{
		sBearer: accept(map[string]*Identity{
			"t-read":  ident("alice", "read"),
			"t-admin": ident("root", "admin", "read"),
			"t-a":     ident("a-only", "a"),
			"t-c":     ident("c-only", "c"),
			"t-none":  ident("nobody"),
		}),
		sBearer2: accept(map[string]*Identity{"t2": ident("bob", "read")}),
		sBot:     accept(map[string]*Identity{"Bot b1": {Subject: "bot", KeyID: "b1"}}),
		sKey: accept(map[string]*Identity{
			"k1":  {Subject: "svc", KeyID: "k1", Scopes: []string{"c"}},
			"k-a": {Subject: "svc-a", KeyID: "ka", Scopes: []string{"a"}},
		}),
		sQkey:  accept(map[string]*Identity{"q1": {Subject: "q", KeyID: "q1"}}),
		sCkey:  accept(map[string]*Identity{"c1": {Subject: "c", KeyID: "c1"}}),
		sOauth: accept(map[string]*Identity{"o1": ident("user", "identify")}),
		sBasic: accept(map[string]*Identity{"user:pw": {Subject: "user"}}),
	}}
	vs := make([]Verifier, len(f.vs))
	for i, v := range f.vs {
		vs[i] = v
	}
	spec := &Spec{
		Title:      "Eval",
		Schemes:    evalSchemes,
		Operations: []Operation{{ID: "op", Method: "GET", Path: "/", Security: security}},
	}
	f.g = mustGuard(t, spec, vs, Options{})
	return f
}

func (f *evalFixture) authorize(target string, kv ...string) (*Principal, *Denial) {
	return f.g.Authorize(0, newRequest("GET", target, kv...))
}

// outcome renders an Authorize result: "ok bearer+key alice", "anonymous",
// "401 invalid_token", "403 insufficient_scope", "503".
func outcome(p *Principal, d *Denial) string {
	switch {
	case d != nil && d.Code != "":
		return fmt.Sprintf("%d %s", d.Status, d.Code)
	case d != nil:
		return fmt.Sprint(d.Status)
	case p == nil:
		return "anonymous"
	}
	return "ok " + strings.Join(p.Schemes, "+") + " " + p.Subject
}

func TestEvaluateSharedPlace(t *testing.T) {
	// OpenAI: two bearer schemes read the same header.
	f := newEval(t, Alternative{req(sBearer)}, Alternative{req(sBearer2)})
	tests := []struct {
		authz string
		want  string
	}{
		{"Bearer t-read", "ok bearer alice"},
		{"Bearer t2", "ok bearer2 bob"}, // bearer rejects it: it belongs to bearer2
		{"Bearer nope", "401 invalid_token"},
		{"Bearer a b", "401 invalid_request"},
		{"", "401"},
		{"Basic dTpw", "401"}, // not a bearer credential: missing
	}
	for _, tt := range tests {
		var kv []string
		if tt.authz != "" {
			kv = []string{"Authorization", tt.authz}
		}
		if got := outcome(f.authorize("/", kv...)); got != tt.want {
			t.Errorf("Authorization %q: %s, want %s", tt.authz, got, tt.want)
		}
	}

	_, d := f.authorize("/", "Authorization", "Bearer nope")
	want := []string{`Bearer realm="Eval", error="invalid_token", error_description="the token is expired"`}
	if !reflect.DeepEqual(d.Challenges, want) {
		t.Errorf("all reject: challenges %q, want %q (one Bearer challenge for the shared place)", d.Challenges, want)
	}
	if !errors.Is(d.Cause, ErrInvalidCredential) {
		t.Errorf("all reject: Cause %v does not wrap ErrInvalidCredential", d.Cause)
	}
	_, d = f.authorize("/")
	if want := []string{`Bearer realm="Eval"`}; !reflect.DeepEqual(d.Challenges, want) {
		t.Errorf("missing: challenges %q, want %q", d.Challenges, want)
	}
}

// TestEvaluateSharedPlaceVerdicts combines the verdicts of two schemes
// reading one place, in both orders.
func TestEvaluateSharedPlaceVerdicts(t *testing.T) {
	okV := VerifierFunc(func(context.Context, string) (*Identity, error) { return &Identity{Subject: "yes"}, nil })
	rejectV := VerifierFunc(func(context.Context, string) (*Identity, error) { return nil, Reject("no such key") })
	failV := VerifierFunc(func(context.Context, string) (*Identity, error) { return nil, errors.New("store down") })
	downV := VerifierFunc(func(context.Context, string) (*Identity, error) {
		return nil, fmt.Errorf("redis: %w", ErrUnavailable)
	})
	nilV := VerifierFunc(func(context.Context, string) (*Identity, error) { return nil, nil })
	tests := []struct {
		name   string
		a, b   Verifier
		want   string
		retry  int
		detail string
	}{
		{"accept, reject", okV, rejectV, "ok", 0, ""},
		{"reject, accept", rejectV, okV, "ok", 0, ""},
		{"accept, failure", okV, failV, "ok", 0, ""},
		{"failure, accept", failV, okV, "ok", 0, ""},
		{"reject, reject", rejectV, rejectV, "401 invalid_token", 0, "no such key"},
		{"reject, failure", rejectV, failV, "503", 1, ""},
		{"failure, reject", failV, rejectV, "503", 1, ""},
		{"reject, unavailable", rejectV, downV, "503", 5, ""},
		{"failure, failure", failV, failV, "503", 1, ""},
		{"nil identity, reject", nilV, rejectV, "503", 1, ""},
		{"nil identity alone", nilV, nilV, "503", 1, ""},
		{"nil identity, accept", nilV, okV, "ok", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &Spec{
				Schemes: []Scheme{{Name: "a", Type: HTTPBearer}, {Name: "b", Type: HTTPBearer}},
				Operations: []Operation{{ID: "op", Method: "GET", Path: "/", Security: []Alternative{
					{req(0)}, {req(1)},
				}}},
			}
			g := mustGuard(t, spec, []Verifier{tt.a, tt.b}, Options{})
			p, d := g.Authorize(0, newRequest("GET", "/", "Authorization", "Bearer tok"))
			got := outcome(p, d)
			if p != nil {
				got = "ok"
			}
			if got != tt.want {
				t.Fatalf("%s, want %s", got, tt.want)
			}
			if d != nil && d.RetryAfter != tt.retry {
				t.Errorf("RetryAfter %d, want %d", d.RetryAfter, tt.retry)
			}
			if d != nil && tt.detail != "" && d.Detail != tt.detail {
				t.Errorf("Detail %q, want %q", d.Detail, tt.detail)
			}
			if d != nil && d.Status == 503 && len(d.Challenges) != 0 {
				t.Errorf("503 with challenges %q", d.Challenges)
			}
		})
	}
}

func TestEvaluateFailureCause(t *testing.T) {
	f := newEval(t, Alternative{req(sKey)})
	_, d := f.authorize("/", "X-API-Key", "boom")
	if d == nil || d.Status != 503 || d.Cause == nil || !strings.Contains(d.Cause.Error(), "store down") ||
		!strings.Contains(d.Cause.Error(), `"key"`) {
		t.Fatalf("technical failure: %+v", d)
	}
	_, d = f.authorize("/", "X-API-Key", "down")
	if d == nil || d.Status != 503 || d.RetryAfter != 5 || !errors.Is(d.Cause, ErrUnavailable) {
		t.Fatalf("unavailable: %+v", d)
	}
	_, d = f.authorize("/", "X-API-Key", "nil")
	if d == nil || d.Status != 503 {
		t.Fatalf("verifier returning (nil, nil) must fail closed: %+v", d)
	}
}

// TestEvaluateDiscord: an apiKey in the Authorization header ("Bot …")
// beside an OAuth2 bearer.
func TestEvaluateDiscord(t *testing.T) {
	f := newEval(t, Alternative{req(sBot)}, Alternative{req(sOauth, "identify")})
	tests := []struct {
		authz string
		want  string
	}{
		{"Bot b1", "ok bot bot"},
		{"Bearer o1", "ok oauth user"},
		{"Bot nope", "401 invalid_token"},
		{"Bearer nope", "401 invalid_token"},
		// A malformed bearer credential is still the bot key's to take; the
		// bot verifier rejects it, so it is invalid (invalid_token: the
		// apiKey's verdict is the more specific).
		{"Bearer a b", "401 invalid_token"},
		{"Bearer", "401 invalid_token"},
	}
	for _, tt := range tests {
		if got := outcome(f.authorize("/", "Authorization", tt.authz)); got != tt.want {
			t.Errorf("Authorization %q: %s, want %s", tt.authz, got, tt.want)
		}
	}
	// The bot verifier sees the raw header value.
	f.vs[sBot].ids["Bearer a b"] = &Identity{Subject: "odd-bot"}
	if got := outcome(f.authorize("/", "Authorization", "Bearer a b")); got != "ok bot odd-bot" {
		t.Errorf("malformed bearer accepted by the apiKey: %s", got)
	}

	// Challenges: both schemes read the one place.
	_, d := f.authorize("/")
	want := []string{`Bearer realm="Eval"`, `APIKey realm="Eval", in="header", name="Authorization"`}
	if !reflect.DeepEqual(d.Challenges, want) {
		t.Errorf("missing: challenges %q, want %q", d.Challenges, want)
	}

	// Without the apiKey, a malformed bearer header is invalid_request.
	f = newEval(t, Alternative{req(sOauth)})
	for _, authz := range []string{"Bearer a b", "Bearer", "bearer a,b", "Bearer\tx"} {
		if got := outcome(f.authorize("/", "Authorization", authz)); got != "401 invalid_request" {
			t.Errorf("oauth only, Authorization %q: %s, want 401 invalid_request", authz, got)
		}
	}
}

func TestEvaluateMalformedPlace(t *testing.T) {
	f := newEval(t, Alternative{}, Alternative{req(sBearer)}, Alternative{req(sKey)}, Alternative{req(sQkey)}, Alternative{req(sCkey)})
	tests := []struct {
		name   string
		target string
		kv     []string
	}{
		{"two Authorization headers", "/", []string{"Authorization", "Bearer t-read", "Authorization", "Bearer t-read"}},
		{"two key headers", "/", []string{"X-API-Key", "k1", "X-Api-Key", "k1"}},
		{"key twice in the query", "/?api_key=q1&api_key=q1", nil},
		{"cookie twice", "/", []string{"Cookie", "session=c1", "Cookie", "session=c1"}},
		{"bad escape", "/?api_key=%zz", nil},
	}
	for _, tt := range tests {
		// Even with an anonymous alternative: present but malformed is 401.
		if got := outcome(f.authorize(tt.target, tt.kv...)); got != "401 invalid_request" {
			t.Errorf("%s: %s, want 401 invalid_request", tt.name, got)
		}
	}
}

func TestEvaluateAlternatives(t *testing.T) {
	type alts = []Alternative
	tests := []struct {
		name     string
		security alts
		target   string
		kv       []string
		want     string
	}{
		{"first complete alternative wins", alts{{req(sKey)}, {req(sBearer)}}, "/",
			[]string{"X-API-Key", "k1", "Authorization", "Bearer t-read"}, "ok key svc"},
		{"first complete alternative wins, reversed", alts{{req(sBearer)}, {req(sKey)}}, "/",
			[]string{"X-API-Key", "k1", "Authorization", "Bearer t-read"}, "ok bearer alice"},
		{"an alternative lacking scopes is skipped", alts{{req(sBearer, "admin")}, {req(sKey)}}, "/",
			[]string{"X-API-Key", "k1", "Authorization", "Bearer t-read"}, "ok key svc"},
		{"none complete, one lacking scopes: 403", alts{{req(sBearer, "admin")}, {req(sKey)}}, "/",
			[]string{"Authorization", "Bearer t-read"}, "403 insufficient_scope"},
		{"none complete: 401", alts{{req(sBearer, "admin")}, {req(sKey)}}, "/", nil, "401"},
		{"invalid beats another valid alternative", alts{{req(sKey)}, {req(sBearer)}}, "/",
			[]string{"X-API-Key", "k1", "Authorization", "Bearer nope"}, "401 invalid_token"},
		{"invalid unused credential still fails", alts{{req(sKey)}, {req(sQkey)}}, "/?api_key=nope",
			[]string{"X-API-Key", "k1"}, "401 invalid_token"},
		// Scopes belong to their alternative and to their scheme.
		{"scopes not merged across alternatives", alts{{req(sBearer, "a")}, {req(sKey, "c")}}, "/",
			[]string{"X-API-Key", "k-a", "Authorization", "Bearer t-c"}, "403 insufficient_scope"},
		{"scopes not merged across schemes of an AND", alts{{req(sBearer, "a"), req(sKey, "c")}}, "/",
			[]string{"X-API-Key", "k-a", "Authorization", "Bearer t-c"}, "403 insufficient_scope"},
		{"AND needs every scheme", alts{{req(sBearer), req(sKey)}}, "/",
			[]string{"Authorization", "Bearer t-read"}, "401"},
		{"AND", alts{{req(sBearer), req(sKey)}}, "/",
			[]string{"X-API-Key", "k1", "Authorization", "Bearer t-read"}, "ok bearer+key alice"},
		{"query", alts{{req(sQkey)}}, "/?api_key=q1", nil, "ok qkey q"},
		{"cookie", alts{{req(sCkey)}}, "/", []string{"Cookie", "a=1; session=c1"}, "ok ckey c"},
		{"basic", alts{{req(sBasic)}}, "/",
			[]string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:pw"))}, "ok basic user"},
		{"basic, wrong password", alts{{req(sBasic)}}, "/",
			[]string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("user:no"))}, "401 invalid_token"},
		{"basic, malformed", alts{{req(sBasic)}}, "/", []string{"Authorization", "Basic !!"}, "401 invalid_request"},
		{"any scope", alts{{Requirement{Scheme: sBearer, Scopes: []Scope{"admin", "read"}, AnyScope: true}}}, "/",
			[]string{"Authorization", "Bearer t-read"}, "ok bearer alice"},
		{"any scope, none granted", alts{{Requirement{Scheme: sBearer, Scopes: []Scope{"admin", "read"}, AnyScope: true}}}, "/",
			[]string{"Authorization", "Bearer t-a"}, "403 insufficient_scope"},
		// An empty alternative is tried last, wherever it stands.
		{"anonymous first, nothing sent", alts{{}, {req(sBearer)}}, "/", nil, "anonymous"},
		{"anonymous first, valid token", alts{{}, {req(sBearer)}}, "/", []string{"Authorization", "Bearer t-read"}, "ok bearer alice"},
		{"anonymous first, invalid token", alts{{}, {req(sBearer)}}, "/", []string{"Authorization", "Bearer nope"}, "401 invalid_token"},
		{"anonymous first, failing verifier", alts{{}, {req(sBearer)}}, "/", []string{"Authorization", "Bearer boom"}, "503"},
		// ...and admits a credential lacking scopes, keeping its identity.
		{"anonymous, token lacking scopes", alts{{}, {req(sBearer, "admin")}}, "/",
			[]string{"Authorization", "Bearer t-read"}, "ok bearer alice"},
		{"anonymous last, partial AND", alts{{req(sBearer), req(sKey)}, {}}, "/",
			[]string{"X-API-Key", "k1"}, "ok key svc"},
		{"only anonymous", alts{{}}, "/", []string{"Authorization", "Bearer nope"}, "anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEval(t, tt.security...)
			if got := outcome(f.authorize(tt.target, tt.kv...)); got != tt.want {
				t.Errorf("%s, want %s", got, tt.want)
			}
		})
	}
}

func TestEvaluateVerifiesOnce(t *testing.T) {
	f := newEval(t, Alternative{req(sBearer, "admin")}, Alternative{req(sBearer, "a")},
		Alternative{req(sBearer), req(sKey)}, Alternative{req(sBearer, "read")})
	if got := outcome(f.authorize("/", "Authorization", "Bearer t-read")); got != "ok bearer alice" {
		t.Fatalf("%s", got)
	}
	if n := f.vs[sBearer].calls.Load(); n != 1 {
		t.Errorf("bearer verified %d times, want 1", n)
	}
	if n := f.vs[sKey].calls.Load(); n != 0 {
		t.Errorf("key verifier called %d times with no key sent", n)
	}
	if n := f.vs[sBearer2].calls.Load(); n != 0 {
		t.Errorf("a scheme the operation does not mention was called")
	}
}

func TestEvaluate403(t *testing.T) {
	f := newEval(t, Alternative{req(sKey, "x")}, Alternative{req(sBearer, "admin", "write"), req(sKey)})
	_, d := f.authorize("/", "Authorization", "Bearer t-read", "X-API-Key", "k1")
	if d == nil || d.Status != 403 {
		t.Fatalf("got %s", outcome(nil, d))
	}
	// The first alternative that had all its credentials is reported.
	if want := []Scope{"x"}; !reflect.DeepEqual(d.Scopes, want) {
		t.Errorf("Scopes %q, want %q", d.Scopes, want)
	}
	if len(d.Challenges) != 0 {
		t.Errorf("apiKey-only alternative: challenges %q, want none", d.Challenges)
	}

	f = newEval(t, Alternative{req(sBearer, "admin", "write"), req(sKey, "c")})
	_, d = f.authorize("/", "Authorization", "Bearer t-read", "X-API-Key", "k1")
	if want := []Scope{"admin", "write", "c"}; d == nil || !reflect.DeepEqual(d.Scopes, want) {
		t.Fatalf("Scopes: %+v, want %q", d, want)
	}
	want := []string{`Bearer realm="Eval", error="insufficient_scope", error_description="the token lacks a required scope", scope="admin write"`}
	if !reflect.DeepEqual(d.Challenges, want) {
		t.Errorf("challenges %q, want %q", d.Challenges, want)
	}
}

func TestEvaluate401Challenges(t *testing.T) {
	f := newEval(t, Alternative{req(sBearer)}, Alternative{req(sKey)}, Alternative{req(sQkey)}, Alternative{req(sCkey)}, Alternative{req(sBasic)})
	_, d := f.authorize("/")
	want := []string{
		`Bearer realm="Eval"`,
		`APIKey realm="Eval", in="header", name="X-API-Key"`,
		`APIKey realm="Eval", in="query", name="api_key"`,
		`APIKey realm="Eval", in="cookie", name="session"`,
	}
	// Basic shares the Authorization place with the bearer scheme: its
	// challenge comes with that place's.
	want = append(want[:1], append([]string{`Basic realm="Eval", charset="UTF-8"`}, want[1:]...)...)
	if d == nil || d.Status != 401 || d.Code != "" || !reflect.DeepEqual(d.Challenges, want) {
		t.Fatalf("missing credentials: %+v\nwant challenges %q", d, want)
	}

	// An invalid credential: its place's challenges carry the error, the
	// others stay plain.
	_, d = f.authorize("/", "X-API-Key", "nope")
	want = []string{
		`Bearer realm="Eval"`,
		`Basic realm="Eval", charset="UTF-8"`,
		`APIKey realm="Eval", in="header", name="X-API-Key", error="invalid_token", error_description="the token is expired"`,
		`APIKey realm="Eval", in="query", name="api_key"`,
		`APIKey realm="Eval", in="cookie", name="session"`,
	}
	if d == nil || !reflect.DeepEqual(d.Challenges, want) {
		t.Fatalf("invalid key: %+v\nwant challenges %q", d, want)
	}
}

func TestEvaluateRealm(t *testing.T) {
	spec := func(title string) *Spec {
		return &Spec{Title: title, Schemes: []Scheme{{Name: "b", Type: HTTPBearer}},
			Operations: []Operation{{ID: "op", Method: "GET", Path: "/", Security: []Alternative{{req(0)}}}}}
	}
	tests := []struct {
		title, realm, want string
	}{
		{"My API", "", `Bearer realm="My API"`},
		{"My API", "prod", `Bearer realm="prod"`},
		{"", "", `Bearer realm="api"`},
		{`Say "hi"`, "", `Bearer realm="Say \"hi\""`},
	}
	for _, tt := range tests {
		g := mustGuard(t, spec(tt.title), []Verifier{accept(nil)}, Options{Realm: tt.realm})
		_, d := g.Authorize(0, newRequest("GET", "/"))
		if len(d.Challenges) != 1 || d.Challenges[0] != tt.want {
			t.Errorf("title %q realm %q: %q, want %q", tt.title, tt.realm, d.Challenges, tt.want)
		}
	}
}

// TestEvaluateManySchemes takes evaluate's heap path: more schemes on one
// operation than its stack buffer holds.
func TestEvaluateManySchemes(t *testing.T) {
	const n = 11
	var schemes []Scheme
	var vs []Verifier
	var all Alternative
	for i := range n {
		schemes = append(schemes, Scheme{Name: fmt.Sprintf("k%d", i), Type: APIKey, In: InHeader, Param: fmt.Sprintf("X-Key-%d", i)})
		id := &Identity{Subject: fmt.Sprintf("s%d", i), Scopes: []string{fmt.Sprintf("scope%d", i), "common"}}
		vs = append(vs, accept(map[string]*Identity{fmt.Sprintf("key-%d", i): id}))
		all = append(all, req(i))
	}
	security := []Alternative{all}
	for i := range n {
		security = append(security, Alternative{req(i, "common")})
	}
	spec := &Spec{Schemes: schemes, Operations: []Operation{{ID: "many", Method: "GET", Path: "/", Security: security}}}
	g := mustGuard(t, spec, vs, Options{})
	if len(g.ops[0].schemes) <= stackSchemes {
		t.Fatalf("%d schemes: not the heap path (stackSchemes=%d)", len(g.ops[0].schemes), stackSchemes)
	}
	var kv []string
	for i := range n {
		kv = append(kv, fmt.Sprintf("X-Key-%d", i), fmt.Sprintf("key-%d", i))
	}
	p, d := g.Authorize(0, newRequest("GET", "/", kv...))
	if d != nil || len(p.Schemes) != n || p.Subject != "s0" || len(p.Scopes) != n+1 {
		t.Fatalf("all keys: %s %+v", outcome(p, d), p)
	}
	for i := range n {
		if p.Identity(fmt.Sprintf("k%d", i)).Subject != fmt.Sprintf("s%d", i) {
			t.Errorf("Identity(k%d) is not scheme k%d's", i, i)
		}
	}
	// The last scheme alone: the last alternative.
	p, d = g.Authorize(0, newRequest("GET", "/", "X-Key-10", "key-10"))
	if got := outcome(p, d); got != "ok k10 s10" {
		t.Errorf("last key alone: %s", got)
	}
	// One invalid key among valid ones fails.
	p, d = g.Authorize(0, newRequest("GET", "/", "X-Key-0", "key-0", "X-Key-9", "nope"))
	if got := outcome(p, d); got != "401 invalid_token" {
		t.Errorf("one invalid key: %s", got)
	}
}

func TestEvaluatePrincipalMerge(t *testing.T) {
	spec := &Spec{
		Schemes: []Scheme{
			{Name: "tok", Type: HTTPBearer},
			{Name: "key", Type: APIKey, In: InHeader, Param: "X-API-Key"},
			{Name: "cookie", Type: APIKey, In: InCookie, Param: "sid"},
		},
		Operations: []Operation{{ID: "merge", Method: "GET", Path: "/", Security: []Alternative{
			{req(1), req(0), req(2)}, // AND, key first
		}}},
	}
	tokID := &Identity{Subject: "", KeyID: "jti-1", Scopes: []string{"a", "b"}, Claims: map[string]any{"x": "tok", "t": 1.0}}
	keyID := &Identity{Subject: "svc", KeyID: "", Scopes: []string{"b", "c", "b"}, Claims: map[string]any{"x": "key", "k": true}}
	ckID := &Identity{Subject: "other", KeyID: "ck", Scopes: []string{"c", "d"}, Claims: map[string]any{"x": "cookie", "t": 2.0}}
	g := mustGuard(t, spec, []Verifier{
		accept(map[string]*Identity{"t": tokID}),
		accept(map[string]*Identity{"k": keyID}),
		accept(map[string]*Identity{"c": ckID}),
	}, Options{})
	p, d := g.Authorize(0, newRequest("GET", "/", "Authorization", "Bearer t", "X-API-Key", "k", "Cookie", "sid=c"))
	if d != nil {
		t.Fatalf("denied: %+v", d)
	}
	want := &Principal{
		Operation: "merge",
		Schemes:   []string{"key", "tok", "cookie"}, // order of the alternative
		Subject:   "svc",                            // first non-empty, in that order
		KeyID:     "jti-1",
		Scopes:    []string{"b", "c", "a", "d"}, // union, no duplicates, first seen first
		Claims:    map[string]any{"x": "key", "k": true, "t": 1.0},
		apiKeyID:  "ck", // the first API key's ID, for rate limits by key (not the JWT's jti)
	}
	got := *p
	got.identities = nil
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("merged principal\n got %+v\nwant %+v", &got, want)
	}
	if p.Identity("tok") != tokID || p.Identity("key") != keyID || p.Identity("cookie") != ckID || p.Identity("nope") != nil {
		t.Errorf("Identity does not return each scheme's identity")
	}
	if !p.HasScope("d") || p.HasScope("e") {
		t.Errorf("HasScope wrong")
	}
}

func TestEvaluateNotPublicNoSecurity(t *testing.T) {
	// Public false and no Security: nothing can satisfy it.
	spec := &Spec{
		Schemes:    []Scheme{{Name: "b", Type: HTTPBearer}},
		Operations: []Operation{{ID: "locked", Method: "GET", Path: "/x"}},
		Routes: []RouteNode{
			{Static: []RouteEdge{{Segment: "x", Node: 1}}},
			{Methods: []RouteMethod{{Method: "GET", Operation: 0}}},
		},
	}
	g := mustGuard(t, spec, []Verifier{nil}, Options{})
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("handler ran for an operation with no way in")
	}))
	for _, kv := range [][]string{nil, {"Authorization", "Bearer t"}} {
		p, d := g.Authorize(0, newRequest("GET", "/x", kv...))
		if p != nil || d == nil || (d.Status != 401 && d.Status != 403) {
			t.Errorf("%q: %s, want refused", kv, outcome(p, d))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, newRequest("GET", "/x", kv...))
		if rec.Code != 401 && rec.Code != 403 {
			t.Errorf("%q: status %d", kv, rec.Code)
		}
	}
}

func TestMiddlewarePrincipal(t *testing.T) {
	spec := routeSpec()
	bearer := accept(map[string]*Identity{"t": ident("alice")})
	g := mustGuard(t, spec, []Verifier{bearer}, Options{})
	var got string
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := PrincipalFrom(r.Context())
		got = "anonymous"
		if ok {
			got = string(p.Operation) + " " + p.Subject
		}
	}))
	tests := []struct {
		method, target string
		kv             []string
		status         int
		want           string
	}{
		{"GET", "/api/items/42", []string{"Authorization", "Bearer t"}, 200, "getItem alice"},
		{"HEAD", "/api/items/42", []string{"Authorization", "Bearer t"}, 200, "getItem alice"},
		{"GET", "/api/items/mine", []string{"Authorization", "Bearer t"}, 200, "anonymous"}, // public: nothing checked
		{"GET", "/api/items/mine", []string{"Authorization", "Bearer nope"}, 200, "anonymous"},
		{"GET", "/api/items/42", nil, 401, ""},
		{"GET", "/api/items/42", []string{"Authorization", "Bearer nope"}, 401, ""},
		{"HEAD", "/api/items/42", nil, 401, ""},
	}
	for _, tt := range tests {
		got = ""
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, newRequest(tt.method, tt.target, tt.kv...))
		if rec.Code != tt.status || got != tt.want {
			t.Errorf("%s %s %q: %d %q, want %d %q", tt.method, tt.target, tt.kv, rec.Code, got, tt.status, tt.want)
		}
	}

	// Operation wraps one handler with one operation's checks, no routing.
	h = g.Operation(2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		got = string(p.Operation)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newRequest("POST", "/anything//at/../all", "Authorization", "Bearer t"))
	if rec.Code != 200 || got != "getItem" {
		t.Errorf("Operation: %d %q", rec.Code, got)
	}
	if _, d := g.Authorize(99, newRequest("GET", "/")); d == nil || d.Status != 404 {
		t.Errorf("Authorize out of range: %+v", d)
	}
	if _, d := g.Authorize(-1, newRequest("GET", "/")); d == nil || d.Status != 404 {
		t.Errorf("Authorize(-1): %+v", d)
	}
}

func TestCustomErrorWriter(t *testing.T) {
	var seen *Denial
	g := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, Options{ErrorWriter: func(w http.ResponseWriter, r *http.Request, d *Denial) {
		seen = d
		w.WriteHeader(418)
	}})
	rec := httptest.NewRecorder()
	g.Middleware(http.NotFoundHandler()).ServeHTTP(rec, newRequest("GET", "/api/items/42"))
	if rec.Code != 418 || seen == nil || seen.Status != 401 || seen.Operation != "getItem" {
		t.Errorf("custom writer: %d %+v", rec.Code, seen)
	}
}

func TestNewGuardErrors(t *testing.T) {
	bearerOnly := []Alternative{{req(0)}}
	base := func() *Spec {
		return &Spec{
			Schemes: []Scheme{
				{Name: "bearer", Type: HTTPBearer},
				{Name: "key", Type: APIKey, In: InHeader, Param: "X-API-Key"},
				{Name: "unused", Type: APIKey, In: InQuery, Param: "k"},
			},
			Operations: []Operation{
				{ID: "a", Method: "GET", Path: "/a", Security: bearerOnly},
				{ID: "b", Method: "GET", Path: "/b", Security: []Alternative{{req(1)}}},
			},
			Routes: []RouteNode{
				{Static: []RouteEdge{{Segment: "a", Node: 1}, {Segment: "b", Node: 2}}},
				{Methods: []RouteMethod{{Method: "GET", Operation: 0}}},
				{Methods: []RouteMethod{{Method: "GET", Operation: 1}}},
			},
		}
	}
	ok := accept(nil)
	var typedNil *fakeVerifier
	tests := []struct {
		name   string
		spec   func(*Spec) *Spec
		vs     []Verifier
		opts   Options
		errHas []string // "" for success
	}{
		{"valid, unused scheme without a verifier", nil, []Verifier{ok, ok, nil}, Options{}, nil},
		{"nil spec", func(*Spec) *Spec { return nil }, nil, Options{}, []string{"nil spec"}},
		{"verifier count", nil, []Verifier{ok, ok}, Options{}, []string{"2 verifiers for 3 security schemes"}},
		{"missing verifiers are all named", nil, []Verifier{nil, nil, nil}, Options{},
			[]string{`"bearer" (http bearer) is used but has no verifier`, `"key" (apiKey) is used but has no verifier`}},
		{"typed nil pointer", nil, []Verifier{typedNil, ok, nil}, Options{}, []string{`"bearer"`}},
		{"nil VerifierFunc", nil, []Verifier{VerifierFunc(nil), ok, nil}, Options{}, []string{`"bearer"`}},
		{"public with security", func(s *Spec) *Spec {
			s.Operations[0].Public = true
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{`operation "a" is public but lists security requirements`}},
		{"requirement names a missing scheme", func(s *Spec) *Spec {
			s.Operations[1].Security = []Alternative{{req(7)}}
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{`operation "b" alternative 0 names missing scheme 7`}},
		{"negative scheme", func(s *Spec) *Spec {
			s.Operations[1].Security = []Alternative{{req(-1)}}
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{"missing scheme -1"}},
		{"apiKey without a location", func(s *Spec) *Spec {
			s.Schemes[1].Param = ""
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{`apiKey scheme "key" has no location`}},
		{"apiKey with a bad In", func(s *Spec) *Spec {
			s.Schemes[1].In = 9
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{`apiKey scheme "key" has no location`}},
		{"edge to the root", func(s *Spec) *Spec {
			s.Routes[1].Static = []RouteEdge{{Segment: "x", Node: 0}}
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{`route node 1: edge "x" to missing node 0`}},
		{"edge past the end", func(s *Spec) *Spec {
			s.Routes[0].Static[1].Node = 3
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{`edge "b" to missing node 3`}},
		{"parameter edge past the end", func(s *Spec) *Spec {
			s.Routes[0].Params = []RouteParam{{Literals: []string{"", ""}, Node: 5}}
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{"route node 0: bad parameter edge"}},
		{"parameter edge with one literal", func(s *Spec) *Spec {
			s.Routes[0].Params = []RouteParam{{Literals: []string{"x"}, Node: 1}}
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{"bad parameter edge"}},
		{"method to a missing operation", func(s *Spec) *Spec {
			s.Routes[2].Methods[0].Operation = 2
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{"route node 2: GET to missing operation 2"}},
		{"negative operation", func(s *Spec) *Spec {
			s.Routes[2].Methods[0].Operation = -1
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{"GET to missing operation -1"}},
		{"relative base path", nil, []Verifier{ok, ok, nil}, Options{BasePaths: []string{"v1"}},
			[]string{`base path "v1" must start with a single '/'`}},
		{"double slash in base path", nil, []Verifier{ok, ok, nil}, Options{BasePaths: []string{"//v1"}},
			[]string{`base path "//v1"`}},
		{"double slash inside base path", nil, []Verifier{ok, ok, nil}, Options{BasePaths: []string{"/v1//x"}},
			[]string{`base path "/v1//x"`}},
		{"bad base path in the spec", func(s *Spec) *Spec {
			s.BasePaths = []string{"api"}
			return s
		}, []Verifier{ok, ok, nil}, Options{}, []string{`base path "api"`}},
		{"several problems at once", func(s *Spec) *Spec {
			s.Routes[0].Static[0].Node = 9
			return s
		}, []Verifier{nil, ok, nil}, Options{BasePaths: []string{"x"}},
			[]string{`"bearer"`, "missing node 9", `base path "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := base()
			if tt.spec != nil {
				spec = tt.spec(spec)
			}
			g, err := NewGuard(spec, tt.vs, tt.opts)
			if len(tt.errHas) == 0 {
				if err != nil || g == nil {
					t.Fatalf("NewGuard: %v", err)
				}
				return
			}
			if err == nil || g != nil {
				t.Fatalf("NewGuard succeeded, want an error with %q", tt.errHas)
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error does not wrap ErrConfig: %v", err)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

// TestNewGuardUnknownSchemeType: a scheme whose Type the runtime does not
// know (zero, or from a newer generator) is used by an operation.
func TestNewGuardUnknownSchemeType(t *testing.T) {
	for _, typ := range []SchemeType{0, 99} {
		spec := &Spec{Schemes: []Scheme{{Name: "weird", Type: typ}},
			Operations: []Operation{{ID: "op", Method: "GET", Path: "/", Security: []Alternative{{req(0)}}}}}
		if _, err := NewGuard(spec, []Verifier{accept(nil)}, Options{}); !errors.Is(err, ErrConfig) ||
			!strings.Contains(err.Error(), `"weird"`) {
			t.Errorf("type %d: NewGuard error %v, want ErrConfig naming the scheme", typ, err)
		}
	}
}

// TestNewGuardRouteMethodMismatch: the route tree sends DELETE /b to the
// public GET /a operation. Generated code never does, but a stale or
// hand-edited file would give one operation another's (weaker) policy.
func TestNewGuardRouteMethodMismatch(t *testing.T) {
	spec := &Spec{
		Schemes: []Scheme{{Name: "b", Type: HTTPBearer}},
		Operations: []Operation{
			{ID: "pub", Method: "GET", Path: "/a", Public: true},
			{ID: "del", Method: "DELETE", Path: "/b", Security: []Alternative{{req(0)}}},
		},
		Routes: []RouteNode{
			{Static: []RouteEdge{{Segment: "b", Node: 1}}},
			{Methods: []RouteMethod{{Method: "DELETE", Operation: 0}}},
		},
	}
	if _, err := NewGuard(spec, []Verifier{accept(nil)}, Options{}); !errors.Is(err, ErrConfig) {
		t.Errorf("NewGuard error %v, want ErrConfig", err)
	}
}

// TestDenialNamesCaller checks who a denial's audit record names: the
// identities of the alternative that lacked scopes, every scheme that
// rejected a shared credential, the scheme that could not check one, and
// nobody when nothing was presented.
func TestDenialNamesCaller(t *testing.T) {
	f := newEval(t, Alternative{req(sBearer, "admin")}, Alternative{req(sBearer2)}, Alternative{req(sKey, "a")})
	tests := []struct {
		name string
		kv   []string
		want string
	}{
		{"403 scope", []string{"Authorization", "Bearer t-read"}, "403 [bearer] alice "},
		{"403 scope, key", []string{"X-API-Key", "k1"}, "403 [key] svc k1"},
		{"401 shared place", []string{"Authorization", "Bearer nope"}, "401 [bearer bearer2]  "},
		{"401 key", []string{"X-API-Key", "k-secret"}, "401 [key]  "},
		{"401 sent twice", []string{"X-API-Key", "k1", "X-API-Key", "k1"}, "401 [key]  "},
		{"503", []string{"X-API-Key", "down"}, "503 [key]  "},
		{"401 missing", nil, "401 []  "},
	}
	for _, tt := range tests {
		_, d := f.authorize("/", tt.kv...)
		if d == nil {
			t.Fatalf("%s: no denial", tt.name)
		}
		rec := f.g.decisionFor(newRequest("GET", "/"), &f.g.ops[0], nil, nil, d, time.Now())
		if got := fmt.Sprintf("%d %v %s %s", rec.Status, rec.Schemes, rec.Subject, rec.KeyID); got != tt.want {
			t.Errorf("%s: record names %q, want %q", tt.name, got, tt.want)
		}
		if strings.Contains(fmt.Sprintf("%+v", rec), "secret") {
			t.Errorf("%s: the record holds the credential: %+v", tt.name, rec)
		}
	}
}

// TestRateKeyFallback: a caller without what a limit counts by counts by
// its subject, else its API key's ID; only callers with neither count by
// client address.
func TestRateKeyFallback(t *testing.T) {
	info := WithClientAddr(context.Background(), netip.MustParseAddr("192.0.2.1")).(*requestInfo)
	claim := &RateLimitRule{Name: "r", By: RateByClaim, Claim: "org"}
	subject := &RateLimitRule{Name: "r", By: RateBySubject}
	ip := &RateLimitRule{Name: "r", By: RateByIP}
	withOrg := &Principal{Subject: "alice", Claims: map[string]any{"org": "o1"}}
	alice := &Principal{Subject: "alice", KeyID: "jti-1"}
	key := &Principal{KeyID: "k1", apiKeyID: "k1"}
	jwtNoSub := &Principal{KeyID: "jti-2"}
	tests := []struct {
		rule *RateLimitRule
		p    *Principal
		want string
	}{
		{claim, withOrg, "c:o1"},
		{claim, alice, "s:alice"},
		{claim, key, "k:k1"},
		{claim, jwtNoSub, "ip:192.0.2.1"},
		{claim, nil, "ip:192.0.2.1"},
		{subject, key, "k:k1"},
		{ip, alice, "ip:192.0.2.1"},
	}
	for i, tt := range tests {
		if got := rateKey(tt.rule, info, tt.p); got != "r\x00"+tt.want {
			t.Errorf("%d: by %v: bucket %q, want %q", i, tt.rule.By, got, "r\x00"+tt.want)
		}
	}
}
