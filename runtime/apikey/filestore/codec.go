package filestore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v4"

	"github.com/authgen/authgen/runtime/apikey"
)

// Format is the encoding of a key file.
type Format int

const (
	// JSON is a JSON array of records (apikey.Record's JSON form).
	JSON Format = iota + 1
	// YAML is a YAML sequence of the same records, with the same field
	// names.
	YAML
)

// String returns "JSON" or "YAML".
func (f Format) String() string {
	switch f {
	case JSON:
		return "JSON"
	case YAML:
		return "YAML"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// FormatOf returns the format of a key file from its extension: .json is
// JSON, .yaml and .yml are YAML.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return JSON, nil
	case ".yaml", ".yml":
		return YAML, nil
	}
	return 0, fmt.Errorf("filestore: %s: cannot tell the format from the extension: use .json, .yaml or .yml", path)
}

// yamlHeader starts every YAML file the store writes.
const yamlHeader = "# API-key records managed by authgen (authgen keys --help): hashes, never keys.\n" +
	"# Edits are picked up while the server runs; comments are not kept when authgen rewrites the file.\n"

// Decode parses the records of a key file. It is strict, because a field
// silently ignored could be a rule silently dropped: unknown fields
// ("expires" for "expires_at"), duplicate JSON members and an empty file
// are errors. It does not check the records themselves (see Records).
func Decode(data []byte, f Format) ([]apikey.Record, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty (an empty key set is written [])")
	}
	if f == YAML {
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		if v == nil {
			return nil, errors.New("the file holds no YAML value (an empty key set is written [])")
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("the YAML does not map to records: %w", err)
		}
		data = b
	} else if err := checkDuplicates(data); err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("want a list of records: %w", describe(data, err))
	}
	records := make([]apikey.Record, len(raw))
	for i, r := range raw {
		if err := checkMembers(r); err != nil {
			var id struct {
				ID any `json:"id"`
			}
			json.Unmarshal(r, &id)
			return nil, fmt.Errorf("record %d (id %v): %w", i+1, id.ID, err)
		}
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&records[i]); err != nil {
			var id struct {
				ID any `json:"id"`
			}
			json.Unmarshal(r, &id)
			return nil, fmt.Errorf("record %d (id %v): %w", i+1, id.ID, err)
		}
	}
	return records, nil
}

// recordFields are the member names of a record, exactly as Record's JSON
// tags spell them.
var recordFields = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeFor[apikey.Record]()
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
})

// checkMembers fails for a record member whose name is not exactly one of
// Record's (encoding/json matches names without regard to case, so that
// "REVOKED": false beside "revoked": true would win), or whose value is null
// (which encoding/json reads as "not set": `expires_at:` with nothing after
// it in YAML would quietly make a key never expire).
func checkMembers(r json.RawMessage) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(r, &members); err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(members))
	for _, name := range names {
		switch {
		case !recordFields()[name]:
			return fmt.Errorf("unknown field %q", name)
		case string(bytes.TrimSpace(members[name])) == "null":
			return fmt.Errorf("field %q is null: give it a value, or leave it out", name)
		}
	}
	return nil
}

// describe adds the line and column to a JSON syntax error.
func describe(data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset <= int64(len(data)) {
		before := data[:se.Offset]
		line := bytes.Count(before, []byte("\n")) + 1
		col := int(se.Offset) - bytes.LastIndexByte(before, '\n') - 1
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	return err
}

// checkDuplicates fails if an object in data has a member name twice:
// encoding/json would keep the last one, so that `"revoked": true,
// "revoked": false` would quietly un-revoke a key.
func checkDuplicates(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		names  map[string]bool
		key    bool // the next token is a member name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return describe(data, err)
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].key = true
			}
			continue
		}
		if top != nil && top.object && top.key {
			name := tok.(string)
			if top.names[name] {
				return fmt.Errorf("member %q appears twice in one object (near offset %d)", name, dec.InputOffset())
			}
			top.names[name] = true
			top.key = false
			continue
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{object: d == '{', names: map[string]bool{}, key: d == '{'})
			continue
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}

// Encode writes records in format f: indented JSON, or YAML with the same
// field names in the same order, after a comment saying what the file is.
func Encode(records []apikey.Record, f Format) ([]byte, error) {
	if records == nil {
		records = []apikey.Record{}
	}
	js, err := json.MarshalIndent(records, "", "  ")
	if err != nil {
		return nil, err
	}
	if f != YAML {
		return append(js, '\n'), nil
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	node, err := yamlNode(dec)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(yamlHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// yamlNode turns the next JSON value of dec into a YAML node, keeping the
// order of object members.
func yamlNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if v == '{' {
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				name, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name.(string)})
			}
			c, err := yamlNode(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		if len(n.Content) > 0 && n.Kind == yaml.SequenceNode && n.Content[0].Kind == yaml.ScalarNode {
			n.Style = yaml.FlowStyle // scopes: [a, b]
		}
		return n, nil
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(v), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(v)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}
