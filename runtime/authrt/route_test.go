package authrt

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

// routeSpec is a document whose templates exercise the route tree: static
// and parameter siblings at several depths, parameters inside a segment,
// a listed OPTIONS operation and a HEAD listed beside its GET. Routes is
// written by hand, as the generator emits it (depth first, static edges
// sorted, parameter segments most specific first, methods sorted).
func routeSpec() *Spec {
	bearer := []Alternative{{{Scheme: 0}}}
	return &Spec{
		Title:   "Routes",
		Schemes: []Scheme{{Name: "bearer", Type: HTTPBearer}},
		Operations: []Operation{
			0:  {ID: "root", Method: "GET", Path: "/", Public: true},
			1:  {ID: "listMine", Method: "GET", Path: "/items/mine", Public: true},
			2:  {ID: "getItem", Method: "GET", Path: "/items/{id}", Security: bearer},
			3:  {ID: "deleteItem", Method: "DELETE", Path: "/items/{id}", Security: bearer},
			4:  {ID: "myProfile", Method: "GET", Path: "/users/me/profile", Public: true},
			5:  {ID: "putProfile", Method: "PUT", Path: "/users/{id}/profile", Security: bearer},
			6:  {ID: "getJSON", Method: "GET", Path: "/files/{name}.json", Security: bearer},
			7:  {ID: "getFile", Method: "GET", Path: "/files/{name}", Security: bearer},
			8:  {ID: "getVersion", Method: "GET", Path: "/versions/v{major}.{minor}", Security: bearer},
			9:  {ID: "getRange", Method: "GET", Path: "/ranges/{a}-{b}", Security: bearer},
			10: {ID: "thingsOptions", Method: "OPTIONS", Path: "/things", Security: bearer},
			11: {ID: "getThings", Method: "GET", Path: "/things", Security: bearer},
			12: {ID: "getBoth", Method: "GET", Path: "/both", Security: bearer},
			13: {ID: "headBoth", Method: "HEAD", Path: "/both", Security: bearer},
		},
		Routes: []RouteNode{
			// /
			0: {
				Static: []RouteEdge{
					{Segment: "both", Node: 1},
					{Segment: "files", Node: 2},
					{Segment: "items", Node: 5},
					{Segment: "ranges", Node: 8},
					{Segment: "things", Node: 10},
					{Segment: "users", Node: 11},
					{Segment: "versions", Node: 16},
				},
				Methods: []RouteMethod{{Method: "GET", Operation: 0}},
			},
			// /both
			1: {Methods: []RouteMethod{{Method: "GET", Operation: 12}, {Method: "HEAD", Operation: 13}}},
			// /files
			2: {Params: []RouteParam{
				{Literals: []string{"", ".json"}, Node: 3},
				{Literals: []string{"", ""}, Node: 4},
			}},
			// /files/{name}.json
			3: {Methods: []RouteMethod{{Method: "GET", Operation: 6}}},
			// /files/{name}
			4: {Methods: []RouteMethod{{Method: "GET", Operation: 7}}},
			// /items
			5: {
				Static: []RouteEdge{{Segment: "mine", Node: 6}},
				Params: []RouteParam{{Literals: []string{"", ""}, Node: 7}},
			},
			// /items/mine
			6: {Methods: []RouteMethod{{Method: "GET", Operation: 1}}},
			// /items/{id}
			7: {Methods: []RouteMethod{{Method: "DELETE", Operation: 3}, {Method: "GET", Operation: 2}}},
			// /ranges
			8: {Params: []RouteParam{{Literals: []string{"", "-", ""}, Node: 9}}},
			// /ranges/{a}-{b}
			9: {Methods: []RouteMethod{{Method: "GET", Operation: 9}}},
			// /things
			10: {Methods: []RouteMethod{{Method: "GET", Operation: 11}, {Method: "OPTIONS", Operation: 10}}},
			// /users
			11: {
				Static: []RouteEdge{{Segment: "me", Node: 12}},
				Params: []RouteParam{{Literals: []string{"", ""}, Node: 14}},
			},
			// /users/me
			12: {Static: []RouteEdge{{Segment: "profile", Node: 13}}},
			// /users/me/profile
			13: {Methods: []RouteMethod{{Method: "GET", Operation: 4}}},
			// /users/{id}
			14: {Static: []RouteEdge{{Segment: "profile", Node: 15}}},
			// /users/{id}/profile
			15: {Methods: []RouteMethod{{Method: "PUT", Operation: 5}}},
			// /versions
			16: {Params: []RouteParam{{Literals: []string{"v", ".", ""}, Node: 17}}},
			// /versions/v{major}.{minor}
			17: {Methods: []RouteMethod{{Method: "GET", Operation: 8}}},
		},
		BasePaths: []string{"/api"},
	}
}

