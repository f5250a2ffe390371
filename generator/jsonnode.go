package generator

import (
	"encoding/json"
	"fmt"

	yaml "go.yaml.in/yaml/v4"
)

// parseJSONNodes parses a JSON document into the same node tree the YAML
// parser builds, with lines and columns, several times faster than reading
// JSON as YAML. Large real-world specs are JSON (Kubernetes, Jira, Slack),
// so this is most of the generator's time on them.
func parseJSONNodes(data []byte) (*yaml.Node, error) {
	p := &jsonParser{data: data, line: 1}
	p.skipSpace()
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.data) {
		return nil, p.errorf("unexpected %q after the end of the document", p.data[p.pos])
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: 1, Column: 1, Content: []*yaml.Node{n}}, nil
}

// maxDepth bounds nesting so that hostile input cannot exhaust memory.
const maxDepth = 512

type jsonParser struct {
	data      []byte
	pos       int
	line      int
	lineStart int
}

// jsonSyntaxError is a JSON syntax error with its position.
type jsonSyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("line %d column %d: %s", e.Line, e.Col, e.Msg)
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return &jsonSyntaxError{Line: p.line, Col: p.pos - p.lineStart + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case '\n':
			p.line++
			p.lineStart = p.pos + 1
		case ' ', '\t', '\r':
		default:
			return
		}
		p.pos++
	}
}

func (p *jsonParser) node(kind yaml.Kind) *yaml.Node {
	return &yaml.Node{Kind: kind, Line: p.line, Column: p.pos - p.lineStart + 1}
}

func (p *jsonParser) value(depth int) (*yaml.Node, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d levels", maxDepth)
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of the document")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		n := p.node(yaml.ScalarNode)
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n.Tag, n.Value, n.Style = "!!str", s, yaml.DoubleQuotedStyle
		return n, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	default:
		for _, lit := range [...]struct{ text, tag string }{{"true", "!!bool"}, {"false", "!!bool"}, {"null", "!!null"}} {
			if len(p.data)-p.pos >= len(lit.text) && string(p.data[p.pos:p.pos+len(lit.text)]) == lit.text {
				n := p.node(yaml.ScalarNode)
				n.Tag, n.Value = lit.tag, lit.text
				p.pos += len(lit.text)
				return n, nil
			}
		}
		return nil, p.errorf("unexpected %q", c)
	}
}

func (p *jsonParser) object(depth int) (*yaml.Node, error) {
	n := p.node(yaml.MappingNode)
	n.Tag = "!!map"
	p.pos++ // {
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("expected a member name in double quotes")
		}
		k := p.node(yaml.ScalarNode)
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		k.Tag, k.Value = "!!str", s
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("expected ':' after member name %q", s)
		}
		p.pos++
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, k, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of the document in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return n, nil
		default:
			return nil, p.errorf("expected ',' or '}' in an object, found %q", p.data[p.pos])
		}
	}
}

func (p *jsonParser) array(depth int) (*yaml.Node, error) {
	n := p.node(yaml.SequenceNode)
	n.Tag = "!!seq"
	p.pos++ // [
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		p.skipSpace()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, v)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of the document in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return n, nil
		default:
			return nil, p.errorf("expected ',' or ']' in an array, found %q", p.data[p.pos])
		}
	}
}

// str reads a string at p.pos (on its opening quote).
func (p *jsonParser) str() (string, error) {
	start := p.pos
	p.pos++
	escaped := false
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			raw := p.data[start:p.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				p.pos = start
				return "", p.errorf("invalid string: %v", err)
			}
			return s, nil
		case c == '\\':
			escaped = true
			p.pos += 2
			continue
		case c < 0x20:
			return "", p.errorf("control character in a string")
		}
		p.pos++
	}
	p.pos = start
	return "", p.errorf("unterminated string")
}

func (p *jsonParser) number() (*yaml.Node, error) {
	n := p.node(yaml.ScalarNode)
	start := p.pos
	float := false
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if c == '.' || c == 'e' || c == 'E' {
			float = true
		} else if !(c == '-' || c == '+' || c >= '0' && c <= '9') {
			break
		}
		p.pos++
	}
	text := string(p.data[start:p.pos])
	if !json.Valid([]byte(text)) {
		p.pos = start
		return nil, p.errorf("invalid number %q", text)
	}
	n.Tag, n.Value = "!!int", text
	if float {
		n.Tag = "!!float"
	}
	return n, nil
}
