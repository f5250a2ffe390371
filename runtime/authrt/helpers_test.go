package authrt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeVerifier accepts the credentials in its table and rejects the rest.
// "boom" is a technical failure, "down" an ErrUnavailable one and "nil"
// makes it return (nil, nil), which no verifier should do. It counts calls
// so tests can check that a credential is verified once.
type fakeVerifier struct {
	ids   map[string]*Identity
	calls atomic.Int64
	last  atomic.Value // string: the last credential it saw
}

func (f *fakeVerifier) Verify(_ context.Context, cred string) (*Identity, error) {
	f.calls.Add(1)
	f.last.Store(cred)
	switch cred {
	case "boom":
		return nil, errors.New("store down")
	case "down":
		return nil, fmt.Errorf("idp: %w", ErrUnavailable)
	case "nil":
		return nil, nil
	}
	if id, ok := f.ids[cred]; ok {
		return id, nil
	}
	return nil, Reject("the token is expired")
}

func accept(creds map[string]*Identity) *fakeVerifier { return &fakeVerifier{ids: creds} }

func ident(sub string, scopes ...string) *Identity {
	return &Identity{Subject: sub, Scopes: scopes, Claims: map[string]any{"sub": sub}}
}

// newRequest builds a request the way a server parses it (httptest uses
// http.ReadRequest), with headers given as name, value pairs.
func newRequest(method, target string, kv ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(kv); i += 2 {
		r.Header.Add(kv[i], kv[i+1])
	}
	return r
}

func mustGuard(t testing.TB, spec *Spec, vs []Verifier, opts Options) *Guard {
	t.Helper()
	g, err := NewGuard(spec, vs, opts)
	if err != nil {
		t.Fatalf("NewGuard: %v", err)
	}
	return g
}

// buildRoutes compiles the operations' path templates into a route tree,
// as the generator does (generator/routes.go): nodes in depth-first order,
// static edges sorted, parameter segments most specific first, methods
// sorted. The tests of route.go use a tree written by hand; this one is for
// specs too large to write by hand (benchmarks, fuzzing), and
// TestBuildRoutesMatchesHandWritten checks the two agree.
func buildRoutes(ops []Operation) []RouteNode {
	type pnode struct {
		static  map[string]*pnode
		params  []*pnode
		keys    []string
		lits    [][]string
		methods map[string]int
	}
	root := &pnode{}
	for i, op := range ops {
		n := root
		for _, seg := range strings.Split(strings.Trim(op.Path, "/"), "/") {
			if seg == "" {
				continue
			}
			if !strings.Contains(seg, "{") {
				if n.static == nil {
					n.static = map[string]*pnode{}
				}
				if n.static[seg] == nil {
					n.static[seg] = &pnode{}
				}
				n = n.static[seg]
				continue
			}
			key, lits := paramLits(seg)
			var child *pnode
			for k, pk := range n.keys {
				if pk == key {
					child = n.params[k]
				}
			}
			if child == nil {
				child = &pnode{}
				n.params = append(n.params, child)
				n.keys = append(n.keys, key)
				n.lits = append(n.lits, lits)
			}
			n = child
		}
		if n.methods == nil {
			n.methods = map[string]int{}
		}
		n.methods[op.Method] = i
	}
	var out []RouteNode
	var walk func(n *pnode) int
	walk = func(n *pnode) int {
		idx := len(out)
		out = append(out, RouteNode{})
		var rn RouteNode
		segs := make([]string, 0, len(n.static))
		for s := range n.static {
			segs = append(segs, s)
		}
		sort.Strings(segs)
		for _, s := range segs {
			rn.Static = append(rn.Static, RouteEdge{Segment: s, Node: walk(n.static[s])})
		}
		order := make([]int, len(n.params))
		for i := range order {
			order[i] = i
		}
		litLen := func(l []string) int { return len(strings.Join(l, "")) }
		sort.SliceStable(order, func(a, b int) bool {
			la, lb := n.lits[order[a]], n.lits[order[b]]
			if litLen(la) != litLen(lb) {
				return litLen(la) > litLen(lb)
			}
			if len(la) != len(lb) {
				return len(la) < len(lb)
			}
			return n.keys[order[a]] < n.keys[order[b]]
		})
		for _, k := range order {
			rn.Params = append(rn.Params, RouteParam{Literals: n.lits[k], Node: walk(n.params[k])})
		}
		for m, op := range n.methods {
			rn.Methods = append(rn.Methods, RouteMethod{Method: m, Operation: op})
		}
		sort.Slice(rn.Methods, func(a, b int) bool { return rn.Methods[a].Method < rn.Methods[b].Method })
		out[idx] = rn
		return idx
	}
	walk(root)
	return out
}

// paramLits splits "{name}.json" into key "{}.json" and literals
// ["", ".json"].
func paramLits(seg string) (string, []string) {
	var lits []string
	var key strings.Builder
	rest := seg
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			lits = append(lits, rest)
			key.WriteString(rest)
			return key.String(), lits
		}
		j := strings.IndexByte(rest[i:], '}')
		lits = append(lits, rest[:i])
		key.WriteString(rest[:i] + "{}")
		rest = rest[i+j+1:]
	}
}

// paramRegexp is the reference semantics of a parameter segment: its
// literals with one or more characters (no '/') in place of each parameter.
func paramRegexp(lits []string, fold bool) *regexp.Regexp {
	var b strings.Builder
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	for i, l := range lits {
		if i > 0 {
			b.WriteString("[^/]+")
		}
		b.WriteString(regexp.QuoteMeta(l))
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// templateRegexp is the reference semantics of a path template, matched
// against a path with the base path removed and no trailing slash.
func templateRegexp(tmpl string, fold bool) *regexp.Regexp {
	var b strings.Builder
	if fold {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	segs := strings.Split(strings.Trim(tmpl, "/"), "/")
	if len(segs) == 1 && segs[0] == "" {
		b.WriteString("/")
	}
	for _, seg := range segs {
		if seg == "" {
			continue
		}
		b.WriteString("/")
		_, lits := paramLits(seg)
		for i, l := range lits {
			if i > 0 {
				b.WriteString("[^/]+")
			}
			b.WriteString(regexp.QuoteMeta(l))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
