package generator

import (
	"bytes"
	"flag"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden generates code for every testdata/golden/<case>/openapi.* and
// compares it with <case>/want/: the generated file, or stderr.txt for
// specs that must fail (and warnings.txt for warnings). A case may set flags
// in <case>/flags.txt ("drop-unsupported", "package=name").
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "golden", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			specs, _ := filepath.Glob(filepath.Join(dir, "openapi.*"))
			if len(specs) != 1 {
				t.Fatalf("want one openapi.* in %s, found %d", dir, len(specs))
			}
			spec := specs[0]
			cfg := caseConfig(t, dir)
			data, err := os.ReadFile(spec)
			if err != nil {
				t.Fatal(err)
			}
			// Name the spec relative to the case, as a user running
			// authgen inside the directory would.
			cfg.ReadFile = func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
			res, err := Generate(data, filepath.Base(spec), cfg)
			want := filepath.Join(dir, "want")
			var warnings bytes.Buffer
			if res != nil {
				for _, w := range res.Warnings {
					warnings.WriteString(w.Error() + "\n")
				}
			}
			checkGolden(t, filepath.Join(want, "warnings.txt"), warnings.Bytes(), true)
			if err != nil {
				checkGolden(t, filepath.Join(want, "stderr.txt"), []byte(err.Error()+"\n"), false)
				return
			}
			if _, statErr := os.Stat(filepath.Join(want, "stderr.txt")); statErr == nil && !*update {
				t.Fatalf("generation succeeded, want failure as in want/stderr.txt")
			}
			for _, f := range res.Files {
				checkGenerated(t, f)
				checkGolden(t, filepath.Join(want, f.Name), f.Content, false)
			}
			report, err := Report(data, filepath.Base(spec), cfg)
			if err != nil {
				t.Fatalf("Report failed where Generate succeeded: %v", err)
			}
			checkGolden(t, filepath.Join(want, "report.md"), report, false)
		})
	}
}

func caseConfig(t *testing.T, dir string) Config {
	var cfg Config
	b, err := os.ReadFile(filepath.Join(dir, "flags.txt"))
	if err != nil {
		return cfg
	}
	for _, f := range strings.Fields(string(b)) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "drop-unsupported":
			cfg.DropUnsupported = true
		case "package":
			cfg.Package = v
		case "scopes-any":
			cfg.ScopesAny = true
		case "bearer":
			cfg.BearerSchemes = append(cfg.BearerSchemes, v)
		default:
			t.Fatalf("flags.txt: unknown flag %q", f)
		}
	}
	return cfg
}

// checkGenerated checks what every generated file must be: marked as
// generated, gofmt'd, free of absolute paths.
func checkGenerated(t *testing.T, f File) {
	t.Helper()
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, f.Name, f.Content, parser.ParseComments)
	if err != nil {
		t.Fatalf("%s does not parse: %v", f.Name, err)
	}
	if !ast.IsGenerated(file) {
		t.Errorf("%s lacks a \"Code generated ... DO NOT EDIT.\" header", f.Name)
	}
	formatted, err := format.Source(f.Content)
	if err != nil || !bytes.Equal(formatted, f.Content) {
		t.Errorf("%s is not gofmt'd (err %v)", f.Name, err)
	}
	if wd, _ := os.Getwd(); wd != "" && bytes.Contains(f.Content, []byte(filepath.Dir(wd))) {
		t.Errorf("%s contains an absolute path", f.Name)
	}
}

// checkGolden compares got with the file at path, or rewrites it with
// -update. An empty got with optional set means the file must not exist.
func checkGolden(t *testing.T, path string, got []byte, optional bool) {
	t.Helper()
	if *update {
		if optional && len(got) == 0 {
			os.Remove(path)
			return
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if os.IsNotExist(err) && optional && len(got) == 0 {
		return
	}
	if err != nil {
		t.Fatalf("%v (run go test ./generator -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s\n(run go test ./generator -update if the change is intended)", path, diff)
	}
}
