package generator

import (
	"fmt"
	"net/url"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// Auth needs a document's paths, operations, servers and security, nothing
// else. prune copies just those out of the node tree, so that a defect
// elsewhere (a dangling example $ref, a JSON Schema keyword a loader
// rejects, a malformed schema) cannot stop generation, and so that loading
// stays fast on multi-megabyte specs.
//
// What it keeps is copied deeply with YAML aliases expanded and merge keys
// ("<<") applied, so the loader sees exactly what a YAML reader would; keys
// keep their original positions, so the locator still finds every item.
// Duplicate keys, which YAML and JSON readers resolve differently (a second
// /admin path silently replacing the first), are errors.

// operationKeys are the Path Item Object's operation fields.
var operationKeys = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true, "options": true,
	"head": true, "patch": true, "trace": true, "query": true,
}

// maxExpandedNodes bounds the copy, so that an alias bomb fails fast.
const maxExpandedNodes = 2_000_000

// pruned is the auth-relevant part of a document, plus what pruning took
// out of places a loader would not accept it.
type pruned struct {
	root *yaml.Node
	// reqExt holds the x- keys found inside security requirement objects,
	// by the requirement's spec path ("paths./a.get.security[0]"); a
	// loader would read them as scheme names.
	reqExt map[string]map[string]*yaml.Node
	ps     *problems
	budget int
	// src is the file being pruned: the document, or a file that a path
	// item's $ref names (pathref.go).
	src source
	// read reads a file named by a $ref; files caches what it read.
	read  func(u *url.URL) ([]byte, error)
	files map[string]*fileResult
	// refErrors counts the errors about path item $refs, which do not stop
	// loading.
	refErrors int
}

// prune copies the auth-relevant part of the document top, named name;
// read reads the files that path items' $refs name.
func prune(top *yaml.Node, name string, read func(u *url.URL) ([]byte, error), ps *problems) *pruned {
	p := &pruned{
		reqExt: map[string]map[string]*yaml.Node{}, ps: ps, budget: maxExpandedNodes,
		src: source{name: name, top: top}, read: read, files: map[string]*fileResult{},
	}
	root := mapping(top)
	for _, kv := range p.pairs(top, nil) {
		k, v := kv[0], kv[1]
		switch key := k.Value; {
		case key == "openapi", key == "swagger", key == "servers", key == "host",
			key == "basePath", key == "schemes", key == "securityDefinitions", isExtension(key):
			root.Content = append(root.Content, k, p.deep(v))
		case key == "info":
			root.Content = append(root.Content, k, pick(deref(v), "title", "version"))
		case key == "security":
			root.Content = append(root.Content, k, p.security(v, []any{"security"}))
		case key == "paths":
			root.Content = append(root.Content, k, p.pathMap(v, []any{"paths"}))
		case key == "components":
			root.Content = append(root.Content, k, p.components(v))
		}
	}
	if mapValue(root, "info") == nil {
		// Loaders want an info object; its absence is no auth problem.
		root.Content = append(root.Content, scalar("info"), mapping(nil))
	}
	p.root = root
	return p
}

func (p *pruned) components(v *yaml.Node) *yaml.Node {
	v = deref(v)
	if v.Kind != yaml.MappingNode {
		return p.deep(v)
	}
	out := mapping(v)
	for _, kv := range p.pairs(v, []any{"components"}) {
		switch kv[0].Value {
		case "securitySchemes":
			out.Content = append(out.Content, kv[0], p.deep(kv[1]))
		case "pathItems":
			out.Content = append(out.Content, kv[0], p.pathMap(kv[1], []any{"components", "pathItems"}))
		}
	}
	return out
}

// pathMap prunes a map of path items (paths, or components.pathItems).
func (p *pruned) pathMap(v *yaml.Node, at []any) *yaml.Node {
	v = deref(v)
	if v.Kind != yaml.MappingNode {
		return p.deep(v)
	}
	out := mapping(v)
	for _, kv := range p.pairs(v, at) {
		if isExtension(kv[0].Value) {
			continue
		}
		self := p.src.name + "#" + pointer(at)
		out.Content = append(out.Content, kv[0], p.pathItem(kv[1], push(at, kv[0].Value), []string{self + "/" + escapePointer(kv[0].Value)}))
	}
	return out
}

