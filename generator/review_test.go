package generator

// Regression tests for findings of a review of the generator: each failed
// before its fix.

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strings"
	"testing"
)

func reviewGenerate(t *testing.T, spec string, cfg Config) (*Result, []byte, error) {
	t.Helper()
	return reviewGenerateNamed(t, "openapi.yaml", spec, cfg)
}

func reviewGenerateNamed(t *testing.T, name, spec string, cfg Config) (*Result, []byte, error) {
	t.Helper()
	res, err := Generate([]byte(spec), name, cfg)
	if err != nil || res == nil || len(res.Files) == 0 {
		return res, nil, err
	}
	return res, res.Files[0].Content, nil
}

// topLevelNames lists the package-level declarations of a Go source file.
func topLevelNames(t *testing.T, src []byte) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "gen.go", src, 0)
	if err != nil {
		t.Fatalf("generated code does not parse: %v", err)
	}
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			names = append(names, d.Name.Name)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names = append(names, n.Name)
					}
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				}
			}
		}
	}
	return names
}

// Spec text lands in // comments unquoted (info.title, operationId, scheme
// names, path templates, bearerFormat, ...). jennifer turns a comment with a
// newline into a /* */ block, so "*/" in the text closes it and the rest is
// compiled: a spec can put any Go code into the user's server.
func TestReviewCommentInjection(t *testing.T) {
	const payload = `"x\n*/ func init() { panic(\"pwned\") } /*"`
	cases := map[string]string{
		"title": `openapi: 3.0.3
info: {title: ` + payload + `, version: "1"}
paths:
  /a: {get: {operationId: a, security: [{b: []}]}}
components: {securitySchemes: {b: {type: http, scheme: bearer}}}
`,
		"operationId": `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a: {get: {operationId: ` + payload + `, security: [{o: [s]}]}}
components: {securitySchemes: {o: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://t", scopes: {s: d}}}}}}
`,
		"scheme name": `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a: {get: {operationId: a, security: [{` + payload + `: [s]}]}}
components: {securitySchemes: {` + payload + `: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://t", scopes: {s: d}}}}}}
`,
		"bearerFormat": `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a: {get: {operationId: a, security: [{b: []}]}}
components: {securitySchemes: {b: {type: http, scheme: bearer, bearerFormat: ` + payload + `}}}
`,
		"path": `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  "/a\n*/ func init() { panic(\"pwned\") } /*": {get: {operationId: a, security: [{b: []}]}}
components: {securitySchemes: {b: {type: http, scheme: bearer}}}
`,
	}
	for name, spec := range cases {
		_, src, err := reviewGenerate(t, spec, Config{})
		if err != nil {
			// Refusing such a spec is a fix too, but not as a formatting
			// failure that dumps the whole source.
			var p Problem
			if !errors.As(err, &p) {
				t.Errorf("%s: generation failed with a non-spec error: %.200v", name, err)
			}
			continue
		}
		for _, n := range topLevelNames(t, src) {
			if n == "init" {
				t.Errorf("%s: generated code contains an injected func init", name)
			}
		}
	}
}

// prune copies an operation's known keys only; a YAML merge key ("<<"),
// which go-yaml and kin-openapi honour, is dropped, so the operation loses
// the security it merges in and becomes public, and a merged path item
// loses its operations.
func TestReviewYAMLMergeKeyDropsSecurity(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
x-defaults:
  secured: &secured
    security:
      - k: []
paths:
  /a:
    get:
      <<: *secured
      operationId: a
  /b:
    <<: {get: {operationId: b, security: [{k: []}]}}
components:
  securitySchemes:
    k: {type: apiKey, in: header, name: X}
`
	_, src, err := reviewGenerate(t, spec, Config{})
	if err != nil {
		return // refusing merge keys with a located error is acceptable
	}
	if bytes.Contains(src, []byte("Public: true")) {
		t.Errorf("operation a merges security [{k: []}] but was generated as public")
	}
	if !bytes.Contains(src, []byte("OpB ")) {
		t.Errorf("operation b (merged into path item /b) is missing from the generated policy")
	}
}

// A path that appears twice in paths: the last one silently wins, so a
// protected operation can be replaced by a public one. Other duplicate keys
// are refused (by kin-openapi's struct decoding), but paths is a map.
func TestReviewDuplicatePathKeys(t *testing.T) {
	for name, spec := range map[string]string{
		"openapi.yaml": `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get: {operationId: a, security: [{k: []}]}
  /a:
    get: {operationId: b, security: []}
components: {securitySchemes: {k: {type: apiKey, in: header, name: X}}}
`,
		"openapi.json": `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"},
 "paths": {"/a": {"get": {"operationId": "a", "security": [{"k": []}]}},
           "/a": {"get": {"operationId": "b", "security": []}}},
 "components": {"securitySchemes": {"k": {"type": "apiKey", "in": "header", "name": "X"}}}}`,
	} {
		if _, _, err := reviewGenerateNamed(t, name, spec, Config{}); err == nil {
			t.Errorf("%s: duplicate path key /a accepted; want an error at the second /a", name)
		}
	}
}

// Swagger 2.0 path items may be a $ref (local or to a file); the
// conversion drops them without a word, so their operations vanish from
// the policy (unlisted: 404 by default, unauthenticated with AllowUnlisted).
func TestReviewSwaggerPathItemRef(t *testing.T) {
	spec := `swagger: "2.0"
