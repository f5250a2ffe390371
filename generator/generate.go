// Package generator turns the security section of an OpenAPI document into
// Go code that enforces it through authgen's runtime.
//
// Generate is a pure function: bytes in, files out. It does no writes, no
// network and reads no clock; external $refs are read through
// Config.ReadFile. The stages are load (kin-openapi, load.go) → model
// (build.go) → emit (jennifer, emit.go).
package generator

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Version is the generator's version, written into generated headers.
const Version = "v0.1.0"

// Config tunes generation. The zero value works.
type Config struct {
	// Package is the Go package name of the generated file; "api" when
	// empty.
	Package string
	// DropUnsupported removes the security alternatives that use a scheme
	// authgen cannot enforce (http basic, mutualTLS, ...) instead of failing.
	// Only whole OR alternatives are dropped: a scheme is never removed from
	// an AND, which would open a way in. An operation left with no
	// alternative refuses every request.
	DropUnsupported bool
	// ScopesAny makes every requirement's scope list mean "any one of"
	// instead of the spec's "all of", unless x-authgen-scopes says
	// otherwise on the requirement, operation or document.
	ScopesAny bool
	// BearerSchemes names apiKey schemes (in the Authorization header) to
	// treat as http bearer: Swagger 2.0 has no bearer type, so specs such as
	// Kubernetes declare bearer tokens as an apiKey named Authorization.
	// x-authgen-bearer: true on the scheme does the same.
	BearerSchemes []string
	// ReadFile reads a file named by an external $ref, resolved relative to
	// the spec's name. Nil refuses external references.
	ReadFile func(name string) ([]byte, error)
}

// File is one generated file.
type File struct {
	// Name is the file's base name, e.g. "openapi_auth_gen.go".
	Name    string
	Content []byte
}

// Result is what Generate produced.
type Result struct {
	Files []File
	// Warnings are problems that did not stop generation, such as dropped
	// alternatives.
	Warnings []Problem
}

// Generate reads spec, named name (a path, used to resolve external $refs
// and in messages), and returns the generated Go file. On failure the error
// joins every problem found (each a Problem, with file, line, column and
// spec path); the Result still carries the warnings.
func Generate(spec []byte, name string, cfg Config) (*Result, error) {
	m, res, err := buildModel(spec, name, cfg)
	if err != nil {
		return res, err
	}
	res.Warnings = append(res.Warnings, generateWarnings(m, name)...)
	src, err := emit(m, cfg)
	if err != nil {
		return res, err
	}
	res.Files = []File{{Name: OutputName(name), Content: src}}
	return res, nil
}

// generateWarnings are the findings of check that Generate reports as
// warnings: an alternative that cannot be satisfied. A finding about the
// document's security is reported once, not per operation.
func generateWarnings(m *model, name string) []Problem {
	ps := &problems{file: name, loc: m.loc}
	unsatisfiable(m, func(at []any, format string, args ...any) {
		ps.warnf(at, format, args...)
		ps.list[len(ps.list)-1].Code = "unsatisfiable"
	})
	return sortProblems(ps.list)
}

// buildModel loads and checks spec, returning the model or every problem.
func buildModel(spec []byte, name string, cfg Config) (m *model, res *Result, err error) {
	ps := &problems{file: name, loc: &locator{}}
	res = &Result{}
	defer func() {
		// A generator must never crash on input; a panic here is a bug in
		// authgen, reported as an error rather than a stack trace.
		if r := recover(); r != nil {
			m, err = nil, Problem{File: name, Message: fmt.Sprintf("internal error reading the document (please report it to authgen): %v", r)}
		}
	}()
	if doc := load(spec, name, cfg, ps); doc != nil {
		m = build(doc, path.Base(strings.ReplaceAll(name, `\`, "/")), cfg, ps)
	}
	res.Warnings = ps.warnings()
	if errs := ps.errors(); len(errs) > 0 {
		list := make([]error, len(errs))
		for i, p := range errs {
			list[i] = p
		}
		return nil, res, errors.Join(list...)
	}
	return m, res, nil
}

// OutputName is the default name of the file generated for the spec at
// name: "openapi.yaml" gives "openapi_auth_gen.go".
func OutputName(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	stem := strings.Trim(b.String(), "_")
	if stem == "" {
		stem = "openapi"
	}
	return stem + "_auth_gen.go"
}
