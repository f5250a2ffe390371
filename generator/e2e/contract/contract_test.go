package contract

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authgen/authgen/runtime/authrt"
)

// fakeVerifier accepts the credentials in its table and rejects the rest;
// "boom" is a technical failure. It counts calls so tests can check that a
// credential is verified once.
type fakeVerifier struct {
	ids   map[string]*authrt.Identity
	calls atomic.Int64
}

func (f *fakeVerifier) Verify(_ context.Context, cred string) (*authrt.Identity, error) {
	f.calls.Add(1)
	if cred == "boom" {
		return nil, errors.New("store down")
	}
	if id, ok := f.ids[cred]; ok {
		return id, nil
	}
	return nil, authrt.Reject("the token is expired")
}

func id(sub string, scopes ...string) *authrt.Identity {
	return &authrt.Identity{Subject: sub, Scopes: scopes, Claims: map[string]any{"sub": sub}}
}

type fixture struct {
	bearer, key, qkey, ckey, bot, oauth, basic *fakeVerifier
	handler                                    http.Handler
}

func newFixture(t *testing.T, opts authrt.Options) *fixture {
	t.Helper()
	f := &fixture{
		bearer: &fakeVerifier{ids: map[string]*authrt.Identity{
			"tok-read":  id("alice", "read"),
			"tok-admin": id("root", "admin", "read"),
			"tok-ab":    id("ab", "a", "b"),
			"tok-a":     id("a-only", "a"),
			"tok-none":  id("nobody"),
		}},
		key:   &fakeVerifier{ids: map[string]*authrt.Identity{"key-1": {Subject: "svc", KeyID: "k1", Scopes: []string{"c"}}, "key-2": {Subject: "svc2", KeyID: "k2"}}},
		qkey:  &fakeVerifier{ids: map[string]*authrt.Identity{"q-1": {Subject: "q", KeyID: "q1"}}},
		ckey:  &fakeVerifier{ids: map[string]*authrt.Identity{"c-1": {Subject: "c", KeyID: "c1"}}},
		bot:   &fakeVerifier{ids: map[string]*authrt.Identity{"Bot bot-1": {Subject: "bot", KeyID: "b1"}}},
		oauth: &fakeVerifier{ids: map[string]*authrt.Identity{"o-identify": id("user", "identify"), "o-none": id("user2")}},
		basic: &fakeVerifier{ids: map[string]*authrt.Identity{"user:pass": id("user")}},
	}
	auth, err := New(Config{
		Bearer: f.bearer, Key: f.key, Qkey: f.qkey, Ckey: f.ckey, Bot: f.bot, Oauth: f.oauth, Basic: f.basic,
		Options: opts,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.handler = auth.Middleware(http.HandlerFunc(echoPrincipal))
	return f
}

// echoPrincipal answers 200 with who the middleware said the caller is.
func echoPrincipal(w http.ResponseWriter, r *http.Request) {
	p, ok := authrt.PrincipalFrom(r.Context())
	if !ok {
		w.Write([]byte("anonymous"))
		return
	}
	w.Write([]byte(string(p.Operation) + " " + strings.Join(p.Schemes, "+") + " " + p.Subject))
}

type req struct {
	method, target string
	header         http.Header
}

func (f *fixture) do(t *testing.T, r req) *httptest.ResponseRecorder {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	hr := httptest.NewRequest(method, r.target, nil)
	for k, vs := range r.header {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, hr)
	return rec
}

func h(kv ...string) http.Header {
	out := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Add(kv[i], kv[i+1])
	}
	return out
}

type problemBody struct {
	Type           string   `json:"type"`
	Title          string   `json:"title"`
	Status         int      `json:"status"`
	Detail         string   `json:"detail"`
	Error          string   `json:"error"`
	RequiredScopes []string `json:"required_scopes"`
}

func TestContract(t *testing.T) {
	const realm = `realm="Contract"`
	tests := []struct {
		name string
		req
		status int
		body   string   // for 2xx: the principal echo
		code   string   // for 4xx: the problem's error member
		wwwAll []string // exact WWW-Authenticate values, in order
		scopes []string
	}{
		// Document default vs override vs public.
		{name: "default missing", req: req{target: "/api/default"}, status: 401, wwwAll: []string{`Bearer ` + realm}},
		{name: "default ok", req: req{target: "/api/default", header: h("Authorization", "Bearer tok-read")}, status: 200, body: "documentDefault bearer alice"},
		{name: "default wrong scope", req: req{target: "/api/default", header: h("Authorization", "Bearer tok-ab")}, status: 403, code: "insufficient_scope", scopes: []string{"read"},
			wwwAll: []string{`Bearer ` + realm + `, error="insufficient_scope", error_description="the token lacks a required scope", scope="read"`}},
		{name: "auth-scheme word is case-insensitive", req: req{target: "/api/default", header: h("Authorization", "bEaReR tok-read")}, status: 200, body: "documentDefault bearer alice"},
		{name: "override ignores document default", req: req{target: "/api/override", header: h("Authorization", "Bearer tok-read")}, status: 401,
			wwwAll: []string{`APIKey ` + realm + `, in="header", name="X-API-Key"`}},
		{name: "override ok", req: req{target: "/api/override", header: h("X-API-Key", "key-1")}, status: 200, body: "override key svc"},
		{name: "public needs nothing", req: req{target: "/api/public"}, status: 200, body: "anonymous"},
		{name: "public ignores a bad token", req: req{target: "/api/public", header: h("Authorization", "Bearer junk")}, status: 200, body: "anonymous"},

		// Invalid credentials fail whatever the alternatives say.
		{name: "invalid token", req: req{target: "/api/default", header: h("Authorization", "Bearer junk")}, status: 401, code: "invalid_token",
			wwwAll: []string{`Bearer ` + realm + `, error="invalid_token", error_description="the token is expired"`}},
		{name: "invalid token even when another alternative passes", req: req{target: "/api/scoped", header: h("Authorization", "Bearer junk", "X-API-Key", "key-1")}, status: 401, code: "invalid_token"},
		{name: "invalid key even when another alternative passes", req: req{target: "/api/scoped", header: h("Authorization", "Bearer tok-ab", "X-API-Key", "nope")}, status: 401, code: "invalid_token"},
		{name: "invalid token on anonymous operation", req: req{target: "/api/anonymous", header: h("Authorization", "Bearer junk")}, status: 401, code: "invalid_token"},
		{name: "two Authorization headers", req: req{target: "/api/default", header: h("Authorization", "Bearer tok-read", "Authorization", "Bearer tok-admin")}, status: 401, code: "invalid_request"},
		{name: "empty bearer token", req: req{target: "/api/default", header: h("Authorization", "Bearer ")}, status: 401, code: "invalid_request"},
		{name: "bearer token with spaces", req: req{target: "/api/default", header: h("Authorization", "Bearer a b")}, status: 401, code: "invalid_request"},
		{name: "other auth-scheme is no bearer credential", req: req{target: "/api/default", header: h("Authorization", "Basic dXNlcjpwYXNz")}, status: 401, wwwAll: []string{`Bearer ` + realm}},
		{name: "verifier failure is 503, not 200", req: req{target: "/api/anonymous", header: h("Authorization", "Bearer boom")}, status: 503},

		// Scopes belong to their alternative.
		{name: "scopes a+b on bearer", req: req{target: "/api/scoped", header: h("Authorization", "Bearer tok-ab")}, status: 200, body: "scoped bearer ab"},
		{name: "scope c on key", req: req{target: "/api/scoped", header: h("X-API-Key", "key-1")}, status: 200, body: "scoped key svc"},
		{name: "scopes never merge across alternatives", req: req{target: "/api/scoped", header: h("Authorization", "Bearer tok-a", "X-API-Key", "key-2")}, status: 403, code: "insufficient_scope", scopes: []string{"a", "b"}},
		{name: "first complete alternative wins", req: req{target: "/api/scoped", header: h("Authorization", "Bearer tok-ab", "X-API-Key", "key-1")}, status: 200, body: "scoped bearer ab"},
		{name: "missing everything on OR", req: req{target: "/api/scoped"}, status: 401,
			wwwAll: []string{`Bearer ` + realm, `APIKey ` + realm + `, in="header", name="X-API-Key"`}},

		// AND needs both.
		{name: "AND with only bearer", req: req{method: "POST", target: "/api/and", header: h("Authorization", "Bearer tok-admin")}, status: 401},
		{name: "AND with only key", req: req{method: "POST", target: "/api/and", header: h("X-API-Key", "key-2")}, status: 401},
		{name: "AND with both", req: req{method: "POST", target: "/api/and", header: h("Authorization", "Bearer tok-admin", "X-API-Key", "key-2")}, status: 200, body: "both bearer+key root"},
		{name: "AND with both, bearer lacks scope", req: req{method: "POST", target: "/api/and", header: h("Authorization", "Bearer tok-read", "X-API-Key", "key-2")}, status: 403, code: "insufficient_scope", scopes: []string{"admin"}},

		// {} anonymous.
		{name: "anonymous without credential", req: req{target: "/api/anonymous"}, status: 200, body: "anonymous"},
		{name: "anonymous keeps a valid identity", req: req{target: "/api/anonymous", header: h("Authorization", "Bearer tok-none")}, status: 200, body: "anonymous bearer nobody"},

		// apiKey in query and cookie.
		{name: "query key", req: req{target: "/api/query?api_key=q-1"}, status: 200, body: "query qkey q"},
		{name: "query key percent-encoded name", req: req{target: "/api/query?api%5Fkey=q-1"}, status: 200, body: "query qkey q"},
		{name: "query key missing", req: req{target: "/api/query?other=1"}, status: 401, wwwAll: []string{`APIKey ` + realm + `, in="query", name="api_key"`}},
		{name: "query key twice", req: req{target: "/api/query?api_key=q-1&api_key=q-1"}, status: 401, code: "invalid_request"},
		{name: "query key invalid", req: req{target: "/api/query?api_key=zzz"}, status: 401, code: "invalid_token"},
		{name: "cookie key", req: req{target: "/api/cookie", header: h("Cookie", "a=b; session=c-1")}, status: 200, body: "cookie ckey c"},
		{name: "cookie key twice", req: req{target: "/api/cookie", header: h("Cookie", "session=c-1", "Cookie", "session=c-1")}, status: 401, code: "invalid_request"},
		{name: "cookie key missing", req: req{target: "/api/cookie", header: h("Cookie", "sessionx=c-1")}, status: 401},

		// Two schemes reading the Authorization header (Discord).
		{name: "bot token belongs to the apiKey scheme", req: req{target: "/api/discord", header: h("Authorization", "Bot bot-1")}, status: 200, body: "discord bot bot"},
		{name: "bearer belongs to oauth", req: req{target: "/api/discord", header: h("Authorization", "Bearer o-identify")}, status: 200, body: "discord oauth user"},
		{name: "oauth without scope is 403", req: req{target: "/api/discord", header: h("Authorization", "Bearer o-none")}, status: 403, code: "insufficient_scope", scopes: []string{"identify"}},
		{name: "rejected by every scheme at the place", req: req{target: "/api/discord", header: h("Authorization", "Bearer nope")}, status: 401, code: "invalid_token"},
		{name: "missing on a shared place challenges for each scheme", req: req{target: "/api/discord"}, status: 401,
			wwwAll: []string{`Bearer ` + realm, `APIKey ` + realm + `, in="header", name="Authorization"`}},
		{name: "bad bot token", req: req{target: "/api/discord", header: h("Authorization", "Bot nope")}, status: 401, code: "invalid_token"},

		// x-authgen-scopes: any.
		{name: "any scope: one of the list suffices", req: req{target: "/api/any-scope", header: h("Authorization", "Bearer o-identify")}, status: 200, body: "anyScope oauth user"},
		{name: "any scope: none of the list", req: req{target: "/api/any-scope", header: h("Authorization", "Bearer o-none")}, status: 403, code: "insufficient_scope", scopes: []string{"identify", "email"}},

		// http basic beside a bearer scheme on the same header.
		{name: "basic ok", req: req{target: "/api/basic", header: h("Authorization", "Basic dXNlcjpwYXNz")}, status: 200, body: "basic basic user"},
		{name: "basic word is case-insensitive", req: req{target: "/api/basic", header: h("Authorization", "BASIC dXNlcjpwYXNz")}, status: 200, body: "basic basic user"},
		{name: "bearer beside basic", req: req{target: "/api/basic", header: h("Authorization", "Bearer tok-read")}, status: 200, body: "basic bearer alice"},
		{name: "basic wrong password", req: req{target: "/api/basic", header: h("Authorization", "Basic dXNlcjp3cm9uZw==")}, status: 401, code: "invalid_token"},
		{name: "basic bad base64", req: req{target: "/api/basic", header: h("Authorization", "Basic !!!")}, status: 401, code: "invalid_request"},
		{name: "basic without colon", req: req{target: "/api/basic", header: h("Authorization", "Basic dXNlcg==")}, status: 401, code: "invalid_request"},
		{name: "basic missing", req: req{target: "/api/basic"}, status: 401,
			wwwAll: []string{`Bearer ` + realm, `Basic ` + realm + `, charset="UTF-8"`}},

		// Routing: base path, unlisted, static before param, HEAD, 405, path tricks.
		{name: "without base path is unlisted", req: req{target: "/default", header: h("Authorization", "Bearer tok-read")}, status: 404},
		{name: "unlisted route refused", req: req{target: "/api/nope"}, status: 404},
		{name: "static segment beats parameter", req: req{target: "/api/items/mine"}, status: 200, body: "anonymous"},
		{name: "parameter route", req: req{target: "/api/items/42", header: h("Authorization", "Bearer tok-read")}, status: 200, body: "getItem bearer alice"},
		{name: "parameter route needs auth", req: req{target: "/api/items/42"}, status: 401},
		{name: "method picks the parameter route", req: req{method: "DELETE", target: "/api/items/mine", header: h("Authorization", "Bearer tok-read")}, status: 403, code: "insufficient_scope"},
		{name: "HEAD gets GET's policy", req: req{method: "HEAD", target: "/api/default"}, status: 401},
		{name: "HEAD allowed with GET's credentials", req: req{method: "HEAD", target: "/api/default", header: h("Authorization", "Bearer tok-read")}, status: 200},
		{name: "method not listed", req: req{method: "PUT", target: "/api/default", header: h("Authorization", "Bearer tok-read")}, status: 405},
		{name: "trailing slash gets the same checks", req: req{target: "/api/default/"}, status: 401},
		{name: "double slash refused", req: req{target: "/api//default", header: h("Authorization", "Bearer tok-read")}, status: 400},
		{name: "dot segment refused", req: req{target: "/api/public/../default"}, status: 400},
		{name: "encoded dot segment refused", req: req{target: "/api/public/%2e%2e/default"}, status: 400},
		{name: "encoded slash refused", req: req{target: "/api/items/a%2Fb"}, status: 400},
		{name: "case variant is unlisted", req: req{target: "/api/DEFAULT"}, status: 404},
		{name: "CORS preflight passes", req: req{method: "OPTIONS", target: "/api/default", header: h("Origin", "https://app.example.com", "Access-Control-Request-Method", "GET")}, status: 200, body: "anonymous"},
		{name: "OPTIONS without preflight headers", req: req{method: "OPTIONS", target: "/api/default"}, status: 405},
		{name: "preflight on unlisted path", req: req{method: "OPTIONS", target: "/api/nope", header: h("Origin", "https://app.example.com", "Access-Control-Request-Method", "GET")}, status: 404},
	}
	f := newFixture(t, authrt.Options{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.do(t, tc.req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status < 300 {
				if tc.body != "" && tc.method != "HEAD" && rec.Body.String() != tc.body {
					t.Errorf("handler saw %q, want %q", rec.Body, tc.body)
				}
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p problemBody
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil && tc.method != "HEAD" {
				t.Fatalf("body is not JSON: %v: %s", err, rec.Body)
			}
			if tc.method != "HEAD" {
				if p.Status != tc.status || p.Title != http.StatusText(tc.status) || p.Type != "about:blank" {
					t.Errorf("problem %+v does not match status %d", p, tc.status)
				}
				if p.Error != tc.code {
					t.Errorf("error code %q, want %q", p.Error, tc.code)
				}
				if tc.scopes != nil && !slices.Equal(p.RequiredScopes, tc.scopes) {
					t.Errorf("required scopes %v, want %v", p.RequiredScopes, tc.scopes)
				}
			}
			www := rec.Header().Values("WWW-Authenticate")
			if tc.status == 401 && len(www) == 0 {
				t.Errorf("401 without a WWW-Authenticate challenge")
			}
			if tc.status == 401 && tc.code == "" {
				for _, c := range www {
					if strings.Contains(c, "error=") {
						t.Errorf("challenge %q has an error code, but no credential was presented", c)
					}
				}
			}
			if tc.wwwAll != nil && !slices.Equal(www, tc.wwwAll) {
				t.Errorf("WWW-Authenticate\n got %q\nwant %q", www, tc.wwwAll)
			}
			if tc.status == 503 && rec.Header().Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
			if tc.status == 405 && rec.Header().Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
		})
	}
}

func TestEachCredentialVerifiedOnce(t *testing.T) {
	f := newFixture(t, authrt.Options{})
	// /scoped names bearer in one alternative and key in another; /and
	// names both in one. Each credential is verified exactly once.
	rec := f.do(t, req{method: "POST", target: "/api/and", header: h("Authorization", "Bearer tok-admin", "X-API-Key", "key-2")})
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if b, k := f.bearer.calls.Load(), f.key.calls.Load(); b != 1 || k != 1 {
		t.Errorf("verifier calls bearer=%d key=%d, want 1 each", b, k)
	}
}

func TestAllowUnlisted(t *testing.T) {
	f := newFixture(t, authrt.Options{AllowUnlisted: true})
	tests := []struct {
		req
		status int
	}{
		{req{target: "/api/nope"}, 200},
		{req{target: "/other"}, 200},
		{req{method: "PUT", target: "/api/default"}, 200},
		// A lenient router could hand these to a listed handler: they get
		// that operation's checks rather than passing unauthenticated.
		{req{target: "/api/DEFAULT"}, 401},
		{req{target: "/API/Default"}, 401},
		{req{target: "/default"}, 401},
		{req{target: "/api//default"}, 400},
	}
	for _, tc := range tests {
		if rec := f.do(t, tc.req); rec.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.target, rec.Code, tc.status)
		}
	}
}

