package generator

import (
	"strings"
	"testing"
)

// A security scheme whose local $refs loop is reported as circular, at its
// $ref, rather than as "cannot be resolved".
func TestSchemeRefLoop(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  securitySchemes:
    a: {$ref: '#/components/securitySchemes/b'}
    b: {$ref: '#/components/securitySchemes/a'}
`
	_, _, err := reviewGenerate(t, spec, Config{})
	want := `openapi.yaml:6:9: components.securitySchemes.a.$ref: security scheme "a" is a circular $ref (#/components/securitySchemes/a -> #/components/securitySchemes/b -> #/components/securitySchemes/a)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant an error containing %s", err, want)
	}
}
