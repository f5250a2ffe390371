package generator

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzGenerate feeds arbitrary documents to Generate and Check, seeded with
// every spec in testdata. Whatever the input, they must not panic, and what
// Generate returns must be a Go file that parses.
func FuzzGenerate(f *testing.F) {
	specs, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*", "openapi.*"))
	for _, s := range specs {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"openapi":"3.0.0","paths":{"/{a}{b}/x.{c}":{"get":{"security":[{"k":["s"]}]}}},"components":{"securitySchemes":{"k":{"type":"oauth2"}}}}`))
	f.Add([]byte("openapi: 3.1.0\npaths:\n  /a:\n    get:\n      security: {}\n"))
	f.Add([]byte("swagger: '2.0'\npaths: []\n"))
	f.Add([]byte("openapi: 3.0.0\npaths:\n  /u/{id?}:\n    get: {}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		// A hang is a failure too (the fuzzer's own engine would only
		// stall): each input gets a deadline, 5 s (inputs of at most 64 KiB
		// take milliseconds), shorter than CI's fuzz time. (Pauses in the
		// fuzzer's progress are it minimizing a new input, bounded in CI
		// by -fuzzminimizetime.)
		type outcome struct {
			res *Result
			err error
		}
		done := make(chan outcome, 1)
		go func() {
			res, err := Generate(data, "fuzz.yaml", Config{})
			Check(data, "fuzz.yaml", Config{DropUnsupported: true})
			done <- outcome{res, err}
		}()
		var o outcome
		select {
		case o = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Generate or Check did not return within 5s on:\n%q", data)
		}
		res, err := o.res, o.err
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Generate hit an internal error: %v", err)
			}
			if res == nil {
				t.Fatalf("Generate returned a nil Result with error %v", err)
			}
			return
		}
		if _, perr := parser.ParseFile(token.NewFileSet(), "gen.go", res.Files[0].Content, 0); perr != nil {
			t.Fatalf("generated code does not parse: %v\n%s", perr, res.Files[0].Content)
		}
	})
}
