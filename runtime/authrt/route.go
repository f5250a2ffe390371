package authrt

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// RouteNode is one node of the route tree that authgen compiles from the
// document's path templates at generation time. The tree is matched one
// path segment at a time, with no regular expressions and no allocation.
type RouteNode struct {
	// Static lists the child nodes reached by a literal segment, sorted by
	// Segment.
	Static []RouteEdge
	// Params lists the child nodes reached by a segment holding path
	// parameters, most specific first.
	Params []RouteParam
	// Methods lists the operations whose path template ends at this node,
	// sorted by Method.
	Methods []RouteMethod
}

// RouteEdge is a literal path segment leading to Node.
type RouteEdge struct {
	Segment string
	Node    int
}

// RouteParam is a path segment with parameters leading to Node. Literals are
// the fixed parts around the parameters: "{id}" is ["", ""], "{name}.json" is
// ["", ".json"], "v{major}.{minor}" is ["v", ".", ""]. Each parameter must
// match at least one character.
type RouteParam struct {
	Literals []string
	Node     int
}

// RouteMethod maps an HTTP method at a node to an operation index.
type RouteMethod struct {
	Method    string
	Operation int
}

// routeResult says how a request path matched the tree.
type routeResult uint8

const (
	routeNone            routeResult = iota // no template matches the path
	routeFound                              // a template and method match
	routeMethodNotListed                    // a template matches, the method does not
)

// match finds the operation for method and path (base path already removed,
// no trailing slash except for "/"). Literal segments are preferred over
// parameters at every level; a literal branch that matches the path but not
// the method gives way to a parameter branch that matches both, as
// net/http's ServeMux does. fold makes literal comparisons case-insensitive.
func (n *Spec) match(method, path string, fold bool) (op int, res routeResult) {
	return n.matchWatched(method, path, fold, nil)
}

// foldWatch notes, during an exact match, whether the walk passed a node
// where matching with case folded could have gone another way: one where
// an exact literal did not lead to the result, and a literal or parameter
// pattern with letters offers a folded alternative (risky, from
// Spec.foldRisk). A walk that never did picks the same operation folded.
type foldWatch struct {
	risky []bool
	hit   bool
}

// matchWatched is match, noting fold risks in w when it is not nil.
func (n *Spec) matchWatched(method, path string, fold bool, w *foldWatch) (op int, res routeResult) {
	if len(n.Routes) == 0 {
		return -1, routeNone
	}
	return n.matchNode(0, method, path, fold, w)
}

func (n *Spec) matchNode(node int, method, path string, fold bool, w *foldWatch) (int, routeResult) {
	rn := &n.Routes[node]
	if path == "" || path == "/" {
		if len(rn.Methods) == 0 {
			return -1, routeNone
		}
		for _, m := range rn.Methods {
			if m.Method == method || fold && strings.EqualFold(m.Method, method) {
				return m.Operation, routeFound
			}
		}
		return rn.Methods[0].Operation, routeMethodNotListed
	}
	// path starts with '/'.
	seg, rest := path[1:], ""
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg, rest = seg[:i], seg[i:]
	}
	best, bestRes := -1, routeNone
	try := func(child int) bool {
		op, res := n.matchNode(child, method, rest, fold, w)
		if res == routeFound {
			best, bestRes = op, res
			return true
		}
		if res == routeMethodNotListed && bestRes == routeNone {
			best, bestRes = op, res
		}
		return false
	}
	if child, ok := staticChild(rn.Static, seg); ok && try(child) {
		return best, bestRes
	}
	if w != nil && w.risky[node] && hasCased(seg) {
		w.hit = true
	}
	if fold {
		// Several literals may fold to the same segment; try the others.
		for _, e := range rn.Static {
			if e.Segment != seg && strings.EqualFold(e.Segment, seg) && try(e.Node) {
				return best, bestRes
			}
		}
	}
	if seg != "" {
		for i := range rn.Params {
			if matchParam(rn.Params[i].Literals, seg, fold) && try(rn.Params[i].Node) {
				return best, bestRes
			}
		}
	}
	return best, bestRes
}

