package generator

import (
	"fmt"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// Problem is one finding about a spec: an error that stops generation, or a
// warning. It prints as "file:line:col: spec.path: message".
type Problem struct {
	File    string
	Line    int
	Col     int
	Path    string // spec path, e.g. paths./v1/chat.post.security[0]
	Message string
	Warning bool
	// Code names the check that found the problem, for `authgen check`
	// ("no-security", "apikey-in-query", ...); empty for load errors.
	Code string `json:",omitempty"`
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Code != "" {
		b.WriteString(" [")
		b.WriteString(p.Code)
		b.WriteString("]")
	}
	return b.String()
}

// specPath builds a spec path from its elements: names join with ".", and
// integer indexes print as "[i]".
func specPath(elems ...any) string {
	var b strings.Builder
	for _, e := range elems {
		switch v := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

// locator finds the line and column of a spec path in the document's YAML
// node tree (JSON is YAML, so one index serves both), following the path
// items' $refs that prune resolved into other nodes or files.
type locator struct {
	root *yaml.Node
	refs map[*yaml.Node]locTarget
}

// locTarget is where a path item's $ref led: a node, in file ("" for the
// document itself).
type locTarget struct {
	node *yaml.Node
	file string
}

// follow records that the path item from refers, by $ref, to to in file.
func (l *locator) follow(from, to *yaml.Node, file string) {
	if l.refs == nil {
		l.refs = map[*yaml.Node]locTarget{}
	}
	l.refs[deref(from)] = locTarget{deref(to), file}
}

// findIn returns the position of the deepest node on the path, and the
// file it is in: "" for the document, or a file a path item's $ref named.
// elems are mapping keys (string) and sequence indexes (int).
func (l *locator) findIn(elems []any) (file string, line, col int) {
	n := l.root
	if n == nil {
		return "", 0, 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line, col = n.Line, n.Column
	cur := "" // the file n is in
	for _, e := range elems {
		switch v := e.(type) {
		case string:
			var next *yaml.Node
			// A key beside a $ref wins over the referenced item's, as
			// prune merges them; hops bounds a $ref loop.
			for hops := 0; next == nil && hops < 64; hops++ {
				if n.Kind != yaml.MappingNode {
					return
				}
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == v {
						file, line, col = cur, n.Content[i].Line, n.Content[i].Column
						next = n.Content[i+1]
						break
					}
				}
				if next == nil {
					t, ok := l.refs[n]
					if !ok {
						return
					}
					n, cur = t.node, t.file
				}
			}
			if next == nil {
				return
			}
			n = deref(next)
		case int:
			if n.Kind != yaml.SequenceNode || v < 0 || v >= len(n.Content) {
				return
			}
			n = deref(n.Content[v])
			file, line, col = cur, n.Line, n.Column
		}
	}
	return file, line, col
}

// problems collects findings for one spec.
type problems struct {
	file string
	loc  *locator
	list []Problem
}

func (ps *problems) add(warning bool, elems []any, format string, args ...any) {
	file, line, col := ps.loc.findIn(elems)
	if file == "" {
		file = ps.file
	}
	ps.list = append(ps.list, Problem{
		File: file, Line: line, Col: col, Path: specPath(elems...),
		Message: fmt.Sprintf(format, args...), Warning: warning,
	})
}

func (ps *problems) errorf(elems []any, format string, args ...any) {
	ps.add(false, elems, format, args...)
}

func (ps *problems) warnf(elems []any, format string, args ...any) {
	ps.add(true, elems, format, args...)
}

func (ps *problems) errors() []Problem {
	var out []Problem
	for _, p := range ps.list {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

func (ps *problems) warnings() []Problem {
	var out []Problem
	for _, p := range ps.list {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// yamlErrorLine pulls "line N" out of a YAML parser error, so that syntax
// errors get a position like every other problem.
func yamlErrorLine(msg string) int {
	i := strings.Index(msg, "line ")
	if i < 0 {
		return 0
	}
	j := i + len("line ")
	k := j
	for k < len(msg) && msg[k] >= '0' && msg[k] <= '9' {
		k++
	}
	n, _ := strconv.Atoi(msg[j:k])
	return n
}
