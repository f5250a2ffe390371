package jwtauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Limits of the strict JSON check.
const (
	// maxJSONDepth bounds the nesting of arrays and objects.
	maxJSONDepth = 32
	// linearKeys is how many member names of one object are compared one by
	// one before a map takes over, so that a huge object costs linear time.
	linearKeys = 16
)

// errDuplicate reports a member name repeated in one object.
type errDuplicate struct{ name string }

func (e *errDuplicate) Error() string { return "duplicate member name " + quote(e.name) }

var errNotObject = errors.New("not a JSON object")

// checkObject reports whether data is one JSON object (RFC 8259, UTF-8,
// optional surrounding whitespace) in which no object, at any depth, has two
// members of the same name. Names are compared after unescaping, so "a" and
// "\u0061" are the same name. encoding/json keeps the last of repeated names
// without a word; a JWT with two "alg" or two "sub" members is ambiguous and
// must be refused (RFC 7515 section 5.2, RFC 7519 section 4).
//
// It returns *errDuplicate for a repeated name and another error for
// anything that is not a well-formed JSON object.
func checkObject(data []byte) error {
	if !utf8.Valid(data) {
		return errors.New("not UTF-8")
	}
	s := scanner{data: data}
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return errNotObject
	}
	if err := s.value(0); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return fmt.Errorf("data after the JSON object at offset %d", s.pos)
	}
	return nil
}

// scanner walks JSON text once. names holds the member names of the objects
// being scanned, innermost last.
type scanner struct {
	data  []byte
	pos   int
	names [][]byte
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) syntaxError(what string) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", s.pos, what)
}

func (s *scanner) value(depth int) error {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return s.syntaxError("unexpected end")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		_, _, err := s.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.syntaxError("unexpected character")
}

func (s *scanner) object(depth int) error {
	if depth > maxJSONDepth {
		return s.syntaxError("nested too deeply")
	}
	s.pos++ // {
	start := len(s.names)
	defer func() { s.names = s.names[:start] }()
	var set map[string]struct{}
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.syntaxError("expected a member name")
		}
		name, escaped, err := s.str()
		if err != nil {
			return err
		}
		if escaped {
			var u string
			if err := json.Unmarshal(name, &u); err != nil {
				return s.syntaxError("bad member name")
			}
			name = []byte(u)
		} else {
			name = name[1 : len(name)-1]
		}
		if set != nil {
			if _, dup := set[string(name)]; dup {
				return &errDuplicate{name: string(name)}
			}
			set[string(name)] = struct{}{}
		} else {
			for _, prev := range s.names[start:] {
				if bytes.Equal(prev, name) {
					return &errDuplicate{name: string(name)}
				}
			}
			s.names = append(s.names, name)
			if len(s.names)-start > linearKeys {
				set = make(map[string]struct{}, 2*linearKeys)
				for _, n := range s.names[start:] {
					set[string(n)] = struct{}{}
				}
			}
		}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.syntaxError("expected ':'")
		}
		s.pos++
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.syntaxError("unexpected end")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.syntaxError("expected ',' or '}'")
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > maxJSONDepth {
		return s.syntaxError("nested too deeply")
	}
	s.pos++ // [
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.syntaxError("unexpected end")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.syntaxError("expected ',' or ']'")
		}
	}
}

// str scans a string starting at its opening quote. It returns the string
// with its quotes, and whether it holds an escape sequence.
func (s *scanner) str() (raw []byte, escaped bool, err error) {
	start := s.pos
	s.pos++ // "
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.data[start:s.pos], escaped, nil
		case c == '\\':
			escaped = true
			s.pos++
			if s.pos >= len(s.data) {
				return nil, false, s.syntaxError("unexpected end")
			}
			switch s.data[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				if s.pos+4 >= len(s.data) {
					return nil, false, s.syntaxError("short \\u escape")
				}
				for _, h := range s.data[s.pos+1 : s.pos+5] {
					if !isHex(h) {
						return nil, false, s.syntaxError("bad \\u escape")
					}
				}
				s.pos += 5
			default:
				return nil, false, s.syntaxError("bad escape")
			}
		case c < 0x20:
			return nil, false, s.syntaxError("control character in string")
		default:
			s.pos++
		}
	}
	return nil, false, s.syntaxError("unterminated string")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	if s.data[s.pos] == '-' {
		s.pos++
	}
	if s.pos < len(s.data) && s.data[s.pos] == '0' {
		s.pos++
	} else if s.digits() == 0 {
		return s.syntaxError("bad number")
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return s.syntaxError("bad number")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return s.syntaxError("bad number")
		}
	}
	return nil
}

func (s *scanner) literal(word string) error {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(word)) {
		return s.syntaxError("unexpected character")
	}
	s.pos += len(word)
	return nil
}
