package generator

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The real-world corpus lives beside the repository (../shared/specs) in
// development and CI, not in a user's clone.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "shared", "specs")
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		tb.Skipf("real-world specs not found at %s (they sit beside the repository root in development and CI): %v", dir, err)
	}
	return dir
}

// corpus lists every spec with the number of operations SOURCES.md counts
// and the options it needs: X declares a non-standard http "OAuth" scheme,
// Kubernetes declares its bearer token as a Swagger 2.0 apiKey, Discord
// lists alternatives as one scope list.
var corpus = []struct {
	file string
	ops  int
	cfg  Config
}{
	{"adyen-checkout-v71.json", 28, Config{}},
	{"airflow-v1.yaml", 89, Config{}},
	{"cloudflare-api-2023-07.yaml", 1259, Config{}},
	{"digitalocean-public-bundled.yaml", 659, Config{}},
	{"discord-api.json", 242, Config{ScopesAny: true}},
	{"figma-rest.yaml", 47, Config{}},
	{"jira-platform-2022.json", 468, Config{}},
	{"kubernetes-swagger-1.36.json", 1123, Config{BearerSchemes: []string{"BearerToken"}}},
	{"oai-non-oauth-scopes.yaml", 1, Config{}},
	{"oai-tictactoe.yaml", 3, Config{}},
	{"oai-uber.yaml", 5, Config{}},
	{"okta-management.yaml", 732, Config{}},
	{"openai-api.yaml", 288, Config{}},
	{"overseerr-api.yaml", 170, Config{}},
	{"pagerduty-scim.json", 10, Config{}},
	{"plaid-2020-09-14.yaml", 329, Config{}},
	{"slack-web.json", 174, Config{}},
	{"spotify-web.yaml", 96, Config{}},
	{"stripe-spec3-2023-05.yaml", 452, Config{}},
	{"supabase-auth.yaml", 59, Config{}},
	{"twilio-iam-organizations.json", 13, Config{}},
	{"x-api.json", 171, Config{DropUnsupported: true}},
}

// TestCorpus generates auth for every real-world spec, checks the operation
// count, and compiles and vets all the generated packages in a temporary
// module that uses this repository's runtime.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	entries, _ := filepath.Glob(filepath.Join(dir, "*.*"))
	listed := map[string]bool{}
	for _, c := range corpus {
		listed[c.file] = true
	}
	for _, e := range entries {
		if b := filepath.Base(e); b != "SOURCES.md" && !listed[b] {
			t.Errorf("%s is in the corpus but not in the test's table", b)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(mod, "go.sum"), gosum, 0o644)
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte(fmt.Sprintf(
		"module corpus\n\ngo 1.26\n\nrequire github.com/authgen/authgen v0.0.0\n\nreplace github.com/authgen/authgen => %s\n", root)), 0o644)

	for i, c := range corpus {
		data, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		cfg := c.cfg
		cfg.Package = fmt.Sprintf("spec%02d", i)
		res, err := Generate(data, c.file, cfg)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		content := res.Files[0].Content
		if n := strings.Count(string(content), "\n\t\t{ID: "); c.ops > 0 && n != c.ops {
			t.Errorf("%s: %d operations generated, SOURCES.md counts %d", c.file, n, c.ops)
		}
		pkgDir := filepath.Join(mod, cfg.Package)
		os.MkdirAll(pkgDir, 0o755)
		if err := os.WriteFile(filepath.Join(pkgDir, res.Files[0].Name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if testing.Short() {
		t.Skip("-short: generated corpus code not compiled")
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generated corpus code does not compile or vet: %v\n%s", err, out)
	}
}

// BenchmarkGenerate measures generation for the largest specs, from bytes
// to formatted Go source. The baseline is parsing the same bytes into a
// node tree, the least any reader of the document does.
func BenchmarkGenerate(b *testing.B) {
	dir := corpusDir(b)
	for _, c := range []struct {
		file string
		cfg  Config
	}{
		{"cloudflare-api-2023-07.yaml", Config{}},
		{"kubernetes-swagger-1.36.json", Config{BearerSchemes: []string{"BearerToken"}}},
		{"stripe-spec3-2023-05.yaml", Config{}},
	} {
		data, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.file+"/generate", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Generate(data, c.file, c.cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.file+"/parse-baseline", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := parseNodes(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