func TestBuildRoutesMatchesHandWritten(t *testing.T) {
	s := routeSpec()
	if got := buildRoutes(s.Operations); !reflect.DeepEqual(got, s.Routes) {
		t.Fatalf("buildRoutes differs from the hand-written tree:\n got %+v\nwant %+v", got, s.Routes)
	}
}

func TestSpecMatch(t *testing.T) {
	s := routeSpec()
	tests := []struct {
		method, path string
		fold         bool
		want         string // operation ID, "405" (path listed, method not) or "404"
	}{
		{"GET", "/", false, "root"},
		{"GET", "", false, "root"},
		{"POST", "/", false, "405"},

		// Literals beat parameters...
		{"GET", "/items/mine", false, "listMine"},
		{"GET", "/items/42", false, "getItem"},
		{"DELETE", "/items/42", false, "deleteItem"},
		// ...but a literal branch that matches the path and not the method
		// gives way to a parameter branch that matches both.
		{"DELETE", "/items/mine", false, "deleteItem"},
		{"POST", "/items/mine", false, "405"},
		// The same, two levels below the choice.
		{"GET", "/users/me/profile", false, "myProfile"},
		{"PUT", "/users/me/profile", false, "putProfile"},
		{"PUT", "/users/bob/profile", false, "putProfile"},
		{"GET", "/users/bob/profile", false, "405"},
		{"DELETE", "/users/me/profile", false, "405"},
		{"GET", "/users/me", false, "404"},
		{"GET", "/users/me/other", false, "404"},
		{"GET", "/users", false, "404"},
		{"GET", "/items/42/more", false, "404"},
		{"GET", "/nope", false, "404"},

		// Parameters inside a segment; each takes at least one character.
		{"GET", "/files/a.json", false, "getJSON"},
		{"GET", "/files/a.b.json", false, "getJSON"},
		{"GET", "/files/.json", false, "getFile"},
		{"GET", "/files/a.jsonx", false, "getFile"},
		{"GET", "/files/a", false, "getFile"},
		{"GET", "/versions/v1.2", false, "getVersion"},
		{"GET", "/versions/v1.2.3", false, "getVersion"},
		{"GET", "/versions/v10.20", false, "getVersion"},
		{"GET", "/versions/v1.", false, "404"},
		{"GET", "/versions/v.2", false, "404"},
		{"GET", "/versions/v.", false, "404"},
		{"GET", "/versions/v12", false, "404"},
		{"GET", "/versions/x1.2", false, "404"},
		{"GET", "/versions/v", false, "404"},
		{"GET", "/ranges/a-b", false, "getRange"},
		{"GET", "/ranges/10-20", false, "getRange"},
		{"GET", "/ranges/a--b", false, "getRange"},
		{"GET", "/ranges/-b", false, "404"},
		{"GET", "/ranges/a-", false, "404"},
		{"GET", "/ranges/-", false, "404"},
		{"GET", "/ranges/ab", false, "404"},

		// Methods: match is exact; HEAD→GET is the guard's business.
		{"OPTIONS", "/things", false, "thingsOptions"},
		{"HEAD", "/both", false, "headBoth"},
		{"HEAD", "/items/42", false, "405"},
		{"get", "/items/42", false, "405"},

		// Case folding, only when asked for.
		{"GET", "/ITEMS/MINE", false, "404"},
		{"GET", "/ITEMS/MINE", true, "listMine"},
		{"GET", "/Items/42", true, "getItem"},
		{"get", "/items/42", true, "getItem"},
		{"GET", "/FILES/A.JSON", true, "getJSON"},
		{"GET", "/versions/V1.2", true, "getVersion"},
		{"GET", "/versions/V1.2", false, "404"},
	}
	for _, tt := range tests {
		op, res := s.match(tt.method, tt.path, tt.fold)
		var got string
		switch res {
		case routeFound:
			got = string(s.Operations[op].ID)
		case routeMethodNotListed:
			got = "405"
		default:
			got = "404"
		}
		if got != tt.want {
			t.Errorf("match(%q, %q, fold=%v) = %s, want %s", tt.method, tt.path, tt.fold, got, tt.want)
		}
	}
}

