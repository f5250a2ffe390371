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
// node tree (JSON is YAML, so one index serves both).
type locator struct {
	root *yaml.Node
}

// find returns the position of the deepest node on the path; elems are
// mapping keys (string) and sequence indexes (int).
func (l *locator) find(elems []any) (line, col int) {
	n := l.root
	if n == nil {
		return 0, 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line, col = n.Line, n.Column
	for _, e := range elems {
		switch v := e.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return
			}
			next := (*yaml.Node)(nil)
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == v {
					line, col = n.Content[i].Line, n.Content[i].Column
					next = n.Content[i+1]
					break
				}
			}
			if next == nil {
				return
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || v < 0 || v >= len(n.Content) {
				return
			}
			n = n.Content[v]
			line, col = n.Line, n.Column
		}
	}
	return line, col
}

// problems collects findings for one spec.
type problems struct {
	file string
	loc  *locator
	list []Problem
}

func (ps *problems) add(warning bool, elems []any, format string, args ...any) {
	line, col := ps.loc.find(elems)
	ps.list = append(ps.list, Problem{
		File: ps.file, Line: line, Col: col, Path: specPath(elems...),
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
