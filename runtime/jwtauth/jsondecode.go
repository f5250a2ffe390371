package jwtauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// decodeObject checks data as checkObject does and decodes it in the same
// pass, into what encoding/json gives with UseNumber: map[string]any,
// []any, string, json.Number, bool and nil. A repeated member name is
// caught by the map the object decodes into. It returns *errDuplicate for a
// repeated name and another error for anything that is not a well-formed
// JSON object; it accepts exactly what checkObject accepts.
//
// One pass instead of checkObject and then encoding/json halves the JSON
// work of a verification: the claims are most of it.
func decodeObject(data []byte) (map[string]any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8")
	}
	s := scanner{data: data}
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return nil, errNotObject
	}
	m, err := s.decodeObject(1)
	if err != nil {
		return nil, err
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return nil, fmt.Errorf("data after the JSON object at offset %d", s.pos)
	}
	return m, nil
}

func (s *scanner) decodeValue(depth int) (any, error) {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return nil, s.syntaxError("unexpected end")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.decodeObject(depth + 1)
	case c == '[':
		return s.decodeArray(depth + 1)
	case c == '"':
		return s.decodeString()
	case c == '-' || c >= '0' && c <= '9':
		start := s.pos
		if err := s.number(); err != nil {
			return nil, err
		}
		return json.Number(s.data[start:s.pos]), nil
	case c == 't':
		return true, s.literal("true")
	case c == 'f':
		return false, s.literal("false")
	case c == 'n':
		return nil, s.literal("null")
	}
	return nil, s.syntaxError("unexpected character")
}

// decodeString decodes the string at s.pos: a copy of its bytes, or, when
// it holds escapes, what encoding/json makes of it.
func (s *scanner) decodeString() (string, error) {
	raw, escaped, err := s.str()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(raw[1 : len(raw)-1]), nil
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", s.syntaxError("bad string")
	}
	return out, nil
}

func (s *scanner) decodeObject(depth int) (map[string]any, error) {
	if depth > maxJSONDepth {
		return nil, s.syntaxError("nested too deeply")
	}
	s.pos++ // {
	m := make(map[string]any)
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return m, nil
	}
	var folded map[string]struct{}
	for {
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return nil, s.syntaxError("expected a member name")
		}
		name, err := s.decodeString()
		if err != nil {
			return nil, err
		}
		if _, dup := m[name]; dup {
			return nil, &errDuplicate{name: name}
		}
		// Names that differ only in case are duplicates too: claim rules
		// read the exact name, but encoding/json (Principal.DecodeClaims)
		// matches struct fields case-insensitively and keeps the last.
		// jsonFold folds exactly as encoding/json does ("ſ" is "S").
		// The folded set is only built once a name has an upper-case or
		// non-ASCII letter, so all-lower-case tokens pay nothing.
		if folded != nil || !lowerASCII(name) {
			if folded == nil {
				folded = make(map[string]struct{}, len(m)+1)
				for k := range m {
					folded[jsonFold(k)] = struct{}{}
				}
			}
			f := jsonFold(name)
			if _, dup := folded[f]; dup {
				return nil, &errDuplicate{name: name}
			}
			folded[f] = struct{}{}
		}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return nil, s.syntaxError("expected ':'")
		}
		s.pos++
		v, err := s.decodeValue(depth)
		if err != nil {
			return nil, err
		}
		m[name] = v
		s.skipSpace()
		if s.pos >= len(s.data) {
			return nil, s.syntaxError("unexpected end")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return m, nil
		default:
			return nil, s.syntaxError("expected ',' or '}'")
		}
	}
}

func (s *scanner) decodeArray(depth int) ([]any, error) {
	if depth > maxJSONDepth {
		return nil, s.syntaxError("nested too deeply")
	}
	s.pos++ // [
	a := []any{}
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return a, nil
	}
	for {
		v, err := s.decodeValue(depth)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		s.skipSpace()
		if s.pos >= len(s.data) {
			return nil, s.syntaxError("unexpected end")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return a, nil
		default:
			return nil, s.syntaxError("expected ',' or ']'")
		}
	}
}

// lowerASCII reports whether name has only ASCII characters and no
// upper-case letter, so that case folding cannot change it.
func lowerASCII(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 0x80 || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// jsonFold returns a key for name such that two names get the same key
// exactly when encoding/json would match both to one struct field. That
// fold (its appendFoldedName) upper-cases ASCII letters and maps any other
// rune r to unicode.ToUpper(unicode.ToLower(r)); its results hold no ASCII
// lower-case letter, so lower-casing them again keeps them apart. jsonFold
// does that second step too, so that an ASCII name costs what
// strings.ToLower does: nothing when it is lower-case already.
func jsonFold(name string) string {
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(name)
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		if r >= utf8.RuneSelf {
			r = unicode.ToUpper(unicode.ToLower(r))
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
