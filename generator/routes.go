package generator

import (
	"sort"
	"strings"
)

// The route tree is compiled here, at generation time, and emitted as data
// (authrt.RouteNode values) that the runtime walks one segment at a time.

type rnode struct {
	path    string // template prefix, for the generated comment
	static  map[string]*rnode
	params  []*rparam
	methods map[string]int // method → operation index
	index   int
}

type rparam struct {
	key  string   // the segment with parameter names removed: "{}.json"
	lits []string // literal pieces around the parameters
	node *rnode
}

// routeConflict is two operations that one request would match equally.
type routeConflict struct {
	first, second int
}

// buildRoutes compiles the operations' path templates into a tree and
// returns its nodes in emission order (root first).
func buildRoutes(ops []*operation) ([]*rnode, []routeConflict) {
	root := &rnode{path: "/"}
	var conflicts []routeConflict
	for i, op := range ops {
		n := root
		prefix := ""
		for _, seg := range templateSegments(routePath(op.Path)) {
			prefix += "/" + seg
			if !strings.Contains(seg, "{") {
				if n.static == nil {
					n.static = map[string]*rnode{}
				}
				child := n.static[seg]
				if child == nil {
					child = &rnode{path: prefix}
					n.static[seg] = child
				}
				n = child
				continue
			}
			key, lits := paramPattern(seg)
			var child *rnode
			for _, p := range n.params {
				if p.key == key {
					child = p.node
				}
			}
			if child == nil {
				child = &rnode{path: prefix}
				n.params = append(n.params, &rparam{key: key, lits: lits, node: child})
			}
			n = child
		}
		if n.methods == nil {
			n.methods = map[string]int{}
		}
		if prev, dup := n.methods[op.Method]; dup {
			conflicts = append(conflicts, routeConflict{prev, i})
			continue
		}
		n.methods[op.Method] = i
	}
	var out []*rnode
	var walk func(n *rnode)
	walk = func(n *rnode) {
		n.index = len(out)
		out = append(out, n)
		for _, seg := range sortedKeys(n.static) {
			walk(n.static[seg])
		}
		sort.SliceStable(n.params, func(i, j int) bool { return moreSpecific(n.params[i], n.params[j]) })
		for _, p := range n.params {
			walk(p.node)
		}
	}
	walk(root)
	return out, conflicts
}

// routePath is the part of a path template that requests are matched on:
// some specs key variants of one path by a query ("/responses?beta=true"),
// which routing cannot see.
func routePath(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// templateSegments splits a path template into segments, ignoring a
// trailing slash (the runtime matches "/x/" as "/x").
func templateSegments(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// paramPattern splits a segment with parameters into its literal pieces:
// "{name}.json" → key "{}.json", literals ["", ".json"].
func paramPattern(seg string) (string, []string) {
	var lits []string
	var key strings.Builder
	rest := seg
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			lits = append(lits, rest)
			key.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 { // checkTemplate refuses these; never loop on one
			lits = append(lits, rest)
			key.WriteString(rest)
			break
		}
		lits = append(lits, rest[:i])
		key.WriteString(rest[:i])
		key.WriteString("{}")
		rest = rest[i+j+1:]
	}
	return key.String(), lits
}

// moreSpecific orders parameter segments: more literal text first, then
// fewer parameters, then by key, so that "{id}.json" is tried before "{id}".
func moreSpecific(a, b *rparam) bool {
	la, lb := litLen(a.lits), litLen(b.lits)
	if la != lb {
		return la > lb
	}
	if len(a.lits) != len(b.lits) {
		return len(a.lits) < len(b.lits)
	}
	return a.key < b.key
}

func litLen(lits []string) int {
	n := 0
	for _, l := range lits {
		n += len(l)
	}
	return n
}
