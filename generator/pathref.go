package generator

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// A path item may be a $ref: to another path item of the document
// ("#/paths/~1a", "#/components/pathItems/a") or to a file ("paths/a.yaml",
// "common.yaml#/items"). prune resolves these itself, in every version,
// instead of leaving them to kin-openapi:
//
//   - kin-openapi loads a referenced file in full, so a defect there that
//     has nothing to do with auth (a dangling schema $ref, a bad schema
//     keyword) would stop generation, reported at the document's 1:1;
//   - it drops a path item whose $refs loop without a word, and Swagger
//     2.0's converter drops every path-item $ref: either way the path's
//     operations vanish from the policy (404, or unauthenticated with
//     AllowUnlisted). Here a loop or a $ref that cannot be read is an error.
//
// A file is read once, through Config.ReadFile, and pruned like the
// document. The locator learns where each $ref led, so that problems inside
// a referenced file carry that file's name and positions.

// source is a file being pruned: its name as problems print it, and its
// top-level node, against which "#/..." references resolve.
type source struct {
	name string
	top  *yaml.Node
}

// fileResult is a file read for a $ref, or why it could not be.
type fileResult struct {
	src source
	err string
}

// refPathItem resolves the $ref ref of the path item v (spec path at) and
// returns the pruned item it names, or nil when it cannot be resolved
// (reported). chain names the path items followed so far.
func (p *pruned) refPathItem(v, ref *yaml.Node, at []any, chain []string) *yaml.Node {
	refAt := push(at, "$ref")
	ref = deref(ref)
	if ref.Kind != yaml.ScalarNode || ref.Value == "" {
		p.refErrorf(refAt, "a path item's $ref must be a non-empty string")
		return nil
	}
	src, target, id, ok := p.follow(ref.Value, refAt)
	if !ok {
		return nil
	}
	for i, seen := range chain {
		if seen == id {
			loop := append(append([]string{}, chain[i:]...), id)
			for j := range loop {
				loop[j] = p.refName(loop[j])
			}
			p.refErrorf(refAt, "path item $ref is circular (%s): the path's operations cannot be read", strings.Join(loop, " -> "))
			return nil
		}
	}
	if deref(target).Kind != yaml.MappingNode {
		p.refErrorf(refAt, "path item $ref %q does not name a path item object", ref.Value)
		return nil
	}
	p.ps.loc.follow(v, target, src.name)
	saved := p.src
	p.src = src
	defer func() { p.src = saved }()
	return p.pathItem(target, at, append(chain, id))
}

// follow finds the node that ref names, relative to the file being pruned:
// the file it is in, the node, and an identity ("file#/pointer") for cycle
// detection. Problems are reported at refAt.
func (p *pruned) follow(ref string, refAt []any) (src source, target *yaml.Node, id string, ok bool) {
	u, err := url.Parse(ref)
	if err != nil {
		p.refErrorf(refAt, "path item $ref %q is not a valid reference: %v", ref, err)
		return source{}, nil, "", false
	}
	src = p.src
	if u.Scheme != "" || u.Host != "" || u.Path != "" || u.Opaque != "" {
		file := p.openRef(u)
		if file.err != "" {
			// Reported at each $ref: each is a path whose operations are lost.
			p.refErrorf(refAt, "path item $ref %q: %s", ref, file.err)
			return source{}, nil, "", false
		}
		src = file.src
	}
	frag := u.Fragment
	if frag != "" && !strings.HasPrefix(frag, "/") {
		p.refErrorf(refAt, "path item $ref %q: the part after # must be a JSON pointer (#/...)", ref)
		return source{}, nil, "", false
	}
	target = lookupPointer(src.top, frag)
	if target == nil {
		where := "the document"
		if src.name != p.ps.file {
			where = src.name
		}
		p.refErrorf(refAt, "path item $ref %q cannot be resolved: %s has no #%s", ref, where, frag)
		return source{}, nil, "", false
	}
	return src, target, src.name + "#" + frag, true
}

// openRef reads and parses the file that u names, relative to the file
// being pruned, once.
func (p *pruned) openRef(u *url.URL) *fileResult {
	name := u.Path
	if u.Scheme == "" && u.Host == "" && !path.IsAbs(name) {
		name = path.Join(path.Dir(strings.ReplaceAll(p.src.name, `\`, "/")), name)
	}
	file := *u
	file.Path, file.RawPath, file.Fragment, file.RawFragment = name, "", "", ""
	key := file.String()
	if f := p.files[key]; f != nil {
		return f
	}
	f := &fileResult{}
	p.files[key] = f
	data, err := p.read(&file)
	if err != nil {
		f.err = err.Error()
		return f
	}
	root, err := parseNodes(data)
	if err != nil {
		line, col, msg := syntaxPosition(err)
		f.err = fmt.Sprintf("cannot parse %s:%d:%d: %s", name, line, col, msg)
		return f
	}
	top := root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	f.src = source{name: name, top: top}
	return f
}

// refName is how a problem names a path item identity: "#/paths/~1a" in
// the document, "a.yaml" or "a.yaml#/x" in another file.
func (p *pruned) refName(id string) string {
	file, frag, _ := strings.Cut(id, "#")
	if file == p.ps.file {
		return "#" + frag
	}
	if frag == "" {
		return file
	}
	return file + "#" + frag
}

// refErrorf reports a path item $ref that cannot be followed. The item
// is left without what it names, which a loader reads without trouble, so
// loading goes on and the run reports the document's other problems too.
func (p *pruned) refErrorf(refAt []any, format string, args ...any) {
	p.ps.errorf(refAt, format, args...)
	p.refErrors++
}

// lookupPointer resolves the JSON pointer ptr ("" or "/a/b", with ~0 and
// ~1 escapes; url.Parse has undone percent escapes) from top.
func lookupPointer(top *yaml.Node, ptr string) *yaml.Node {
	n := deref(top)
	if ptr == "" {
		return n
	}
	for _, part := range strings.Split(ptr[1:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		n = deref(mapValue(n, part))
		if n == nil {
			return nil
		}
	}
	return n
}

// pointer turns spec path elements into a JSON pointer ("/paths/~1a").
func pointer(elems []any) string {
	var b strings.Builder
	for _, e := range elems {
		b.WriteByte('/')
		b.WriteString(escapePointer(fmt.Sprint(e)))
	}
	return b.String()
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
