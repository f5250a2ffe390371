package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	yaml "go.yaml.in/yaml/v4"
)

// This file is the only one that imports kin-openapi: it turns spec bytes
// into an *openapi3.T and a locator for positions. model.go's types are
// built from it in build.go.

// document is a loaded spec: kin-openapi's view of it, converted to 3.x when
// it was Swagger 2.0, and the node tree for positions.
type document struct {
	t       *openapi3.T
	loc     *locator
	swagger bool // loaded from Swagger 2.0
	version string
	// root is the top-level mapping, for facts kin-openapi does not keep
	// (whether a "security" key was present at all).
	root *yaml.Node
	// pruned is the auth-relevant part that was loaded.
	pruned *pruned
}

// parseNodes parses YAML or JSON into a node tree with positions. JSON
// takes a fast path of its own.
func parseNodes(data []byte) (*yaml.Node, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return parseJSONNodes(data)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	return &root, nil
}

// syntaxPosition returns where a parse error is, and its message.
func syntaxPosition(err error) (line, col int, msg string) {
	var js *jsonSyntaxError
	if errors.As(err, &js) {
		return js.Line, js.Col, js.Msg
	}
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	return yamlErrorLine(msg), 1, msg
}

// load parses data (YAML or JSON, OpenAPI 3.x or Swagger 2.0) named name.
// External $refs are read with cfg.ReadFile, relative to name.
func load(data []byte, name string, cfg Config, ps *problems) *document {
	if len(bytes.TrimSpace(data)) == 0 {
		ps.errorf(nil, "the file is empty; expected an OpenAPI document")
		return nil
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		ps.errorf(nil, "the file is not UTF-8 text; expected an OpenAPI document in YAML or JSON")
		return nil
	}
	root, err := parseNodes(data)
	if err != nil {
		line, col, msg := syntaxPosition(err)
		ps.list = append(ps.list, Problem{File: ps.file, Line: line, Col: col, Message: "cannot parse the document: " + msg})
		return nil
	}
	ps.loc.root = root
	top := root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		ps.errorf(nil, "the document is not a YAML or JSON object; expected an OpenAPI document")
		return nil
	}
	doc := &document{loc: ps.loc, root: top}
	openapi, swagger := mapValue(top, "openapi"), mapValue(top, "swagger")
	switch {
	case openapi != nil && strings.HasPrefix(openapi.Value, "3."):
		doc.version = openapi.Value
	case swagger != nil && swagger.Value == "2.0":
		doc.version, doc.swagger = "2.0", true
	case openapi != nil:
		ps.errorf([]any{"openapi"}, "unsupported OpenAPI version %q; authgen reads 3.0, 3.1 and Swagger 2.0", openapi.Value)
		return nil
	case swagger != nil:
		ps.errorf([]any{"swagger"}, "unsupported Swagger version %q; authgen reads 3.0, 3.1 and Swagger 2.0", swagger.Value)
		return nil
	default:
		ps.errorf(nil, `no "openapi" or "swagger" field: this is not an OpenAPI document`)
		return nil
	}

	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.Context = context.Background()
	read := func(u *url.URL) ([]byte, error) { return readRef(cfg, u) }
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) { return read(u) }
	location := &url.URL{Path: path.Clean(strings.ReplaceAll(name, `\`, "/"))}
	before := len(ps.errors())
	doc.pruned = prune(top, name, read, ps)
	if len(ps.errors()) > before+doc.pruned.refErrors {
		return nil
	}
	if doc.swagger {
		doc.t, err = loadSwagger(doc.pruned.root, loader, location)
	} else {
		var small []byte
		if small, err = yaml.Marshal(doc.pruned.root); err == nil {
			doc.t, err = loadOpenAPI(loader, small, location)
		}
	}
	if err != nil {
		msg := cleanLoadError(err)
		ps.errorf(refPath(top, msg), "cannot load the document: %s", msg)
		return nil
	}
	return doc
}

// readRef reads the file that an external $ref names, through
// cfg.ReadFile; remote references are refused.
func readRef(cfg Config, u *url.URL) ([]byte, error) {
	if u.Scheme != "" && u.Scheme != "file" || u.Host != "" {
		return nil, fmt.Errorf("remote $ref %q: authgen reads only local files", u.String())
	}
	if cfg.ReadFile == nil {
		return nil, fmt.Errorf("$ref to file %q: external references need a file reader (the CLI provides one)", u.Path)
	}
	data, err := cfg.ReadFile(u.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("$ref file %q not found", u.Path)
	}
	return data, err
}

func loadOpenAPI(loader *openapi3.Loader, data []byte, location *url.URL) (t *openapi3.T, err error) {
	defer func() {
		// kin-openapi is robust, but a generator must never crash on input:
		// turn a panic on a hostile document into an error.
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("the document could not be read (%v)", r)
		}
	}()
	return loader.LoadFromDataWithPath(data, location)
}

func loadSwagger(root *yaml.Node, loader *openapi3.Loader, location *url.URL) (t *openapi3.T, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("the document could not be read (%v)", r)
		}
	}()
	var generic any
	if err := root.Decode(&generic); err != nil {
		return nil, err
	}
	js, err := json.Marshal(jsonCompatible(generic))
	if err != nil {
		return nil, err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(js, &doc2); err != nil {
		return nil, err
	}
	return openapi2conv.ToV3WithLoader(&doc2, loader, location)
}

// jsonCompatible turns YAML's map[any]any (if any) into map[string]any so
// that encoding/json can marshal it.
func jsonCompatible(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonCompatible(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonCompatible(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonCompatible(e)
		}
		return x
	}
	return v
}

// strictValidation loads the whole document with kin-openapi and validates
// it, as a stricter tool would; it returns the failure, or "" when the
// document passes. Only `authgen check` calls it: generation never needs the
// parts it looks at.
func strictValidation(data []byte, name string, cfg Config) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("the loader failed (%v)", r)
		}
	}()
	root, err := parseNodes(data)
	if err != nil {
		return err.Error()
	}
	top := root
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		top = top.Content[0]
	}
	if mapValue(top, "swagger") != nil {
		// Swagger 2.0 documents are converted, not validated, by kin-openapi.
		return ""
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if u.Scheme != "" && u.Scheme != "file" || u.Host != "" || cfg.ReadFile == nil {
			return nil, fmt.Errorf("$ref %q not read", u.String())
		}
		return cfg.ReadFile(u.Path)
	}
	t, err := loader.LoadFromDataWithPath(data, &url.URL{Path: path.Clean(strings.ReplaceAll(name, `\`, "/"))})
	if err == nil {
		err = t.Validate(context.Background())
	}
	if err != nil {
		return truncate(cleanLoadError(err), 300)
	}
	return ""
}

// cleanLoadError flattens kin-openapi's error to one line.
func cleanLoadError(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// refPath finds the $ref that a load error names, so that the error points
// at it: the first "$ref" whose value (or its file part) appears in msg.
func refPath(top *yaml.Node, msg string) []any {
	var found []any
	var walk func(n *yaml.Node, at []any) bool
	walk = func(n *yaml.Node, at []any) bool {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if k.Value == "$ref" && v.Kind == yaml.ScalarNode && v.Value != "" {
					file, _, _ := strings.Cut(v.Value, "#")
					if strings.Contains(msg, v.Value) || file != "" && strings.Contains(msg, path.Clean(file)) {
						found = append(append([]any{}, at...), "$ref")
						return true
					}
				}
				if walk(v, append(at, k.Value)) {
					return true
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				if walk(c, append(at, i)) {
					return true
				}
			}
		}
		return false
	}
	walk(top, nil)
	return found
}

// mapValue returns the value node of key in a mapping node, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