// staticChild finds seg among edges, sorted by Segment, by binary search.
func staticChild(edges []RouteEdge, seg string) (int, bool) {
	lo, hi := 0, len(edges)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if edges[mid].Segment < seg {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(edges) && edges[lo].Segment == seg {
		return edges[lo].Node, true
	}
	return 0, false
}

// matchParam reports whether seg fits the literals of a parameter segment,
// each parameter taking at least one character. Literals in between are
// matched at their first occurrence.
func matchParam(lits []string, seg string, fold bool) bool {
	if len(lits) < 2 {
		return false
	}
	first, last := lits[0], lits[len(lits)-1]
	if len(seg) < len(first)+len(last)+len(lits)-1 ||
		!hasPrefix(seg, first, fold) || !hasSuffix(seg, last, fold) {
		return false
	}
	mid := seg[len(first) : len(seg)-len(last)]
	for _, lit := range lits[1 : len(lits)-1] {
		// The parameter before lit takes at least one character (a whole
		// rune: a parameter never ends inside a UTF-8 sequence).
		if len(mid) < 1 {
			return false
		}
		_, size := utf8.DecodeRuneInString(mid)
		i := index(mid[size:], lit, fold)
		if i < 0 {
			return false
		}
		mid = mid[size+i+len(lit):]
	}
	return len(mid) >= 1
}

func hasPrefix(s, p string, fold bool) bool {
	if fold {
		return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
	}
	return strings.HasPrefix(s, p)
}

func hasSuffix(s, p string, fold bool) bool {
	if fold {
		return len(s) >= len(p) && strings.EqualFold(s[len(s)-len(p):], p)
	}
	return strings.HasSuffix(s, p)
}

func index(s, sub string, fold bool) int {
	if !fold {
		return strings.Index(s, sub)
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// routing is what the middleware does with a request before authentication.
type routing uint8

const (
	routed          routing = iota // enforce the operation's security
	passThrough                    // CORS preflight, or unlisted and allowed
	badPath                        // not in canonical form: 400
	notListed                      // no operation: 404
	methodNotListed                // path listed, method not: 405
)

// route finds the operation a request targets. Paths are matched as the
// application's router will see them, and anything that could be read two
// ways is refused, so that no spelling of a path reaches a handler without
// its operation's checks.
func (g *Guard) route(r *http.Request) (op int, res routing, allow []string) {
	path := r.URL.Path
	// A backslash, literal or encoded, is a separator to some servers.
	if !canonicalPath(path) || strings.IndexByte(path, '\\') >= 0 ||
		(r.URL.RawPath != "" && hasEncodedSlash(r.URL.RawPath)) {
		return -1, badPath, nil
	}
	op, res, allow = g.routePath(r, path)
	// RawPath is set when the client escaped the path in a way other than
	// the default ("/items/m%69ne"). Routers disagree on which form they
	// match (net/http decodes, chi and echo use RawPath), so both must lead
	// to the same place, or the request is refused.
	if raw := r.URL.RawPath; raw != "" {
		if op2, res2, _ := g.routePath(r, raw); op2 != op || res2 != res {
			return -1, badPath, nil
		}
	}
	return op, res, allow
}

// routePath is route for one spelling of the request path, already checked
// to be canonical.
func (g *Guard) routePath(r *http.Request, path string) (op int, res routing, allow []string) {
	if len(path) > 1 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	rel, ok := g.stripBase(path, false)
	method := r.Method
	if method == http.MethodOptions && ok && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		// A CORS preflight never carries credentials; the application's
		// CORS handler answers it. Only listed paths get through, and not
		// to a listed OPTIONS operation, which keeps its checks (anyone can
		// send the two headers).
		if _, m := g.spec.match(method, rel, false); m == routeMethodNotListed {
			return -1, passThrough, nil
		}
	}
	m := routeNone
	var w *foldWatch
	if g.foldRisk != nil {
		w = &foldWatch{risky: g.foldRisk}
	}
	if ok {
		op, m = g.matchMethodWatched(method, rel, false, w)
	}
	switch {
	case m == routeFound:
		// A case-insensitive router may hand this path to another
		// operation than the one it matches exactly (/items/ADMIN:
		// {id} exactly, admin folded): refused, whatever the options,
		// unless the two have the same checks.
		if w != nil && w.hit {
			if op2, m2 := g.matchMethod(method, rel, true); m2 == routeFound && !g.samePolicy(op, op2) {
				return -1, badPath, nil
			}
		}
		// A router mounted without the base path reads the whole path
		// (/api/admin: /{tenant}/admin, where the guard read /admin).
		if g.baseAmbiguous && len(rel) < len(path) {
			for _, fold := range []bool{false, g.foldRisk != nil} {
				if op2, m2 := g.matchMethod(method, path, fold); m2 == routeFound && !g.samePolicy(op, op2) {
					return -1, badPath, nil
				}
			}
		}
		return op, routed, nil
	case !g.allowAll && m == routeMethodNotListed:
		return -1, methodNotListed, g.allowed(rel)
	case !g.allowAll:
		return -1, notListed, nil
	}
	// Unlisted requests may pass, but not one that a lenient router
	// (case-insensitive, or mounted without the base path) would hand to a
	// listed operation's handler: those get that operation's checks. If
	// the readings disagree (/items/MINE without the base: {id} to a
	// case-sensitive router, mine folded), no one operation's checks fit
	// every router: refused.
	found := -1
	for _, c := range [...]struct {
		path string
		ok   bool
		fold bool
	}{
		{rel, ok, true},
		{g.foldBase(path), true, true},
		{path, true, false},
		{path, true, true},
	} {
		if !c.ok || c.path == "" {
			continue
		}
		if op, m = g.matchMethod(method, c.path, c.fold); m != routeFound {
			continue
		}
		if found >= 0 && !g.samePolicy(op, found) {
			return -1, badPath, nil
		}
		found = op
	}
	if found >= 0 {
		return found, routed, nil
	}
	// Nor one below a listed path: routers that match prefixes (ServeMux's
	// "/admin/" subtree, "{rest...}" wildcards) would hand it to the listed
	// operation's handler. Such requests are refused, not passed.
	if rel, ok = g.stripBase(path, true); (ok && g.spec.belowListed(0, rel)) || g.spec.belowListed(0, path) {
		return -1, notListed, nil
	}
	return -1, passThrough, nil
}

// foldRisk returns, per route node, whether matching with case folded
// could take another way there than matching exactly: the node has a
// literal with letters (which a case variant of the segment reaches
// folded), or a parameter pattern whose literals have letters
// ("{name}.json"), either of which may win over what the exact match found
// here or, after backtracking, above. nil when no node has: then the guard
// never needs the folded match for a request it matched.
func (n *Spec) foldRisk() []bool {
	var risky []bool
	for i := range n.Routes {
		rn := &n.Routes[i]
		r := false
		for _, e := range rn.Static {
			r = r || hasCased(e.Segment)
		}
		for _, p := range rn.Params {
			for _, l := range p.Literals {
				r = r || hasCased(l)
			}
		}
		if r && risky == nil {
			risky = make([]bool, len(n.Routes))
		}
		if r {
			risky[i] = true
		}
	}
	return risky
}

// samePolicy reports whether operations a and b have the same checks
// (public or not, the same alternatives, claim rules and rate limits), so
// that a request checked as one may run as the other. (The principal and
// the audit record then name the one the guard read.)
func (g *Guard) samePolicy(a, b int) bool { return a == b || g.policy[a] == g.policy[b] }

// baseAmbiguous reports whether a request path that starts with one of
// bases could also match a template as it is, base and all: the route tree's
// root has a parameter, or a literal that is (case folded) the first
// segment of a base. Only then must the guard compare that reading with the
// one without the base.
func (n *Spec) baseAmbiguous(bases []string) bool {
	if len(n.Routes) == 0 {
		return false
	}
	root := &n.Routes[0]
	for _, b := range bases {
		if b == "" {
			continue
		}
		if len(root.Params) > 0 {
			return true
		}
		first, _, _ := strings.Cut(b[1:], "/")
		for _, e := range root.Static {
			if strings.EqualFold(e.Segment, first) {
				return true
			}
		}
	}
	return false
}

// hasCased reports whether s holds a letter that has another case.
func hasCased(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// foldBase is path without a base path matched case-insensitively, or ""
// when none matches.
func (g *Guard) foldBase(path string) string {
	rel, ok := g.stripBase(path, true)
	if !ok {
		return ""
	}
	return rel
}

// belowListed reports whether path extends a listed path template by at
// least one segment (matching case-insensitively, as the lenient routers
// AllowUnlisted guards against might).
func (n *Spec) belowListed(node int, path string) bool {
	if len(n.Routes) == 0 || path == "" || path == "/" {
		return false
	}
	rn := &n.Routes[node]
	// The root is not a prefix of everything: see Options.AllowUnlisted.
	if len(rn.Methods) > 0 && node != 0 {
		return true
	}
	seg, rest := path[1:], ""
	if i := strings.IndexByte(seg, '/'); i >= 0 {
		seg, rest = seg[:i], seg[i:]
	}
	for _, e := range rn.Static {
		if strings.EqualFold(e.Segment, seg) && n.belowListed(e.Node, rest) {
			return true
		}
	}
	if seg != "" {
		for i := range rn.Params {
			if matchParam(rn.Params[i].Literals, seg, true) && n.belowListed(rn.Params[i].Node, rest) {
				return true
			}
		}
	}
	return false
}

// matchMethod matches method and path; HEAD falls back to GET's operation,
// as net/http serves HEAD with the GET handler.
func (g *Guard) matchMethod(method, path string, fold bool) (int, routeResult) {
	return g.matchMethodWatched(method, path, fold, nil)
}

// matchMethodWatched is matchMethod, noting fold risks in w when not nil.
func (g *Guard) matchMethodWatched(method, path string, fold bool, w *foldWatch) (int, routeResult) {
	op, m := g.spec.matchWatched(method, path, fold, w)
	if m != routeFound && (method == http.MethodHead || fold && strings.EqualFold(method, http.MethodHead)) {
		if op2, m2 := g.spec.matchWatched(http.MethodGet, path, fold, w); m2 == routeFound {
			return op2, m2
		}
	}
	return op, m
}

// allowed lists the methods listed for the path template of rel, for a 405's
// Allow header.
func (g *Guard) allowed(rel string) []string {
	var out []string
	for _, m := range []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"} {
		if _, res := g.matchMethod(m, rel, false); res == routeFound {
			out = append(out, m)
		}
	}
	return out
}

// stripBase removes the first base path that prefixes path. With no base
// paths configured, path is returned as is.
func (g *Guard) stripBase(path string, fold bool) (string, bool) {
	if len(g.basePaths) == 0 {
		return path, true
	}
	for _, b := range g.basePaths {
		if b == "" {
			return path, true
		}
		if len(path) < len(b) || !hasPrefix(path, b, fold) {
			continue
		}
		if rest := path[len(b):]; rest == "" {
			return "/", true
		} else if rest[0] == '/' {
			return rest, true
		}
	}
	return "", false
}

// canonicalPath reports whether p is an absolute path with no empty segment
// (except a trailing slash) and no dot segment.
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 1; i <= len(p); i++ {
		start := i
		for i < len(p) && p[i] != '/' {
			i++
		}
		switch p[start:i] {
		case "":
			if i != len(p) {
				return false
			}
		case ".", "..":
			return false
		}
	}
	return true
}

// hasEncodedSlash reports whether an escaped path encodes '/' or '\': routers
// disagree on whether "%2F" splits a segment, so such paths are refused.
func hasEncodedSlash(raw string) bool {
	for i := 0; i+2 < len(raw); i++ {
		if raw[i] == '%' && ((raw[i+1] == '2' && (raw[i+2] == 'f' || raw[i+2] == 'F')) ||
			(raw[i+1] == '5' && (raw[i+2] == 'c' || raw[i+2] == 'C'))) {
			return true
		}
	}
	return false
}