info: {title: sw, version: "1"}
securityDefinitions:
  key: {type: apiKey, in: header, name: X-Key}
paths:
  /y:
    $ref: "other.yaml"
  /z:
    $ref: "#/x-items/z"
x-items:
  z:
    get:
      operationId: getZ
      security: [{key: []}]
      responses: {"200": {description: ok}}
`
	other := "get:\n  operationId: getY\n  security: [{key: []}]\n  responses: {\"200\": {description: ok}}\n"
	cfg := Config{ReadFile: func(name string) ([]byte, error) {
		if name == "other.yaml" {
			return []byte(other), nil
		}
		return nil, errors.New("no such file")
	}}
	res, src, err := reviewGenerate(t, spec, cfg)
	if err != nil {
		return // a located error is acceptable
	}
	for _, op := range []string{"OpGetY ", "OpGetZ "} {
		if !bytes.Contains(src, []byte(op)) && (res == nil || len(res.Warnings) == 0) {
			t.Errorf("%s: operation silently missing from the generated policy", op)
		}
	}
}

// For additionalOperations (OpenAPI 3.2), prune records requirement-level
// extensions under ...additionalOperations.LINK.security[i], but resolve
// looks them up under ...link.security[i]: x-authgen-scopes: all is
// ignored, and the document's "any" weakens the requirement. Problems are
// also reported at a spec path that does not exist (paths./a.link...).
func TestReviewAdditionalOperationsRequirementExtension(t *testing.T) {
	spec := `openapi: 3.2.0
info: {title: t, version: "1"}
x-authgen-scopes: any
paths:
  /a:
    additionalOperations:
      LINK:
        operationId: l
        security:
          - o: [read, write]
            x-authgen-scopes: all
components:
  securitySchemes:
    o: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://t", scopes: {read: R, write: W}}}}
`
	_, src, err := reviewGenerate(t, spec, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(src, []byte("AnyScope: true")) {
		t.Errorf("requirement says x-authgen-scopes: all, but the generated policy accepts any one scope")
	}
	bad := strings.Replace(spec, "- o: [read, write]\n            x-authgen-scopes: all", "- nokey: []", 1)
	_, _, err = reviewGenerate(t, bad, Config{})
	if err == nil || !strings.Contains(err.Error(), "additionalOperations") {
		t.Errorf("error should name paths./a.additionalOperations.LINK...; got %v", err)
	}
}

// Misspelled x-authgen-* extensions are silently ignored at the document,
// path, operation and scheme levels (only requirement-level unknown keys
// warn), so a claim rule or rate limit the author wrote is not enforced.
func TestReviewMisspelledExtensionsIgnored(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
x-authgen-scope: any
paths:
  /a:
    get:
      operationId: a
      security: [{k: []}]
      x-authgen-claim: [{claim: plan, in: [pro]}]
      x-authgen-ratelimit: {limit: 1, per: 1s}
components:
  securitySchemes:
    k: {type: apiKey, in: header, name: X, x-authgen-baerer: true}
`
	res, _, err := reviewGenerate(t, spec, Config{})
	var all []string
	if res != nil {
		for _, w := range res.Warnings {
			all = append(all, w.Error())
		}
	}
	if err != nil {
		all = append(all, err.Error())
	}
	text := strings.Join(all, "\n")
	for _, ext := range []string{"x-authgen-scope", "x-authgen-claim", "x-authgen-ratelimit", "x-authgen-baerer"} {
		if !strings.Contains(text, ext) {
			t.Errorf("no warning or error about unknown extension %s", ext)
		}
	}
}

