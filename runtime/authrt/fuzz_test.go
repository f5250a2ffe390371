package authrt

import (
	"bufio"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// muxSpec is a document whose templates http.ServeMux also understands
// (whole-segment parameters), so that real routers can serve as the oracle
// of FuzzRoute. Public, anonymous and protected operations sit side by side
// where routers might confuse them.
func muxSpec() *Spec {
	bearer := func(scopes ...Scope) []Alternative { return []Alternative{{req(0, scopes...)}} }
	ops := []Operation{
		{ID: "root", Method: "GET", Path: "/", Public: true},
		{ID: "listMine", Method: "GET", Path: "/items/mine", Public: true},
		{ID: "getItem", Method: "GET", Path: "/items/{id}", Security: bearer("read")},
		{ID: "deleteItem", Method: "DELETE", Path: "/items/{id}", Security: bearer("admin")},
		{ID: "myProfile", Method: "GET", Path: "/users/me/profile", Public: true},
		{ID: "putProfile", Method: "PUT", Path: "/users/{id}/profile", Security: bearer()},
		{ID: "admin", Method: "GET", Path: "/admin/{x}", Security: []Alternative{{req(1)}}},
		{ID: "public", Method: "GET", Path: "/public/{x}", Public: true},
		{ID: "thingsOptions", Method: "OPTIONS", Path: "/things", Security: bearer()},
		{ID: "getThings", Method: "GET", Path: "/things", Security: []Alternative{{}, {req(0)}}},
		{ID: "getBoth", Method: "GET", Path: "/both", Public: true},
		{ID: "headBoth", Method: "HEAD", Path: "/both", Security: bearer()},
	}
	return &Spec{
		Title: "Mux",
		Schemes: []Scheme{
			{Name: "bearer", Type: HTTPBearer},
			{Name: "key", Type: APIKey, In: InHeader, Param: "X-API-Key"},
		},
		Operations: ops,
		Routes:     buildRoutes(ops),
		BasePaths:  []string{"/api"},
	}
}

// oracle is one way an application might route: a ServeMux with every
// operation's pattern, matched against the decoded path (net/http) or the
// escaped one (chi, echo), mounted at the base path or at the root.
type oracle struct {
	name string
	mux  *http.ServeMux
	ops  map[string]int // pattern → operation
	raw  bool
	fold bool // a case-insensitive router: patterns and paths lower-cased
}

func newOracle(spec *Spec, name, base string, raw bool) *oracle {
	return newFoldOracle(spec, name, base, raw, false)
}

func newFoldOracle(spec *Spec, name, base string, raw, fold bool) *oracle {
	o := &oracle{name: name, mux: http.NewServeMux(), ops: map[string]int{}, raw: raw, fold: fold}
	for i, op := range spec.Operations {
		p := op.Path
		if p == "/" {
			p = "/{$}"
		}
		pat := op.Method + " " + base + p
		if o.fold {
			pat = op.Method + " " + strings.ToLower(base+p)
		}
		o.mux.Handle(pat, http.NotFoundHandler())
		o.ops[pat] = i
	}
	return o
}

// dispatch returns the operation whose handler the router would run, or -1.
func (o *oracle) dispatch(r *http.Request) int {
	if o.raw && r.URL.RawPath != "" {
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = r.URL.RawPath, ""
	}
	if o.fold {
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = strings.ToLower(r.URL.Path), ""
	}
	_, pat := o.mux.Handler(r)
	if op, ok := o.ops[pat]; ok {
		return op
	}
	return -1
}

type fuzzGuard struct {
	g       *Guard
	oracles []*oracle
}

// checkRoute runs one request through g and checks FuzzRoute's properties.
func checkRoute(t *testing.T, fg fuzzGuard, allowAll bool, r *http.Request) {
	g := fg.g
	op, res, _ := g.route(r)
	path := r.URL.Path
	clean := canonicalPath(path) && !strings.Contains(path, `\`) &&
		(r.URL.RawPath == "" || !hasEncodedSlash(r.URL.RawPath))
	if (res == routed || res == passThrough) && !clean {
		t.Fatalf("%s %q (raw %q): non-canonical path got through routing (%d)", r.Method, path, r.URL.RawPath, res)
	}
	if res == routed {
		o := g.spec.Operations[op]
		if !methodFits(r.Method, o.Method, allowAll) {
			t.Fatalf("%s %q routed to %s %s", r.Method, path, o.Method, o.Path)
		}
		if !templateFits(g, o.Path, path, allowAll) {
			t.Fatalf("%s %q routed to %s %s, whose template does not match", r.Method, path, o.Method, o.Path)
		}
	}

	var reached, hasP bool
	var p *Principal
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		p, hasP = PrincipalFrom(r.Context())
	}))
	h.ServeHTTP(discard{}, r)
	if !reached {
		return
	}
	if !clean {
		t.Fatalf("%s %q (raw %q) reached the handler", r.Method, path, r.URL.RawPath)
	}
	if hasP && res != routed {
		t.Fatalf("%s %q: principal without routing", r.Method, path)
	}
	// The operation the application runs is the one the guard checked.
	for _, o := range fg.oracles {
		x := o.dispatch(r)
		if x < 0 {
			continue
		}
		xo := g.spec.Operations[x]
		protected := !xo.Public
		for _, alt := range xo.Security {
			if len(alt) == 0 {
				protected = false
			}
		}
		switch {
		case protected && !hasP:
			t.Fatalf("%s %q (raw %q): %s runs %s unauthenticated (guard: routing %d, op %d)",
				r.Method, path, r.URL.RawPath, o.name, xo.ID, res, op)
		case hasP && p.Operation != xo.ID && !g.samePolicy(op, x):
			t.Fatalf("%s %q (raw %q): %s runs %s with a principal for %s, whose checks differ",
				r.Method, path, r.URL.RawPath, o.name, xo.ID, p.Operation)
		}
	}
}

func methodFits(method, opMethod string, fold bool) bool {
	if method == opMethod || (method == http.MethodHead && opMethod == http.MethodGet) {
		return true
	}
	return fold && (strings.EqualFold(method, opMethod) ||
		(strings.EqualFold(method, http.MethodHead) && opMethod == http.MethodGet))
}

// templateFits reports whether tmpl matches path, cleaned (no trailing
// slash) and with a base path removed; under AllowUnlisted, also folded or
// without the base path.
func templateFits(g *Guard, tmpl, path string, allowAll bool) bool {
	if len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	var cands []string
	for _, b := range g.basePaths {
		switch {
		case b == "":
			cands = append(cands, path)
		case strings.HasPrefix(path, b) || (allowAll && len(path) >= len(b) && strings.EqualFold(path[:len(b)], b)):
			rest := path[len(b):]
			if rest == "" {
				rest = "/"
			}
			if rest[0] == '/' {
				cands = append(cands, rest)
			}
		}
	}
	if len(g.basePaths) == 0 || allowAll {
		cands = append(cands, path)
	}
	re := templateRegexp(tmpl, allowAll)
	for _, c := range cands {
		if re.MatchString(c) {
			return true
		}
	}
	return false
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header {
	if d.h == nil {
		return http.Header{}
	}
	return d.h
}
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// FuzzRoute sends arbitrary requests, parsed as a server parses them,
// through guards over two documents, with and without AllowUnlisted. It
// checks that nothing panics, that a request routed to an operation is one
// whose method and template match its cleaned path, that no non-canonical
// path reaches the handler, and that whenever an application router (net/
// http's, one matching the escaped path, one mounted without the base path)
// would run a protected operation's handler, the guard authenticated the
// request for that very operation.
func FuzzRoute(f *testing.F) {
	seeds := []struct {
		method, path, query, authz, key, cookie, origin, acrm string
		allowAll                                              bool
	}{
		{"GET", "/api/items/42", "", "Bearer good", "", "", "", "", false},
		{"GET", "/api/items/mine", "", "", "", "", "", "", false},
		{"DELETE", "/api/items/mine", "", "Bearer good", "", "", "", "", false},
		{"PUT", "/api/users/me/profile", "", "Bearer good", "", "", "", "", false},
		{"HEAD", "/api/both", "", "", "", "", "", "", false},
		{"HEAD", "/api/items/42", "", "Bearer good", "", "", "", "", true},
		{"OPTIONS", "/api/things", "", "", "", "", "https://evil.example", "GET", false},
		{"OPTIONS", "/api/things", "", "", "", "", "https://evil.example", "GET", true},
		{"OPTIONS", "/api/items/42", "", "", "", "", "https://app.example", "DELETE", false},
		{"GET", "/api/items/m%69ne", "", "", "", "", "", "", false},
		{"GET", "/api/items/m%69ne", "", "", "", "", "", "", true},
		{"GET", "/api/public/x%2Fy", "", "", "", "", "", "", false},
		{"GET", "/api/admin/%2e%2e", "", "", "k1", "", "", "", false},
		{"GET", "/api/admin/x%5Cy", "", "", "", "", "", "", false},
		{"GET", `/api/public/..\admin\x`, "", "", "", "", "", "", true},
		{"GET", "/api//admin/x", "", "", "", "", "", "", true},
		{"GET", "/api/./admin/x", "", "", "", "", "", "", false},
		{"GET", "/api/public/x/../../admin/y", "", "", "", "", "", "", false},
		{"GET", "/API/ADMIN/x", "", "", "", "", "", "", true},
		{"GET", "/api/items/MINE", "", "Bearer good", "", "", "", "", false},
		{"GET", "/api/Users/me/Profile", "", "", "", "", "", "", false},
		{"GET", "/admin/x", "", "", "", "", "", "", true},
		{"get", "/api/admin/x", "", "", "", "", "", "", true},
		{"GET", "/api/admin/x/", "", "", "k1", "", "", "", false},
		{"GET", "/api", "", "", "", "", "", "", false},
		{"GET", "/api/", "", "", "", "", "", "", false},
		{"GET", "/", "", "", "", "", "", "", true},
		{"GET", "*", "", "", "", "", "", "", false},
		{"GET", "http://example.com/api/admin/x", "", "", "", "", "", "", false},
		{"GET", "/api/files/a.json", "api_key=1&api_key=2", "Bearer good", "", "session=a; session=b", "", "", false},
		{"GET", "/api/versions/v1.2", "", "Bearer good", "", "", "", "", true},
		{"GET", "/api/ranges/a-b%2Dc", "", "Bearer good", "", "", "", "", false},
		{"GET", "/api/things", "", "Bearer bad", "", "", "", "", false},
		{"GET", "/api/things", "", "Bearer\tgood", "", "", "", "", false},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.authz, s.key, s.cookie, s.origin, s.acrm, s.allowAll)
	}

	verifiers := []Verifier{
		accept(map[string]*Identity{"good": ident("alice", "read", "admin")}),
		accept(map[string]*Identity{"k1": {Subject: "svc", KeyID: "k1"}}),
	}
	mux := muxSpec()
	guards := map[bool][]fuzzGuard{}
	for _, allowAll := range []bool{false, true} {
		opts := Options{AllowUnlisted: allowAll}
		guards[allowAll] = []fuzzGuard{
			{g: mustGuard(f, routeSpec(), []Verifier{verifiers[0]}, opts)},
			{g: mustGuard(f, mux, verifiers, opts), oracles: []*oracle{
				newOracle(mux, "net/http", "/api", false),
				newOracle(mux, "raw-path router", "/api", true),
				newOracle(mux, "net/http without base", "", false),
				newFoldOracle(mux, "case-insensitive router", "/api", false, true),
			}},
		}
	}

	f.Fuzz(func(t *testing.T, method, path, query, authz, key, cookie, origin, acrm string, allowAll bool) {
		target := path
		if query != "" {
			target += "?" + query
		}
		var b strings.Builder
		b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: example.com\r\n")
		for _, h := range [][2]string{{"Authorization", authz}, {"X-API-Key", key}, {"Cookie", cookie},
			{"Origin", origin}, {"Access-Control-Request-Method", acrm}} {
			if h[1] != "" {
				b.WriteString(h[0] + ": " + h[1] + "\r\n")
			}
		}
		b.WriteString("\r\n")
		for _, fg := range guards[allowAll] {
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
			if err != nil {
				return
			}
			checkRoute(t, fg, allowAll, r)
		}
	})
}

// FuzzCredentials checks the credential readers: no panic, a present value
// is never empty, and the guard never picks one of two values that net/url
// or net/http would both see.
func FuzzCredentials(f *testing.F) {
	seeds := [][5]string{
		{"Bearer abc", "api_key=k", "session=c", "", "api_key"},
		{"bearer  abc", "api%5Fkey=k&api_key=j", "session=a", "session=b", "api_key"},
		{"Bearer a b", "api+key=k", "session =a; session=b", "", "api key"},
		{"Bearer\tabc", "api_key=%zz", `session=""`, "session", "api_key"},
		{"Basic dXNlcjpwdw==", "api_key=a;api_key=b", " session = x ", "x=1", "api_key"},
		{"Bearer ,", "api_key=&api_key=x", "session=\"a", "\u00a0session=b", "session"},
		{"", "&&=&", ";;", "=", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, authz, query, cookie1, cookie2, name string) {
		if tok, fd := bearerToken(authz); fd == present && (tok == "" || strings.ContainsAny(tok, " \t,")) {
			t.Fatalf("bearerToken(%q) = %q, present", authz, tok)
		} else if fd != present && tok != "" {
			t.Fatalf("bearerToken(%q) = %q, %v", authz, tok, fd)
		}
		if cred, fd := basicCredential(authz); fd == present && !strings.Contains(cred, ":") {
			t.Fatalf("basicCredential(%q) = %q, present", authz, cred)
		}

		for _, n := range []string{name, "api_key"} {
			val, fd := queryValue(query, n)
			if fd == present && val == "" {
				t.Fatalf("queryValue(%q, %q): present but empty", query, n)
			}
			// Parsed as the application would parse it.
			var goVals []string
			for _, v := range parseQueryLenient(query)[n] {
				if v != "" {
					goVals = append(goVals, v)
				}
			}
			if len(goVals) >= 2 && fd != malformed {
				t.Fatalf("queryValue(%q, %q) = %q, %v; net/url sees %q", query, n, val, fd, goVals)
			}
			if fd == present && len(goVals) == 1 && goVals[0] != val {
				t.Fatalf("queryValue(%q, %q) = %q; net/url sees %q", query, n, val, goVals)
			}
		}

		headers := []string{cookie1, cookie2}
		for _, n := range []string{name, "session"} {
			val, fd := cookieValue(headers, n)
			if fd == present && val == "" {
				t.Fatalf("cookieValue(%q, %q): present but empty", headers, n)
			}
			if n == "" {
				continue
			}
			r := &http.Request{Header: http.Header{"Cookie": headers}}
			var goVals []string
			for _, c := range r.CookiesNamed(n) {
				if c.Value != "" {
					goVals = append(goVals, c.Value)
				}
			}
			if len(goVals) >= 2 && fd != malformed {
				t.Fatalf("cookieValue(%q, %q) = %q, %v; net/http sees %q", headers, n, val, fd, goVals)
			}
			if fd == present && len(goVals) == 1 && goVals[0] != val {
				t.Fatalf("cookieValue(%q, %q) = %q; net/http sees %q", headers, n, val, goVals)
			}
		}

		r := newRequest("GET", "/")
		r.Header["Authorization"] = []string{authz}
		r.Header["X-Api-Key"] = []string{cookie1, cookie2}
		r.Header["Cookie"] = headers
		r.URL.RawQuery = query
		for _, p := range []place{
			{InHeader, "Authorization"}, {InHeader, "X-Api-Key"}, {InQuery, name}, {InCookie, name}, {InHeader, "Missing"},
		} {
			if v, fd := readPlace(r, p); (fd == present) != (v != "") {
				t.Fatalf("readPlace(%v) = %q, %v", p, v, fd)
			}
		}
	})
}

// parseQueryLenient is url.ParseQuery keeping what it could parse.
func parseQueryLenient(q string) url.Values {
	v, _ := url.ParseQuery(q)
	return v
}

// FuzzMatchParam checks matchParam against a regular expression: the
// literals of a parameter segment with one or more characters in place of
// each parameter. pattern writes a parameter as "{}".
func FuzzMatchParam(f *testing.F) {
	for _, s := range [][2]string{
		{"{}", "x"}, {"{}.json", "a.json"}, {"{}.json", ".json"}, {"v{}.{}", "v1.2"}, {"v{}.{}", "v..2"},
		{"{}-{}", "a--b"}, {"{}-{}-c{}", "x-y-z-cw"}, {"a{}a", "aa"}, {"{}::{}", "a:::b"}, {"{}{}", "ab"},
	} {
		f.Add(s[0], s[1], false)
		f.Add(s[0], strings.ToUpper(s[1]), true)
	}
	f.Fuzz(func(t *testing.T, pattern, seg string, fold bool) {
		lits := strings.Split(pattern, "{}")
		if len(lits) < 2 || !utf8.ValidString(pattern) || !utf8.ValidString(seg) ||
			strings.Contains(pattern+seg, "/") {
			return
		}
		if fold && !isASCII(pattern+seg) {
			fold = false // regexp and EqualFold fold non-ASCII differently
		}
		got := matchParam(lits, seg, fold)
		if want := paramRegexp(lits, fold).MatchString(seg); got != want {
			t.Fatalf("matchParam(%q, %q, %v) = %v, regexp says %v", lits, seg, fold, got, want)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
