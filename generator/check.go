package generator

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/authgen/authgen/runtime/authrt"
)

// Check lints the security of a spec: everything Generate would report,
// plus findings that do not stop generation but deserve a look before the
// spec ships. Each finding has its location and a Code naming the rule.
// The error is nil unless the spec could not be read at all.
//
// Rules (their codes):
//   - no-security: an operation declares no security while others do;
//   - unsatisfiable: an alternative ANDs two schemes that read the same
//     place (one header cannot carry two credentials);
//   - undeclared-scope: a requirement uses a scope its oauth2 scheme does
//     not declare;
//   - unused-scope: a declared scope no operation requires;
//   - unused-scheme: a security scheme no operation uses;
//   - apikey-in-query: an API key in the query string ends up in logs;
//   - apikey-authorization: an apiKey that is the whole Authorization
//     header, often a bearer token in disguise (Kubernetes);
//   - scopes-on-non-oauth: scopes on a non-OAuth scheme in a 3.0 or
//     Swagger 2.0 document, where the spec says they must be empty;
//   - plain-http-server: a server on plain http while operations carry
//     credentials;
//   - head-differs-from-get: a HEAD operation whose security differs from
//     its path's GET, whose handler net/http runs for HEAD;
//   - claims-with-anonymous: claim rules on an operation that also allows
//     anonymous access, which admits whoever fails them;
//   - strict-validation: the document fails kin-openapi's full validation
//     (authgen reads it anyway; a warning).
func Check(spec []byte, name string, cfg Config) []Problem {
	m, res, err := buildModel(spec, name, cfg)
	var out []Problem
	if res != nil {
		out = append(out, res.Warnings...)
	}
	if err != nil {
		out = append(out, unjoin(err)...)
		return sortProblems(out)
	}
	ps := &problems{file: name, loc: m.loc}
	lint(m, ps)
	if msg := strictValidation(spec, name, cfg); msg != "" {
		ps.list = append(ps.list, Problem{File: name, Message: "the document fails strict OpenAPI validation; authgen reads its security anyway: " + msg, Warning: true, Code: "strict-validation"})
	}
	out = append(out, ps.list...)
	return sortProblems(out)
}

