package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheck runs Check on testdata/check/<case>/openapi.* and compares the
// findings with <case>/want.txt (-update rewrites it).
func TestCheck(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "check", "*"))
	if len(dirs) == 0 {
		t.Fatal("no check cases")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			specs, _ := filepath.Glob(filepath.Join(dir, "openapi.*"))
			data, err := os.ReadFile(specs[0])
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, p := range Check(data, filepath.Base(specs[0]), Config{}) {
				b.WriteString(p.Error() + "\n")
			}
			checkGolden(t, filepath.Join(dir, "want.txt"), []byte(b.String()), false)
		})
	}
}

// TestCheckFindsEveryRule makes sure the all-rules case keeps exercising
// every rule Check documents.
func TestCheckFindsEveryRule(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "check", "all-rules", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, p := range Check(data, "openapi.yaml", Config{}) {
		found[p.Code] = true
	}
	for _, rule := range []string{"unsatisfiable", "undeclared-scope", "unused-scope", "unused-scheme", "apikey-in-query", "scopes-on-non-oauth", "plain-http-server", "claims-with-anonymous", "head-differs-from-get"} {
		if !found[rule] {
			t.Errorf("rule %s found nothing in all-rules", rule)
		}
	}
	data, _ = os.ReadFile(filepath.Join("..", "testdata", "check", "no-security", "openapi.yaml"))
	ps := Check(data, "openapi.yaml", Config{})
	if len(ps) != 1 || ps[0].Code != "no-security" || !ps[0].Warning {
		t.Errorf("no-security case: %v", ps)
	}
}

// With DropUnsupported, a scheme named only by alternatives that were
// dropped is still used by the spec: unused-scheme counts uses before
// dropping.
func TestCheckUnusedSchemeCountsDropped(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    get:
      operationId: a
      security: [{basic: []}, {key: []}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    basic: {type: http, scheme: digest}
    key: {type: apiKey, in: header, name: X-Key}
    idle: {type: apiKey, in: header, name: X-Idle}
`
	var unused []string
	for _, p := range Check([]byte(spec), "openapi.yaml", Config{DropUnsupported: true}) {
		if p.Code == "unused-scheme" {
			unused = append(unused, p.Path)
		}
	}
	if want := []string{"components.securitySchemes.idle"}; strings.Join(unused, " ") != strings.Join(want, " ") {
		t.Errorf("unused-scheme findings at %v, want %v", unused, want)
	}
}