// prune copies security lists, operations and path items into new nodes
// without their anchors; yaml.Marshal then writes an alias whose anchor is
// gone, and a valid document fails with "unknown anchor" at 1:1.
func TestReviewYAMLAnchorsInPrunedNodes(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
security: &default
  - k: []
paths:
  /a:
    get:
      operationId: a
      security: &one
        - k: []
  /b:
    get:
      operationId: b
      security: *one
    put:
      operationId: c
      security: *default
components:
  securitySchemes:
    k: {type: apiKey, in: header, name: X}
`
	if _, _, err := reviewGenerate(t, spec, Config{}); err != nil {
		t.Errorf("valid YAML with anchors and aliases refused: %v", err)
	}
}

// Errors from kin-openapi's decoding of the pruned, re-marshalled document
// are reported at 1:1 with no spec path, and the line numbers in their text
// are those of the re-marshalled copy, not of the user's file.
func TestReviewLoadErrorLocation(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: a
      security: []
      security:
        - k: []
components:
  securitySchemes:
    k: {type: apiKey, in: header, name: X}
`
	_, _, err := reviewGenerate(t, spec, Config{})
	var p Problem
	if !errors.As(err, &p) {
		t.Fatalf("want a Problem, got %v", err)
	}
	if p.Line != 8 || p.Path == "" {
		t.Errorf("duplicate key reported as %q; want line 8 and spec path paths./a.get.security", p.Error())
	}
}

// Scopes that share a Go name get numeric suffixes in sorted order, but the
// suffix may take another scope's natural name: "a" becomes ScopeA2, so
// "a2" becomes ScopeA23. Adding a scope to the spec silently re-points
// constants that handlers use (ScopeA2 meant "a2", now means "a").
func TestReviewScopeSuffixTakesNaturalName(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a: {get: {operationId: a, security: [{o: [a, A, a2]}]}}
components:
  securitySchemes:
    o: {type: oauth2, flows: {clientCredentials: {tokenUrl: "https://t", scopes: {a: a, A: A, a2: a2}}}}
`
	_, src, err := reviewGenerate(t, spec, Config{})
	if err != nil {
		return // refusing the clash, as for schemes and operations, is a fix
	}
	if !regexp.MustCompile(`ScopeA2\s+authrt\.Scope = "a2"`).Match(src) {
		t.Errorf("scope \"a2\" did not get its natural name ScopeA2:\n%s", grepLines(src, "authrt.Scope"))
	}
}

// Server URLs whose path the runtime rejects at New (protocol-relative
// "//cdn.example.com/v1", or "https://x//v1") pass generation; server
// variables with an enum produce only the default's base path.
func TestReviewServerBasePaths(t *testing.T) {
	tmpl := `openapi: 3.0.3
info: {title: t, version: "1"}
servers:
  - url: SERVER
    variables:
      ver: {default: v2, enum: [v1, v2]}
security: [{k: []}]
paths:
  /a: {get: {operationId: a}}
components: {securitySchemes: {k: {type: apiKey, in: header, name: X}}}
`
	for _, srv := range []string{"//cdn.example.com/v1", "https://x.example.com//v1"} {
		res, src, err := reviewGenerate(t, strings.Replace(tmpl, "SERVER", srv, 1), Config{})
		if err == nil && (res == nil || len(res.Warnings) == 0) && bytes.Contains(src, []byte(`"//`)) {
			t.Errorf("server %q: generated base path starts with // (NewGuard will fail), no warning", srv)
		}
	}
	res, src, err := reviewGenerate(t, strings.Replace(tmpl, "SERVER", "https://x.example.com/{ver}", 1), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte(`"/v1"`)) && len(res.Warnings) == 0 {
		t.Errorf("server variable ver may be v1, but only /v2 is a base path and nothing warns")
	}
}

// A JSON document starting with a UTF-8 BOM is sent to the JSON parser
// with the BOM still in place (parseNodes trims it only to sniff).
func TestReviewJSONWithBOM(t *testing.T) {
	spec := "\ufeff" + `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {"/a": {"get": {"operationId": "a", "security": []}}}}`
	if _, _, err := reviewGenerateNamed(t, "openapi.json", spec, Config{}); err != nil {
		t.Errorf("JSON with BOM refused: %v", err)
	}
}