func unjoin(err error) []Problem {
	var out []Problem
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if p, ok := e.(Problem); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

// sortProblems orders findings by position and drops repeats (a finding
// about the document's default security is found once per operation).
func sortProblems(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Col < ps[j].Col
	})
	out := ps[:0]
	seen := map[Problem]bool{}
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func lint(m *model, ps *problems) {
	warn := func(code string, at []any, format string, args ...any) {
		ps.warnf(at, format, args...)
		ps.list[len(ps.list)-1].Code = code
	}
	fail := func(code string, at []any, format string, args ...any) {
		ps.errorf(at, format, args...)
		ps.list[len(ps.list)-1].Code = code
	}
	secured := 0
	for _, op := range m.Operations {
		if !op.Public {
			secured++
		}
	}
	credentials := secured > 0
	for _, op := range m.Operations {
		at := specPathElems(op)
		if secured > 0 && op.Public && !op.Declared && !m.DocDeclared {
			warn("no-security", at, "%s %s declares no security while %d other operation(s) do; add security: [] if it is meant to be public", op.Method, op.Path, secured)
		}
		if len(op.Claims) > 0 && hasAnonymous(op) {
			warn("claims-with-anonymous", at, "%s %s has claim rules and an anonymous alternative ({}): a caller failing the rules is still let in anonymously", op.Method, op.Path)
		}
	}
	unsatisfiable(m, func(at []any, format string, args ...any) { fail("unsatisfiable", at, format, args...) })
	// HEAD beside GET: net/http serves HEAD with the GET handler, so a HEAD
	// operation with other security guards that handler differently.
	gets := map[string]*operation{}
	for _, op := range m.Operations {
		if op.Method == "GET" {
			gets[routePath(op.Path)] = op
		}
	}
	for _, op := range m.Operations {
		if get := gets[routePath(op.Path)]; op.Method == "HEAD" && get != nil && !samePolicy(op, get) {
			warn("head-differs-from-get", specPathElems(op), "HEAD %s has other security than GET %s; net/http serves HEAD with the GET handler, so the weaker of the two guards its response headers", op.Path, get.Path)
		}
	}
	// Scope declarations and uses, per oauth2 scheme.
	used := map[*scheme]map[string]bool{}
	for _, op := range m.Operations {
		for ai, a := range op.Alternatives {
			for _, r := range a.Reqs {
				if used[r.Scheme] == nil {
					used[r.Scheme] = map[string]bool{}
				}
				for _, sc := range r.Scopes {
					used[r.Scheme][sc] = true
					if r.Scheme.Type == authrt.OAuth2 {
						if _, ok := r.Scheme.Declared[sc]; !ok {
							warn("undeclared-scope", reqPath(op, ai, r.Scheme.Name), "scope %q is not declared by oauth2 scheme %q", sc, r.Scheme.Name)
						}
					}
				}
				if len(r.Scopes) > 0 && !oauthLike(r.Scheme) {
					switch {
					case m.Version == "2.0":
						warn("scopes-on-non-oauth", reqPath(op, ai, r.Scheme.Name), "scopes on %s scheme %q: Swagger 2.0 says the list must be empty for non-oauth2 schemes", r.Scheme.RawType, r.Scheme.Name)
					case strings.HasPrefix(m.Version, "3.0"):
						warn("scopes-on-non-oauth", reqPath(op, ai, r.Scheme.Name), "scopes on %s scheme %q: OpenAPI 3.0 says the list must be empty for non-OAuth schemes (3.1 allows roles)", r.Scheme.RawType, r.Scheme.Name)
					}
				}
			}
		}
	}
	for _, s := range m.Schemes {
		if s.Mentioned == 0 {
			// Mentioned, not Uses: a scheme named only by alternatives
			// that --drop-unsupported dropped is used by the spec.
			warn("unused-scheme", schemeElems(m, s.Name), "security scheme %q is not used by any operation", s.Name)
		}
		if s.Type == authrt.APIKey && s.In == authrt.InHeader && strings.EqualFold(s.Param, "Authorization") {
			warn("apikey-authorization", schemeElems(m, s.Name), "apiKey %q is the whole Authorization header; if clients send \"Bearer <token>\" in it, mark the scheme x-authgen-bearer: true (or --bearer %s)", s.Name, s.Name)
		}
		if s.Type == authrt.APIKey && s.In == authrt.InQuery {
			warn("apikey-in-query", schemeElems(m, s.Name), "API key %q travels in the query string, which proxies and servers log; prefer a header", s.Param)
		}
		for _, sc := range sortedKeys(s.Declared) {
			if !used[s][sc] {
				warn("unused-scope", schemeElems(m, s.Name), "scope %q is declared but no operation requires it", sc)
			}
		}
	}
	if credentials {
		for _, srv := range m.Servers {
			// The expanded URLs: "{scheme}://api.example.com" is plain http
			// when the variable's default or one of its values is http.
			for _, raw := range srv.Expanded {
				u, err := url.Parse(raw)
				if err != nil || u.Scheme != "http" || isLoopback(u.Hostname()) {
					continue
				}
				what := fmt.Sprintf("server %q", srv.URL)
				if raw != srv.URL {
					what = fmt.Sprintf("server %q (as %q)", srv.URL, raw)
				}
				warn("plain-http-server", srv.At, "%s is plain http, but operations send credentials: they would cross the network in clear text", what)
				break
			}
		}
	}
}

// unsatisfiable reports each alternative that ANDs two schemes reading the
// same place: one request cannot carry both credentials, so the
// alternative never admits anyone. Check reports it as an error, Generate
// as a warning (the generated code is still correct: it refuses).
func unsatisfiable(m *model, report func(at []any, format string, args ...any)) {
	for _, op := range m.Operations {
		for ai, a := range op.Alternatives {
			for i := 0; i < len(a.Reqs); i++ {
				for j := i + 1; j < len(a.Reqs); j++ {
					si, sj := a.Reqs[i].Scheme, a.Reqs[j].Scheme
					if si.Supported && sj.Supported && samePlace(si, sj) {
						where := append(specPathElems(op), "security", ai)
						if !op.Declared {
							where = []any{"security", ai}
						}
						report(where, "security schemes %q and %q are required together but both read %s: one request cannot carry both", si.Name, sj.Name, placeName(si))
					}
				}
			}
		}
	}
}

func oauthLike(s *scheme) bool { return s.Type == authrt.OAuth2 || s.Type == authrt.OpenIDConnect }

// samePlace reports whether two schemes read their credential from the same
// header, query parameter or cookie.
func samePlace(a, b *scheme) bool {
	pa, pb := placeName(a), placeName(b)
	return pa == pb
}

func placeName(s *scheme) string {
	switch s.Type {
	case authrt.APIKey:
		name := s.Param
		if s.In == authrt.InHeader {
			name = strings.ToLower(name)
		}
		return s.In.String() + " " + name
	}
	return "header authorization"
}

func reqPath(op *operation, alt int, scheme string) []any {
	if !op.Declared {
		return []any{"security", alt, scheme}
	}
	return append(specPathElems(op), "security", alt, scheme)
}

func schemeElems(m *model, name string) []any {
	if m.Version == "2.0" {
		return []any{"securityDefinitions", name}
	}
	return []any{"components", "securitySchemes", name}
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasSuffix(host, ".localhost") || strings.HasPrefix(host, "{")
}
