// Package boundary holds the test that keeps the runtime's import graph
// small: the user's server must never parse OpenAPI or build code at run
// time.
package boundary

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are modules no runtime package may depend on, directly or not.
var forbidden = []string{
	"github.com/getkin/kin-openapi",
	"github.com/dave/jennifer",
	"github.com/authgen/authgen/generator",
	"github.com/spf13/pflag",
}

func TestRuntimeImports(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(goBin, "list", "-deps", "-test=false", "github.com/authgen/authgen/runtime/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list returned too little to be trusted: %q", deps)
	}
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || strings.HasPrefix(d, f+"/") {
				t.Errorf("a runtime package depends on %s", d)
			}
		}
	}
}

// TestCoreRuntimeIsStdlibOnly checks that the packages generated code
// always imports need nothing but the standard library and golang-jwt.
func TestCoreRuntimeIsStdlibOnly(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	for _, pkg := range []string{"runtime/authrt", "runtime/jwtauth", "runtime/apikey", "runtime/basicauth",
		"runtime/jwks", "runtime/oidc", "runtime/revoke", "runtime/issuer"} {
		out, err := exec.Command(goBin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "github.com/authgen/authgen/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, d := range strings.Fields(string(out)) {
			if !strings.HasPrefix(d, "github.com/authgen/authgen/runtime/") && !strings.HasPrefix(d, "github.com/golang-jwt/jwt/v5") {
				t.Errorf("%s depends on %s: the core runtime is stdlib + golang-jwt only", pkg, d)
			}
		}
	}
}