func TestSpecMatchEmptyTree(t *testing.T) {
	var s Spec
	if op, res := s.match("GET", "/", false); op != -1 || res != routeNone {
		t.Fatalf("empty tree: match = %d, %d; want -1, routeNone", op, res)
	}
}

// describeRoute renders Guard.route's answer for the tables below.
func describeRoute(g *Guard, r *http.Request) string {
	op, res, allow := g.route(r)
	switch res {
	case routed:
		return "op " + string(g.spec.Operations[op].ID)
	case passThrough:
		return "pass"
	case badPath:
		return "400"
	case notListed:
		return "404"
	case methodNotListed:
		return "405 " + strings.Join(allow, ",")
	}
	return "?"
}

func TestGuardRoute(t *testing.T) {
	preflight := []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"}
	tests := []struct {
		name           string
		method, target string
		header         []string
		want           string
	}{
		{"root", "GET", "/api", nil, "op root"},
		{"root with slash", "GET", "/api/", nil, "op root"},
		{"no base path", "GET", "/items/42", nil, "404"},
		{"base path needs a segment boundary", "GET", "/apix/items/42", nil, "404"},
		{"bare root without the base", "GET", "/", nil, "404"},
		{"param", "GET", "/api/items/42", nil, "op getItem"},
		{"trailing slash", "GET", "/api/items/42/", nil, "op getItem"},
		{"trailing slash on a literal", "GET", "/api/items/mine/", nil, "op listMine"},
		{"query ignored", "GET", "/api/items/mine?x=/../y", nil, "op listMine"},
		{"backtracking", "DELETE", "/api/items/mine", nil, "op deleteItem"},
		{"deep backtracking", "PUT", "/api/users/me/profile", nil, "op putProfile"},
		{"segment literal", "GET", "/api/files/report.json", nil, "op getJSON"},
		{"two params in a segment", "GET", "/api/versions/v2.1", nil, "op getVersion"},

		{"HEAD gets GET's policy", "HEAD", "/api/items/42", nil, "op getItem"},
		{"HEAD listed itself", "HEAD", "/api/both", nil, "op headBoth"},
		{"HEAD on a literal, GET listed", "HEAD", "/api/items/mine", nil, "op listMine"},

		{"405 with Allow", "POST", "/api/items/42", nil, "405 DELETE,GET,HEAD"},
		{"405 on a literal lists the parameter's methods too", "POST", "/api/items/mine", nil, "405 DELETE,GET,HEAD"},
		{"405 deep", "PATCH", "/api/users/me/profile", nil, "405 GET,HEAD,PUT"},
		{"405 HEAD where no GET", "HEAD", "/api/users/bob/profile", nil, "405 PUT"},
		{"lower-case method", "get", "/api/items/42", nil, "405 DELETE,GET,HEAD"},
		{"405 for OPTIONS without preflight headers", "OPTIONS", "/api/items/42", nil, "405 DELETE,GET,HEAD"},

		{"preflight on a listed path", "OPTIONS", "/api/items/42", preflight, "pass"},
		{"preflight on an unlisted path", "OPTIONS", "/api/nope", preflight, "404"},
		{"preflight outside the base path", "OPTIONS", "/items/42", preflight, "404"},
		{"Origin alone is no preflight", "OPTIONS", "/api/items/42", []string{"Origin", "https://app.example"}, "405 DELETE,GET,HEAD"},
		// A listed OPTIONS operation keeps its checks: the two headers are
		// the client's to choose, and passing them through would run that
		// operation's handler unauthenticated.
		{"preflight on a listed OPTIONS operation", "OPTIONS", "/api/things", preflight, "op thingsOptions"},
		{"OPTIONS operation", "OPTIONS", "/api/things", nil, "op thingsOptions"},

		// Non-canonical paths (400), whatever they would resolve to.
		{"double slash", "GET", "/api//items/42", nil, "400"},
		{"leading double slash", "GET", "//api/items/42", nil, "400"},
		{"double trailing slash", "GET", "/api/items/42//", nil, "400"},
		{"dot segment", "GET", "/api/./items/42", nil, "400"},
		{"dot-dot segment", "GET", "/api/items/../items/42", nil, "400"},
		{"final dot", "GET", "/api/items/.", nil, "400"},
		{"final dot-dot", "GET", "/api/items/42/..", nil, "400"},
		{"encoded dot", "GET", "/api/items/%2e", nil, "400"},
		{"encoded dot-dot", "GET", "/api/items/%2e%2E/mine", nil, "400"},
		{"half-encoded dot-dot", "GET", "/api/items/.%2e/mine", nil, "400"},
		{"dots inside a segment are fine", "GET", "/api/items/..42", nil, "op getItem"},
		{"encoded slash", "GET", "/api/items/a%2Fb", nil, "400"},
		{"encoded slash, lower case", "GET", "/api/items/a%2fb", nil, "400"},
		{"encoded backslash, lower case", "GET", "/api/items/a%5cb", nil, "400"},
		{"encoded backslash, upper case", "GET", "/api/items/a%5Cb", nil, "400"},
		{"backslash", "GET", `/api/items/a\b`, nil, "400"},
		{"backslash as a separator", "GET", `/api/items\mine`, nil, "400"},

		// Percent-encoding that routers matching the escaped path (chi,
		// echo) and routers matching the decoded path (net/http) read as
		// two different operations is refused: the decoded path is the
		// public /items/mine, the escaped one is /items/{id}.
		{"encoded literal", "GET", "/api/items/m%69ne", nil, "400"},
		{"encoded base path", "GET", "/%61pi/items/42", nil, "400"},
		{"encoded parameter value", "GET", "/api/items/4%32", nil, "op getItem"},
		{"lower-case escape in a parameter", "GET", "/api/items/a%3fb", nil, "op getItem"},
		{"escape needed", "GET", "/api/items/a%20b", nil, "op getItem"},
		{"encoded segment literal", "GET", "/api/files/a%2Ejson", nil, "400"},

		// Case is significant unless unlisted routes are let through.
		{"upper-case path", "GET", "/api/ITEMS/42", nil, "404"},
		{"upper-case base", "GET", "/API/items/42", nil, "404"},
	}
	g := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeRoute(g, newRequest(tt.method, tt.target, tt.header...)); got != tt.want {
				t.Errorf("%s %s: got %q, want %q", tt.method, tt.target, got, tt.want)
			}
		})
	}
}