// resolve ranges over a map of a requirement's extensions, so the order of
// its findings changed from run to run.
func TestReviewWarningOrderDeterministic(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: a
      security:
        - {k: [], x-authgen-a: 1, x-authgen-b: 1, x-authgen-c: 1, x-authgen-d: 1, x-authgen-e: 1, x-authgen-f: 1}
components: {securitySchemes: {k: {type: apiKey, in: header, name: X}}}
`
	var first string
	for i := 0; i < 20; i++ {
		_, _, err := reviewGenerate(t, spec, Config{})
		if err == nil || !strings.Contains(err.Error(), "unknown extension x-authgen-f") {
			t.Fatalf("unknown x-authgen- keys in a requirement: %v", err)
		}
		if i == 0 {
			first = err.Error()
		} else if err.Error() != first {
			t.Fatalf("run %d errors differ from run 0:\n%s\nvs\n%s", i, err, first)
		}
	}
}

// A requirement object is not extensible: "x-api-key" is a scheme name.
// Read as an extension, it vanished from its requirement, which became {}:
// the operation was anonymous (and an AND lost a member).
func TestReviewXSchemeNameIsAScheme(t *testing.T) {
	const head = `openapi: 3.0.3
info: {title: t, version: "1"}
components:
  securitySchemes:
    x-api-key: {type: apiKey, in: header, name: X-API-Key}
    bearer: {type: http, scheme: bearer}
paths:
  /a:
    get:
      operationId: a
      security:
`
	res, _, err := reviewGenerate(t, head+"        - x-api-key: []\n        - {bearer: [], x-api-key: []}\n", Config{})
	if err != nil {
		t.Fatal(err)
	}
	src := string(res.Files[0].Content)
	if !strings.Contains(src, "XAPIKey") || strings.Contains(src, "anonymous") {
		t.Fatalf("x-api-key read as an extension:\n%s", src)
	}
	if _, _, err := reviewGenerate(t, head+"        - x-undeclared: []\n", Config{}); err == nil ||
		!strings.Contains(err.Error(), `unknown security scheme "x-undeclared"`) {
		t.Errorf("an undeclared x- scheme: %v, want unknown security scheme", err)
	}
	if _, _, err := reviewGenerate(t, head+"        - x-authgen-scopes: any\n", Config{}); err == nil ||
		!strings.Contains(err.Error(), "extensions but no security scheme") {
		t.Errorf("a requirement of only an extension: %v, want an error (it read as {})", err)
	}
}

// Path templates that no canonical request can match are accepted: the
// runtime refuses "//" and dot segments, "?" and "#" never reach the path,
// and percent-encoded literals are compared with the decoded path. With
// Options.AllowUnlisted, the real request to such an operation passes
// unchecked. Method names that are not HTTP tokens are accepted too.
func TestReviewUnmatchableTemplates(t *testing.T) {
	for _, p := range []string{"/a//b", "/a/./b", "/a/../b", "/a?x=1", "/a#f", "/files/%40me"} {
		spec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  "` + p + `": {get: {operationId: a, security: [{k: []}]}}
components: {securitySchemes: {k: {type: apiKey, in: header, name: X}}}
`
		res, _, err := reviewGenerate(t, spec, Config{})
		if err == nil && len(res.Warnings) == 0 {
			t.Errorf("path %q accepted without a word; the runtime can never route a request to it", p)
		}
	}
	spec := `openapi: 3.2.0
info: {title: t, version: "1"}
paths:
  /a:
    additionalOperations:
      "BAD METHOD": {operationId: a, security: []}
`
	if _, _, err := reviewGenerate(t, spec, Config{}); err == nil {
		t.Errorf(`method "BAD METHOD" is not an HTTP token but was accepted`)
	}
}

func grepLines(src []byte, sub string) string {
	var out []string
	for _, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A path item with a $ref and, beside it, an operation of the same method:
// OpenAPI leaves it undefined; authgen took the sibling, so that
// "get: {security: []}" made a protected GET public without a word.
func TestReviewPathRefSiblingOverridesSecurity(t *testing.T) {
	spec := `openapi: 3.1.0
info: {title: t, version: "1"}
security: [{key: []}]
paths:
  /admin:
    $ref: '#/components/pathItems/Admin'
    summary: beside the $ref, harmless
    get:
      operationId: adminPublic
      security: []
components:
  pathItems:
    Admin:
      summary: the item's own
      get:
        operationId: adminGet
        security: [{key: []}]
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
`
	_, _, err := reviewGenerate(t, spec, Config{})
	if err == nil || !strings.Contains(err.Error(), "paths./admin.get: get is given both beside $ref and in the path item it names") {
		t.Fatalf("an operation beside a $ref to an item with the same operation: %v, want an error at paths./admin.get", err)
	}
}
