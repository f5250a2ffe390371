package generator

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDeterministic generates every golden case twice, and checks that the
// bytes are the same: map iteration order must never leak into output.
func TestDeterministic(t *testing.T) {
	specs, _ := filepath.Glob(filepath.Join("..", "testdata", "golden", "*", "openapi.*"))
	specs = append(specs, filepath.Join("..", "examples", "aichat", "openapi.yaml"))
	for _, spec := range specs {
		data, err := os.ReadFile(spec)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(spec)
		cfg := Config{ReadFile: func(n string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, n)) }}
		var first []byte
		for i := 0; i < 5; i++ {
			res, err := Generate(data, filepath.Base(spec), cfg)
			if err != nil {
				break // failing cases are covered by TestGolden
			}
			if i == 0 {
				first = res.Files[0].Content
			} else if !bytes.Equal(first, res.Files[0].Content) {
				t.Errorf("%s: run %d differs from run 0", spec, i)
			}
		}
	}
}

// TestImportBoundaries keeps the stages apart: only load.go imports
// kin-openapi, only emit.go imports jennifer (STYLE.md).
func TestImportBoundaries(t *testing.T) {
	allowed := map[string]string{
		"github.com/getkin/kin-openapi": "load.go build.go",
		"github.com/dave/jennifer":      "emit.go",
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for mod, files := range allowed {
				if strings.HasPrefix(path, mod) && !strings.Contains(" "+files+" ", " "+f+" ") {
					t.Errorf("%s imports %s; only %s may", f, path, files)
				}
			}
		}
	}
}
