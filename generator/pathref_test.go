package generator

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func filesReader(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
}

// A path item $ref loop, in any version, local or through files, is an
// error at the path's $ref: it used to drop the path's operations silently.
func TestPathItemRefLoop(t *testing.T) {
	loopFiles := map[string]string{"a.yaml": "$ref: b.yaml\n", "b.yaml": "$ref: a.yaml\n"}
	tests := []struct {
		name, spec, want string
	}{
		{"3.0 local", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    $ref: '#/paths/~1c'
  /c:
    $ref: '#/components/pathItems/x'
components:
  pathItems:
    x:
      $ref: '#/paths/~1a'
`, `openapi.yaml:5:5: paths./a.$ref: path item $ref is circular (#/paths/~1a -> #/paths/~1c -> #/components/pathItems/x -> #/paths/~1a)`},
		{"3.0 files", `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    $ref: a.yaml
`, `openapi.yaml:5:5: paths./a.$ref: path item $ref is circular (a.yaml -> b.yaml -> a.yaml)`},
		{"2.0 local", `swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /a:
    $ref: '#/x-items/a'
x-items:
  a:
    $ref: '#/paths/~1a'
`, `openapi.yaml:5:5: paths./a.$ref: path item $ref is circular (#/paths/~1a -> #/x-items/a -> #/paths/~1a)`},
		{"2.0 files", `swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /a:
    $ref: a.yaml
`, `openapi.yaml:5:5: paths./a.$ref: path item $ref is circular (a.yaml -> b.yaml -> a.yaml)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := reviewGenerate(t, tc.spec, Config{ReadFile: filesReader(loopFiles)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v\nwant one containing %q", err, tc.want)
			}
		})
	}
}

// External path items are pruned like local ones: defects outside auth do
// not stop generation, Swagger 2.0 reads them too, chains are followed,
// fields beside $ref win, and problems inside a file name that file.
func TestPathItemRefFiles(t *testing.T) {
	files := map[string]string{
		"paths/a.yaml": "$ref: b.yaml#/items\n",
		"paths/b.yaml": `items:
  get:
    operationId: getA
    security: [{key: []}]
    requestBody: {$ref: '../missing.yaml'}
    responses: {"200": {$ref: '#/nowhere'}}
`,
		"paths/bad.yaml": "get:\n  operationId: bad\n  security: oops\n",
	}
	for _, version := range []string{"openapi: 3.0.3", `swagger: "2.0"`} {
		head := version + "\ninfo: {title: t, version: \"1\"}\n"
		keys := "components:\n  securitySchemes:\n    key: {type: apiKey, in: header, name: X-Key}\n"
		if strings.HasPrefix(version, "swagger") {
			keys = "securityDefinitions:\n  key: {type: apiKey, in: header, name: X-Key}\n"
		}
		spec := head + `paths:
  /a:
    $ref: paths/a.yaml
    post:
      operationId: postA
      security: [{key: []}]
` + keys
		_, src, err := reviewGenerate(t, spec, Config{ReadFile: filesReader(files)})
		if err != nil {
			t.Fatalf("%s: %v", version, err)
		}
		for _, op := range []string{"OpGetA ", "OpPostA "} {
			if !bytes.Contains(src, []byte(op)) {
				t.Errorf("%s: %s missing from the generated policy", version, op)
			}
		}

		bad := head + "paths:\n  /bad:\n    $ref: paths/bad.yaml\n" + keys
		_, _, err = reviewGenerate(t, bad, Config{ReadFile: filesReader(files)})
		var p Problem
		if !errors.As(err, &p) || p.File != "paths/bad.yaml" || p.Line != 3 || p.Path != "paths./bad.get.security" {
			t.Errorf("%s: got %v; want paths/bad.yaml:3:3: paths./bad.get.security: ...", version, err)
		}
	}
}