func TestBasePathOverride(t *testing.T) {
	f := newFixture(t, authrt.Options{BasePaths: []string{"/"}})
	if rec := f.do(t, req{target: "/default", header: h("Authorization", "Bearer tok-read")}); rec.Code != 200 {
		t.Errorf("status %d, want 200 with base path /", rec.Code)
	}
	if rec := f.do(t, req{target: "/api/default"}); rec.Code != 404 {
		t.Errorf("status %d, want 404 for the old base path", rec.Code)
	}
}

func TestPerOperationWrapper(t *testing.T) {
	f := newFixture(t, authrt.Options{})
	auth, err := New(Config{Bearer: f.bearer, Key: f.key, Qkey: f.qkey, Ckey: f.ckey, Bot: f.bot, Oauth: f.oauth, Basic: f.basic})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /and", auth.Both(http.HandlerFunc(echoPrincipal)))
	for _, tc := range []struct {
		header http.Header
		status int
	}{
		{nil, 401},
		{h("Authorization", "Bearer tok-admin", "X-API-Key", "key-1"), 200},
	} {
		r := httptest.NewRequest("POST", "/and", nil)
		r.Header = tc.header
		if r.Header == nil {
			r.Header = http.Header{}
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if rec.Code != tc.status {
			t.Errorf("status %d, want %d", rec.Code, tc.status)
		}
	}
}

func TestNewFailsWithoutVerifiers(t *testing.T) {
	_, err := New(Config{Bearer: &fakeVerifier{}})
	if err == nil {
		t.Fatal("New succeeded with schemes lacking verifiers")
	}
	for _, name := range []string{`"key"`, `"qkey"`, `"ckey"`, `"bot"`, `"oauth"`} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name scheme %s", err, name)
		}
	}
	var typedNil *fakeVerifier
	if _, err := New(Config{Bearer: typedNil, Key: &fakeVerifier{}, Qkey: &fakeVerifier{}, Ckey: &fakeVerifier{}, Bot: &fakeVerifier{}, Oauth: &fakeVerifier{}, Basic: &fakeVerifier{}}); err == nil {
		t.Error("New accepted a typed nil verifier")
	}
}

func TestCustomErrorWriter(t *testing.T) {
	var got *authrt.Denial
	f := newFixture(t, authrt.Options{ErrorWriter: func(w http.ResponseWriter, r *http.Request, d *authrt.Denial) {
		got = d
		w.WriteHeader(d.Status)
	}})
	f.do(t, req{target: "/api/default", header: h("Authorization", "Bearer junk")})
	if got == nil || got.Status != 401 || got.Code != "invalid_token" || got.Operation != OpDocumentDefault || got.Cause == nil {
		t.Fatalf("denial %+v", got)
	}
	if strings.Contains(got.Detail, "junk") || strings.Contains(strings.Join(got.Challenges, " "), "junk") {
		t.Errorf("denial leaks the credential: %+v", got)
	}
}
