package generator

import (
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// Auth needs a document's paths, operations, servers and security, nothing
// else. prune copies just those out of the node tree, so that a defect
// elsewhere (a dangling example $ref, a JSON Schema keyword a loader
// rejects, a malformed schema) cannot stop generation, and so that loading
// stays fast on multi-megabyte specs. The copy shares the original nodes,
// whose spec paths are unchanged, so the locator still finds every item.

// operationKeys are the Path Item Object's operation fields.
var operationKeys = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true, "options": true,
	"head": true, "patch": true, "trace": true, "query": true,
}

// pruned is the auth-relevant part of a document, plus what pruning took
// out of places a loader would not accept it.
type pruned struct {
	root *yaml.Node
	// reqExt holds the x- keys found inside security requirement objects,
	// by the requirement's spec path ("paths./a.get.security[0]"); a
	// loader would read them as scheme names.
	reqExt map[string]map[string]*yaml.Node
}

func prune(top *yaml.Node) *pruned {
	p := &pruned{reqExt: map[string]map[string]*yaml.Node{}}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		switch key := k.Value; {
		case key == "openapi", key == "swagger", key == "servers", key == "host",
			key == "basePath", key == "schemes", key == "securityDefinitions", isExtension(key):
			root.Content = append(root.Content, k, v)
		case key == "info":
			root.Content = append(root.Content, k, pick(v, "title", "version"))
		case key == "security":
			root.Content = append(root.Content, k, p.security(v, []any{"security"}))
		case key == "paths":
			root.Content = append(root.Content, k, p.paths(v, []any{"paths"}))
		case key == "components":
			root.Content = append(root.Content, k, p.components(v))
		}
	}
	if mapValue(root, "info") == nil {
		// Loaders want an info object; its absence is no auth problem.
		root.Content = append(root.Content, scalar("info"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	}
	p.root = root
	return p
}

func (p *pruned) components(v *yaml.Node) *yaml.Node {
	if v.Kind != yaml.MappingNode {
		return v
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, c := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "securitySchemes":
			out.Content = append(out.Content, k, c)
		case "pathItems":
			out.Content = append(out.Content, k, p.pathMap(c, []any{"components", "pathItems"}))
		}
	}
	return out
}

func (p *pruned) paths(v *yaml.Node, at []any) *yaml.Node {
	return p.pathMap(v, at)
}

// pathMap prunes a map of path items (paths, or components.pathItems).
func (p *pruned) pathMap(v *yaml.Node, at []any) *yaml.Node {
	if v.Kind != yaml.MappingNode {
		return v
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, item := v.Content[i], v.Content[i+1]
		if isExtension(k.Value) {
			continue
		}
		out.Content = append(out.Content, k, p.pathItem(item, append(append([]any{}, at...), k.Value)))
	}
	return out
}

func (p *pruned) pathItem(v *yaml.Node, at []any) *yaml.Node {
	if v.Kind != yaml.MappingNode {
		return v
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, c := v.Content[i], v.Content[i+1]
		switch key := k.Value; {
		case key == "$ref", key == "servers", isExtension(key):
			out.Content = append(out.Content, k, c)
		case operationKeys[key]:
			out.Content = append(out.Content, k, p.operation(c, append(append([]any{}, at...), key)))
		case key == "additionalOperations" && c.Kind == yaml.MappingNode:
			ops := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: c.Line, Column: c.Column}
			for j := 0; j+1 < len(c.Content); j += 2 {
				ops.Content = append(ops.Content, c.Content[j], p.operation(c.Content[j+1], append(append([]any{}, at...), key, c.Content[j].Value)))
			}
			out.Content = append(out.Content, k, ops)
		}
	}
	return out
}

func (p *pruned) operation(v *yaml.Node, at []any) *yaml.Node {
	if v.Kind != yaml.MappingNode {
		return v
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, c := v.Content[i], v.Content[i+1]
		switch key := k.Value; {
		case key == "operationId", key == "servers", isExtension(key):
			out.Content = append(out.Content, k, c)
		case key == "summary" && c.Kind == yaml.ScalarNode:
			out.Content = append(out.Content, k, c)
		case key == "security":
			out.Content = append(out.Content, k, p.security(c, append(append([]any{}, at...), key)))
		}
	}
	// Swagger 2.0 and 3.0 loaders want responses; their content is no
	// auth concern.
	out.Content = append(out.Content, scalar("responses"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		scalar("default"), {Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{scalar("description"), scalar("")}},
	}})
	return out
}

// security copies a list of requirement objects, moving x- keys out of
// them into reqExt.
func (p *pruned) security(v *yaml.Node, at []any) *yaml.Node {
	if v.Kind != yaml.SequenceNode {
		return v
	}
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: v.Line, Column: v.Column}
	for i, req := range v.Content {
		if req.Kind != yaml.MappingNode {
			out.Content = append(out.Content, req)
			continue
		}
		r := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: req.Line, Column: req.Column}
		for j := 0; j+1 < len(req.Content); j += 2 {
			k, c := req.Content[j], req.Content[j+1]
			if isExtension(k.Value) {
				path := specPath(append(append([]any{}, at...), i)...)
				if p.reqExt[path] == nil {
					p.reqExt[path] = map[string]*yaml.Node{}
				}
				p.reqExt[path][k.Value] = c
				continue
			}
			r.Content = append(r.Content, k, c)
		}
		out.Content = append(out.Content, r)
	}
	return out
}

// pick copies the named scalar fields of a mapping.
func pick(v *yaml.Node, keys ...string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
	if v.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		for _, k := range keys {
			if v.Content[i].Value == k && v.Content[i+1].Kind == yaml.ScalarNode {
				out.Content = append(out.Content, v.Content[i], v.Content[i+1])
			}
		}
	}
	return out
}

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func isExtension(key string) bool { return strings.HasPrefix(key, "x-") }