func TestGuardRouteAllowUnlisted(t *testing.T) {
	preflight := []string{"Origin", "https://app.example", "Access-Control-Request-Method", "GET"}
	tests := []struct {
		name           string
		method, target string
		header         []string
		want           string
	}{
		{"listed", "GET", "/api/items/42", nil, "op getItem"},
		{"unlisted path", "GET", "/api/nope", nil, "pass"},
		{"unlisted method", "POST", "/api/items/42", nil, "pass"},
		// What a lenient router would hand to a listed operation keeps
		// that operation's checks.
		{"upper-case path", "GET", "/api/ITEMS/42", nil, "op getItem"},
		{"upper-case literal", "GET", "/api/Items/Mine", nil, "op listMine"},
		{"upper-case base", "GET", "/API/items/42", nil, "op getItem"},
		{"mounted without the base path", "GET", "/items/42", nil, "op getItem"},
		{"upper-case, no base path", "GET", "/ITEMS/42", nil, "op getItem"},
		{"lower-case method", "get", "/api/items/42", nil, "op getItem"},
		{"lower-case HEAD", "head", "/api/items/42", nil, "op getItem"},
		{"preflight anywhere", "OPTIONS", "/api/nope", preflight, "pass"},
		{"preflight on a listed OPTIONS operation", "OPTIONS", "/api/things", preflight, "op thingsOptions"},
		{"preflight on a listed OPTIONS operation, folded", "OPTIONS", "/api/THINGS", preflight, "op thingsOptions"},
		// Still refused: non-canonical paths.
		{"double slash", "GET", "/api//items/42", nil, "400"},
		{"encoded slash", "GET", "/api/items/a%2Fb", nil, "400"},
		{"encoded literal", "GET", "/api/items/m%69ne", nil, "400"},
	}
	g := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, Options{AllowUnlisted: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeRoute(g, newRequest(tt.method, tt.target, tt.header...)); got != tt.want {
				t.Errorf("%s %s: got %q, want %q", tt.method, tt.target, got, tt.want)
			}
		})
	}
}

