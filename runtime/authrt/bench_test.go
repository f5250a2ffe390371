package authrt

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// bigSpec is an API the size of Cloudflare's: 100 services of 10
// operations each (1000 in all), under account and zone parameters, with
// Cloudflare's security: an API token (bearer) with a scope, or the legacy
// e-mail AND key headers.
func bigSpec() *Spec {
	var ops []Operation
	for i := range 100 {
		svc := fmt.Sprintf("svc%02d", i)
		read := []Alternative{
			{req(0, Scope(svc+".read"))},
			{req(1), req(2)},
		}
		write := []Alternative{
			{req(0, Scope(svc+".write"))},
			{req(1), req(2)},
		}
		item := "/accounts/{account_id}/" + svc + "/items/{item_id}"
		for _, o := range []struct {
			method, path string
			sec          []Alternative
		}{
			{"GET", "/accounts/{account_id}/" + svc + "/items", read},
			{"POST", "/accounts/{account_id}/" + svc + "/items", write},
			{"GET", item, read},
			{"PUT", item, write},
			{"PATCH", item, write},
			{"DELETE", item, write},
			{"GET", item + "/settings", read},
			{"PUT", item + "/settings", write},
			{"GET", "/zones/{zone_id}/" + svc + "/analytics", read},
			{"GET", "/user/" + svc, read},
		} {
			ops = append(ops, Operation{
				ID:     OperationID(fmt.Sprintf("%s%s%d", o.method, svc, len(ops))),
				Method: o.method, Path: o.path, Security: o.sec,
			})
		}
	}
	return &Spec{
		Title: "Big",
		Schemes: []Scheme{
			{Name: "api_token", Type: HTTPBearer},
			{Name: "api_email", Type: APIKey, In: InHeader, Param: "X-Auth-Email"},
			{Name: "api_key", Type: APIKey, In: InHeader, Param: "X-Auth-Key"},
		},
		Operations: ops,
		Routes:     buildRoutes(ops),
		BasePaths:  []string{"/client/v4"},
	}
}

// fixedVerifier accepts one credential with a preallocated identity and
// rejects the rest with a preallocated error: it costs nothing, so the
// benchmarks measure the guard.
func fixedVerifier(cred string, id *Identity) Verifier {
	reject := Reject("unknown token")
	return VerifierFunc(func(_ context.Context, c string) (*Identity, error) {
		if c == cred {
			return id, nil
		}
		return nil, reject
	})
}

type benchFixture struct {
	g       *Guard
	handler http.Handler // the application's handler, alone
	guarded http.Handler // the same behind the guard
}

func newBenchFixture(tb testing.TB) *benchFixture {
	id := &Identity{Subject: "user-1", KeyID: "tok-1", Scopes: []string{"svc57.read", "svc57.write"}}
	g := mustGuard(tb, bigSpec(), []Verifier{
		fixedVerifier("tok-1", id),
		fixedVerifier("me@example.com", &Identity{Subject: "me"}),
		fixedVerifier("key-1", &Identity{KeyID: "key-1"}),
	}, Options{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		PrincipalFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})
	return &benchFixture{g: g, handler: h, guarded: g.Middleware(h)}
}

var benchRequests = []struct {
	name, method, target string
	authz                string
	status               int
}{
	{"static", "GET", "/client/v4/user/svc57", "Bearer tok-1", 204},
	{"param", "GET", "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/svc57/items/it-42/settings", "Bearer tok-1", 204},
	{"missing-token", "GET", "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/svc57/items/it-42/settings", "", 401},
}

type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkGuard compares the bare handler (baseline) with the same handler
// behind Middleware, on a 1000-operation spec, so the guard's cost is a
// ratio from one run. route-* is the route lookup alone.
func BenchmarkGuard(b *testing.B) {
	f := newBenchFixture(b)
	for _, br := range benchRequests {
		r := newRequest(br.method, br.target)
		if br.authz != "" {
			r.Header.Set("Authorization", br.authz)
		}
		w := &nopWriter{h: http.Header{}}
		f.guarded.ServeHTTP(w, r)
		if w.code != br.status {
			b.Fatalf("%s: status %d, want %d", br.name, w.code, br.status)
		}
		b.Run("baseline-"+br.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.handler.ServeHTTP(w, r)
			}
		})
		b.Run("middleware-"+br.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				f.guarded.ServeHTTP(w, r)
			}
		})
		b.Run("route-"+br.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.g.route(r)
			}
		})
	}
}

// TestRouteDoesNotAllocate: finding the operation costs no allocation, on
// the big spec and on the one with every kind of template (alloc counts are
// deterministic, unlike timings). A 405 allocates its Allow list; that is
// not the hot path.
func TestRouteDoesNotAllocate(t *testing.T) {
	big := newBenchFixture(t).g
	small := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, Options{})
	lenient := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, Options{AllowUnlisted: true})
	preflight := []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"}
	tests := []struct {
		g              *Guard
		method, target string
		header         []string
	}{
		{big, "GET", "/client/v4/user/svc57", nil},
		{big, "GET", "/client/v4/accounts/abc/svc57/items/it-42/settings", nil},
		{big, "DELETE", "/client/v4/accounts/abc/svc99/items/x", nil},
		{big, "HEAD", "/client/v4/zones/z/svc00/analytics", nil},
		{big, "GET", "/client/v4/nope", nil},
		{small, "GET", "/api/", nil},
		{small, "DELETE", "/api/items/mine", nil},
		{small, "PUT", "/api/users/me/profile", nil},
		{small, "GET", "/api/files/a.b.json", nil},
		{small, "GET", "/api/versions/v1.2", nil},
		{small, "GET", "/api/ranges/a-b", nil},
		{small, "GET", "/api/items/4%32", nil}, // RawPath set: matched twice
		{small, "GET", "/api/items/m%69ne", nil},
		{small, "GET", "/api//items", nil},
		{small, "OPTIONS", "/api/items/42", preflight},
		{lenient, "GET", "/API/ITEMS/42", nil},
		{lenient, "get", "/items/42", nil},
		{lenient, "GET", "/nope/nope", nil},
	}
	for _, tt := range tests {
		r := newRequest(tt.method, tt.target, tt.header...)
		if n := testing.AllocsPerRun(100, func() { tt.g.route(r) }); n != 0 {
			t.Errorf("route(%s %s): %v allocations, want 0", tt.method, tt.target, n)
		}
	}
	for _, p := range []string{"/user/svc57", "/accounts/abc/svc57/items/it-42/settings", "/nope"} {
		if n := testing.AllocsPerRun(100, func() { big.spec.match("GET", p, false) }); n != 0 {
			t.Errorf("match(GET %s): %v allocations", p, n)
		}
		if n := testing.AllocsPerRun(100, func() { big.spec.match("GET", p, true) }); n != 0 {
			t.Errorf("match(GET %s, fold): %v allocations", p, n)
		}
	}
}

// TestBigSpecRoutes: the benchmark's spec routes every operation to itself.
func TestBigSpecRoutes(t *testing.T) {
	f := newBenchFixture(t)
	spec := f.g.spec
	if len(spec.Operations) != 1000 {
		t.Fatalf("%d operations", len(spec.Operations))
	}
	for i, op := range spec.Operations {
		path := "/client/v4" + op.Path
		for _, p := range []string{"{account_id}", "{item_id}", "{zone_id}"} {
			path = strings.ReplaceAll(path, p, "x1")
		}
		got, res, _ := f.g.route(newRequest(op.Method, path))
		if res != routed || got != i {
			t.Errorf("%s %s: routed to %d (%d), want %d", op.Method, path, got, res, i)
		}
	}
}