// pathItem prunes a path item found at spec path at, resolving its $ref
// (pathref.go). chain names the path items followed to reach it, for
// cycle detection.
func (p *pruned) pathItem(v *yaml.Node, at []any, chain []string) *yaml.Node {
	v = deref(v)
	if v.Kind != yaml.MappingNode {
		return p.deep(v)
	}
	kvs := p.pairs(v, at)
	var base *yaml.Node
	for _, kv := range kvs {
		if kv[0].Value == "$ref" {
			base = p.refPathItem(v, kv[1], at, chain)
		}
	}
	out := mapping(v)
	for _, kv := range kvs {
		k, c := kv[0], kv[1]
		switch key := k.Value; {
		case key == "servers", isExtension(key):
			out.Content = append(out.Content, k, p.deep(c))
		case operationKeys[key]:
			out.Content = append(out.Content, k, p.operation(c, push(at, key)))
		case key == "additionalOperations":
			c = deref(c)
			if c.Kind != yaml.MappingNode {
				continue
			}
			ops := mapping(c)
			for _, op := range p.pairs(c, push(at, key)) {
				ops.Content = append(ops.Content, op[0], p.operation(op[1], push(at, key, op[0].Value)))
			}
			out.Content = append(out.Content, k, ops)
		}
	}
	if base != nil {
		// OpenAPI leaves a field both beside $ref and in the item it names
		// undefined; tools differ (kin-openapi lets the one beside win,
		// others keep the referenced one). For what auth reads, that is an
		// error: "get: {security: []}" beside a $ref to a protected item
		// must not quietly make it public. Other fields beside $ref win.
		for i := 0; i+1 < len(base.Content); i += 2 {
			key := base.Content[i].Value
			if mapValue(out, key) == nil {
				out.Content = append(out.Content, base.Content[i], base.Content[i+1])
			} else if operationKeys[key] || key == "servers" || key == "additionalOperations" || strings.HasPrefix(key, "x-authgen-") {
				p.ps.errorf(push(at, key), "%s is given both beside $ref and in the path item it names, which OpenAPI leaves undefined: keep one", key)
			}
		}
	}
	return out
}

func (p *pruned) operation(v *yaml.Node, at []any) *yaml.Node {
	v = deref(v)
	if v.Kind != yaml.MappingNode {
		return p.deep(v)
	}
	out := mapping(v)
	for _, kv := range p.pairs(v, at) {
		k, c := kv[0], kv[1]
		switch key := k.Value; {
		case key == "operationId", key == "servers", isExtension(key):
			out.Content = append(out.Content, k, p.deep(c))
		case key == "summary" && deref(c).Kind == yaml.ScalarNode:
			out.Content = append(out.Content, k, deref(c))
		case key == "security":
			out.Content = append(out.Content, k, p.security(c, push(at, key)))
		}
	}
	// Swagger 2.0 and 3.0 loaders want responses; their content is no
	// auth concern.
	out.Content = append(out.Content, scalar("responses"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		scalar("default"), {Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{scalar("description"), scalar("")}},
	}})
	return out
}