// TestGuardRouteCaseFoldedListedPath: a path that matches one operation
// exactly and, case-folded, another. A case-insensitive router would run
// the second one's handler while the guard checked the first one's
// policy: /items/ADMIN is {id} exactly and admin folded. Refused (400),
// with or without AllowUnlisted; an exact spelling still routes.
func TestGuardRouteCaseFoldedListedPath(t *testing.T) {
	for _, opts := range []Options{{}, {AllowUnlisted: true}} {
		g := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, opts)
		for target, want := range map[string]string{
			"/api/files/A.JSON": "op getFile", // {name}.json folded, but the same checks as getFile
			"/api/files/a.json": "op getJSON", // exact
			"/api/files/A.txt":  "op getFile", // no other reading
			"/api/items/42":     "op getItem", // no letters
		} {
			if got := describeRoute(g, newRequest("GET", target)); got != want {
				t.Errorf("AllowUnlisted=%v, GET %s: got %q, want %q", opts.AllowUnlisted, target, got, want)
			}
		}
	}
	// Backtracking: /1/admin and /{x}/ADMIN. /1/ADMIN is the second
	// exactly (the literal branch fails below), the first folded.
	spec := &Spec{
		Title:   "t",
		Schemes: []Scheme{{Name: "k", Type: APIKey, In: InHeader, Param: "X-Key"}},
		Operations: []Operation{
			{ID: "admin", Method: "GET", Path: "/1/admin", Security: []Alternative{{{Scheme: 0}}}},
			{ID: "public", Method: "GET", Path: "/{x}/ADMIN", Security: []Alternative{{}}},
		},
		Routes: []RouteNode{
			{Static: []RouteEdge{{Segment: "1", Node: 1}}, Params: []RouteParam{{Literals: []string{"", ""}, Node: 3}}},
			{Static: []RouteEdge{{Segment: "admin", Node: 2}}},
			{Methods: []RouteMethod{{Method: "GET", Operation: 0}}},
			{Static: []RouteEdge{{Segment: "ADMIN", Node: 4}}},
			{Methods: []RouteMethod{{Method: "GET", Operation: 1}}},
		},
	}
	// And a parameter pattern: /1/{name}.json beside /{x}/{y}; /1/A.JSON
	// is the second exactly, the first folded.
	spec2 := &Spec{
		Title:   "t",
		Schemes: []Scheme{{Name: "k", Type: APIKey, In: InHeader, Param: "X-Key"}},
		Operations: []Operation{
			{ID: "json", Method: "GET", Path: "/1/{name}.json", Security: []Alternative{{{Scheme: 0}}}},
			{ID: "public", Method: "GET", Path: "/{x}/{y}", Security: []Alternative{{}}},
		},
		Routes: []RouteNode{
			{Static: []RouteEdge{{Segment: "1", Node: 1}}, Params: []RouteParam{{Literals: []string{"", ""}, Node: 3}}},
			{Params: []RouteParam{{Literals: []string{"", ".json"}, Node: 2}}},
			{Methods: []RouteMethod{{Method: "GET", Operation: 0}}},
			{Params: []RouteParam{{Literals: []string{"", ""}, Node: 4}}},
			{Methods: []RouteMethod{{Method: "GET", Operation: 1}}},
		},
	}
	g2 := mustGuard(t, spec2, []Verifier{accept(nil)}, Options{})
	for target, want := range map[string]string{"/1/A.JSON": "400", "/1/a.json": "op json", "/1/A.txt": "op public"} {
		if got := describeRoute(g2, newRequest("GET", target)); got != want {
			t.Errorf("GET %s: got %q, want %q", target, got, want)
		}
	}
	g := mustGuard(t, spec, []Verifier{accept(nil)}, Options{})
	if got := describeRoute(g, newRequest("GET", "/1/ADMIN")); got != "400" {
		t.Errorf("GET /1/ADMIN: got %q, want 400", got)
	}
	if got := describeRoute(g, newRequest("GET", "/2/ADMIN")); got != "op public" {
		t.Errorf("GET /2/ADMIN: got %q, want op public", got)
	}
}

func TestGuardRouteBasePaths(t *testing.T) {
	tests := []struct {
		name   string
		bases  []string
		target string
		want   string
	}{
		{"spec's base", nil, "/api/items/42", "op getItem"},
		{"several, longest first", []string{"/v1", "/v1/admin", ""}, "/v1/admin/items/42", "op getItem"},
		{"several, shorter one", []string{"/v1", "/v1/admin", ""}, "/v1/items/42", "op getItem"},
		{"several, root one", []string{"/v1", "/v1/admin", ""}, "/items/42", "op getItem"},
		{"several, base alone is the root", []string{"/v1", "/v1/admin", ""}, "/v1/admin", "op root"},
		{"several, no boundary", []string{"/v1", "/v1/admin", ""}, "/v1admin/items/42", "404"},
		{"longest first, not in the order given", []string{"/v1", "/v1/admin"}, "/v1/admin/items/42", "op getItem"},
		{"trailing slash in the option", []string{"/v1/"}, "/v1/items/42", "op getItem"},
		{"slash means root", []string{"/"}, "/items/42", "op getItem"},
		{"slash means root, spec base not used", []string{"/"}, "/api/items/42", "404"},
		{"slash means root, root path", []string{"/"}, "/", "op root"},
		{"empty list: paths as they are", []string{}, "/items/42", "op getItem"},
		{"base only", []string{"/v1"}, "/v1", "op root"},
		{"base with slash", []string{"/v1"}, "/v1/", "op root"},
		{"other base", []string{"/v1"}, "/v2/items/42", "404"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, Options{BasePaths: tt.bases})
			if got := describeRoute(g, newRequest("GET", tt.target)); got != tt.want {
				t.Errorf("bases %q, GET %s: got %q, want %q", tt.bases, tt.target, got, tt.want)
			}
		})
	}
}

// TestMiddlewareRefusals checks what Middleware writes for requests it
// refuses before authentication.
func TestMiddlewareRefusals(t *testing.T) {
	g := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, Options{})
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("handler ran for %s %s", r.Method, r.URL)
	}))
	tests := []struct {
		method, target string
		status         int
		allow          string
	}{
		{"GET", "/api//items/42", 400, ""},
		{"GET", "/api/nope", 404, ""},
		{"POST", "/api/items/42", 405, "DELETE, GET, HEAD"},
		{"GET", "/api/items/42", 401, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, newRequest(tt.method, tt.target))
		if rec.Code != tt.status || rec.Header().Get("Allow") != tt.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q", tt.method, tt.target, rec.Code, rec.Header().Get("Allow"), tt.status, tt.allow)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s: Content-Type %q", tt.method, tt.target, ct)
		}
	}
}

func TestCanonicalPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"/", true},
		{"/a", true},
		{"/a/", true},
		{"/a/b", true},
		{"/a/b/", true},
		{"/a.b/..c/...", true},
		{"", false},
		{"a", false},
		{"*", false},
		{"//", false},
		{"//a", false},
		{"/a//b", false},
		{"/a//", false},
		{"/.", false},
		{"/..", false},
		{"/./a", false},
		{"/a/.", false},
		{"/a/./", false},
		{"/a/../b", false},
		{"/a/..", false},
	}
	for _, tt := range tests {
		if got := canonicalPath(tt.path); got != tt.want {
			t.Errorf("canonicalPath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestHasEncodedSlash(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"/a%2Fb", true},
		{"/a%2fb", true},
		{"/a%5Cb", true},
		{"/a%5cb", true},
		{"/a%2F", true},
		{"%2F", true},
		{"/a%2", false},
		{"/a%", false},
		{"/a%20b", false},
		{"/a%252Fb", false}, // an encoded '%', followed by "2Fb"
		{"/a/b", false},
	}
	for _, tt := range tests {
		if got := hasEncodedSlash(tt.raw); got != tt.want {
			t.Errorf("hasEncodedSlash(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}

func TestMatchParam(t *testing.T) {
	tests := []struct {
		lits []string
		seg  string
		fold bool
		want bool
	}{
		{[]string{"", ""}, "x", false, true},
		{[]string{"", ""}, "", false, false},
		{[]string{""}, "x", false, false}, // malformed: fewer than two literals
		{[]string{"", ".json"}, "a.json", false, true},
		{[]string{"", ".json"}, ".json", false, false},
		{[]string{"", ".json"}, "a.JSON", false, false},
		{[]string{"", ".json"}, "a.JSON", true, true},
		{[]string{"a", "a"}, "aa", false, false},
		{[]string{"a", "a"}, "aba", false, true},
		{[]string{"v", ".", ""}, "v1.2", false, true},
		{[]string{"v", ".", ""}, "v..2", false, true}, // major ".", minor "2"
		{[]string{"v", ".", ""}, "v1..", false, true},
		{[]string{"v", ".", ""}, "v1.", false, false},
		{[]string{"", "-", ""}, "a-b", false, true},
		{[]string{"", "-", ""}, "-b", false, false},
		{[]string{"", "-", ""}, "a-", false, false},
		{[]string{"", "-", "-c", ""}, "x-y-z-cw", false, true},
		{[]string{"", "-", "-c", ""}, "x-y", false, false},
		{[]string{"", "::", ""}, "a:::b", false, true},
		{[]string{"", "::", ""}, "a::", false, false},
	}
	for _, tt := range tests {
		if got := matchParam(tt.lits, tt.seg, tt.fold); got != tt.want {
			t.Errorf("matchParam(%q, %q, %v) = %v, want %v", tt.lits, tt.seg, tt.fold, got, tt.want)
		}
		if tt.want != paramRegexp(tt.lits, tt.fold).MatchString(tt.seg) && len(tt.lits) >= 2 {
			t.Errorf("test case disagrees with the regexp: %q %q", tt.lits, tt.seg)
		}
	}
}

// TestGuardRouteBaseReadingsDisagree: with base /api, /api/admin is the
// public /admin to the guard and to a router mounted at /api, but the
// protected /{tenant}/admin to a router mounted at the root. No one policy
// fits both: refused. A path that only one reading matches still routes.
func TestGuardRouteBaseReadingsDisagree(t *testing.T) {
	ops := []Operation{
		{ID: "publicAdmin", Method: "GET", Path: "/admin", Public: true},
		{ID: "tenantAdmin", Method: "GET", Path: "/{tenant}/admin", Security: []Alternative{{req(0)}}},
	}
	s := &Spec{Title: "t", Schemes: []Scheme{{Name: "k", Type: APIKey, In: InHeader, Param: "X-Key"}},
		Operations: ops, Routes: buildRoutes(ops), BasePaths: []string{"/api"}}
	for _, opts := range []Options{{}, {AllowUnlisted: true}} {
		g := mustGuard(t, s, []Verifier{accept(nil)}, opts)
		fg := fuzzGuard{g: g, oracles: []*oracle{newOracle(s, "net/http without base", "", false)}}
		checkRoute(t, fg, opts.AllowUnlisted, newRequest("GET", "/api/admin"))
		for target, want := range map[string]string{"/api/admin": "400", "/api/acme/admin": "op tenantAdmin"} {
			if got := describeRoute(g, newRequest("GET", target)); got != want {
				t.Errorf("AllowUnlisted=%v, GET %s: got %q, want %q", opts.AllowUnlisted, target, got, want)
			}
		}
	}
	// Without a root parameter or a root literal like the base, the whole
	// path never matches: no second reading is needed.
	if g := mustGuard(t, routeSpec(), []Verifier{accept(nil)}, Options{}); g.baseAmbiguous {
		t.Error("routeSpec's base /api is ambiguous to the guard")
	}
}

// A key-value / CouchDB-like API (/{db}, /{db}/{doc}, /{db}/{doc}/{att})
// served under base /v1: the whole path, base and all, matches the
// next-deeper template too, but every reading has the same checks, so the
// request routes (it was refused with 400).
func TestGuardRouteRootParamsUnderBase(t *testing.T) {
	ops := []Operation{
		{ID: "getDB", Method: "GET", Path: "/{db}", Security: []Alternative{{req(0)}}},
		{ID: "getDoc", Method: "GET", Path: "/{db}/{doc}", Security: []Alternative{{req(0)}}},
		{ID: "getAtt", Method: "GET", Path: "/{db}/{doc}/{att}", Security: []Alternative{{req(0)}}},
	}
	s := &Spec{Title: "t", Schemes: []Scheme{{Name: "k", Type: APIKey, In: InHeader, Param: "X-Key"}},
		Operations: ops, Routes: buildRoutes(ops), BasePaths: []string{"/v1"}}
	g := mustGuard(t, s, []Verifier{accept(nil)}, Options{})
	for target, want := range map[string]string{
		"/v1/photos":         "op getDB",
		"/v1/photos/cat":     "op getDoc",
		"/v1/photos/cat/jpg": "op getAtt",
	} {
		if got := describeRoute(g, newRequest("GET", target)); got != want {
			t.Errorf("GET %s: got %q, want %q", target, got, want)
		}
	}
}

// The guard reads /v1/photos/cat as getDoc (base /v1 stripped); a router
// mounted without the base runs getAtt (db=v1). getAtt is rate limited,
// getDoc is not: the two must not be treated as the same policy.
func TestGuardRouteReadingsDifferInRateLimits(t *testing.T) {
	ops := []Operation{
		{ID: "getDB", Method: "GET", Path: "/{db}", Security: []Alternative{{req(0)}}},
		{ID: "getDoc", Method: "GET", Path: "/{db}/{doc}", Security: []Alternative{{req(0)}}},
		{ID: "getAtt", Method: "GET", Path: "/{db}/{doc}/{att}", Security: []Alternative{{req(0)}},
			RateLimits: []RateLimitRule{{Name: "expensive", Limit: 1, Per: time.Hour, By: RateByKey}}},
	}
	s := &Spec{Title: "t", Schemes: []Scheme{{Name: "k", Type: APIKey, In: InHeader, Param: "X-Key"}},
		Operations: ops, Routes: buildRoutes(ops), BasePaths: []string{"/v1"}}
	g := mustGuard(t, s, []Verifier{accept(map[string]*Identity{"key": ident("alice")})}, Options{})
	if got := describeRoute(g, newRequest("GET", "/v1/photos/cat")); got != "400" {
		t.Errorf("GET /v1/photos/cat: got %q, want 400 (getAtt's rate limit would not apply)", got)
	}
	// Behaviour: three calls, all served although a router without the base
	// runs getAtt, limited to 1 per hour.
	h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	served := 0
	for i := 0; i < 3; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, newRequest("GET", "/v1/photos/cat", "X-Key", "key"))
		if w.Code == 200 {
			served++
		}
	}
	if served > 1 {
		t.Errorf("getAtt (1/hour) reachable %d times through its getDoc reading", served)
	}
}