// security copies a list of requirement objects, moving authgen's own
// x-authgen- keys out of them into reqExt, and reports shapes a loader
// would reject without a useful position.
//
// A requirement object is not extensible in OpenAPI: every key names a
// security scheme, and "x-api-key" is a fine scheme name. So any other key,
// x- or not, stays a scheme name (an undeclared one is an error later);
// treating it as an extension would drop a scheme out of an AND, or turn
// "- x-api-key: []" into "{}", anonymous access. An object whose only keys
// are x-authgen- extensions is an error for the same reason.
func (p *pruned) security(v *yaml.Node, at []any) *yaml.Node {
	v = deref(v)
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return v
	}
	if v.Kind != yaml.SequenceNode {
		p.ps.errorf(at, "security must be a list of security requirement objects")
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: v.Line, Column: v.Column}
	for i, req := range v.Content {
		req = deref(req)
		here := push(at, i)
		if req.Kind != yaml.MappingNode {
			p.ps.errorf(here, "a security requirement must be an object mapping scheme names to scope lists")
			continue
		}
		r := mapping(req)
		pairs := p.pairs(req, here)
		for _, kv := range pairs {
			k, c := kv[0], deref(kv[1])
			if strings.HasPrefix(k.Value, "x-authgen-") {
				path := specPath(here...)
				if p.reqExt[path] == nil {
					p.reqExt[path] = map[string]*yaml.Node{}
				}
				p.reqExt[path][k.Value] = p.deep(c)
				continue
			}
			if c.Kind != yaml.SequenceNode {
				p.ps.errorf(push(here, k.Value), "the scopes of %q must be a list (use [] for none)", k.Value)
				continue
			}
			for j, s := range c.Content {
				if s = deref(s); s.Kind != yaml.ScalarNode {
					p.ps.errorf(push(here, k.Value, j), "a scope must be a string")
				}
			}
			r.Content = append(r.Content, k, p.deep(c))
		}
		if len(pairs) > 0 && len(r.Content) == 0 && p.reqExt[specPath(here...)] != nil {
			p.ps.errorf(here, "this security requirement has extensions but no security scheme; write {} for anonymous access, or add the scheme")
		}
		out.Content = append(out.Content, r)
	}
	return out
}

// pairs returns the key/value pairs of a mapping with merge keys applied:
// explicit keys win over merged ones, earlier merges over later ones. A key
// given twice is an error (reported at the second), and the first is kept.
func (p *pruned) pairs(m *yaml.Node, at []any) [][2]*yaml.Node {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out [][2]*yaml.Node
	seen := map[string]bool{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			v = deref(v)
			if v.Kind == yaml.SequenceNode {
				merges = append(merges, v.Content...)
			} else {
				merges = append(merges, v)
			}
			continue
		}
		if seen[k.Value] {
			line, col := k.Line, k.Column
			p.ps.list = append(p.ps.list, Problem{File: p.src.name, Line: line, Col: col, Path: specPath(push(at, k.Value)...),
				Message: fmt.Sprintf("key %q appears twice in this object; YAML and JSON readers disagree on which one counts", k.Value)})
			continue
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	for depth, src := range merges {
		if depth > 64 {
			break
		}
		for _, kv := range p.pairs(src, at) {
			if !seen[kv[0].Value] {
				seen[kv[0].Value] = true
				out = append(out, kv)
			}
		}
	}
	return out
}

// deep copies n with aliases expanded and merge keys applied, dropping
// anchors (every alias is expanded, so none is needed).
func (p *pruned) deep(n *yaml.Node) *yaml.Node {
	n = deref(n)
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	if p.budget--; p.budget < 0 {
		if p.budget == -1 {
			p.ps.errorf(nil, "the document's aliases expand to more than %d nodes", maxExpandedNodes)
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	}
	c := *n
	c.Anchor = ""
	switch n.Kind {
	case yaml.MappingNode:
		c.Content = nil
		for _, kv := range p.pairs(n, nil) {
			c.Content = append(c.Content, kv[0], p.deep(kv[1]))
		}
	case yaml.SequenceNode:
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, e := range n.Content {
			c.Content[i] = p.deep(e)
		}
	}
	return &c
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func mapping(pos *yaml.Node) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if pos != nil {
		m.Line, m.Column = pos.Line, pos.Column
	}
	return m
}

func push(at []any, elems ...any) []any {
	return append(append(make([]any, 0, len(at)+len(elems)), at...), elems...)
}

// pick copies the named scalar fields of a mapping.
func pick(v *yaml.Node, keys ...string) *yaml.Node {
	out := mapping(v)
	if v == nil || v.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		for _, k := range keys {
			if val := deref(v.Content[i+1]); v.Content[i].Value == k && val.Kind == yaml.ScalarNode {
				out.Content = append(out.Content, v.Content[i], val)
			}
		}
	}
	return out
}

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func isExtension(key string) bool { return strings.HasPrefix(key, "x-") }
