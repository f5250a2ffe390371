package generator

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	yaml "go.yaml.in/yaml/v4"

	"github.com/authgen/authgen/runtime/authrt"
)

// methodOrder is the order of a path item's operations in the output: the
// Path Item Object's field order.
var methodOrder = []string{
	http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
	http.MethodOptions, http.MethodHead, http.MethodPatch, http.MethodTrace, "QUERY",
}

// builder turns a loaded document into the model, collecting problems.
type builder struct {
	doc     *document
	cfg     Config
	ps      *problems
	m       *model
	schemes map[string]*scheme
	// invalid holds schemes already reported as malformed, so that their
	// uses are not reported again as unknown.
	invalid    map[string]bool
	schemeRoot []any // spec path of the scheme definitions
	// unsupportedUses counts operations using each unsupported scheme
	// when alternatives are not dropped.
	unsupportedUses map[string]int
	// docAny is the document's scope-list mode (x-authgen-scopes).
	docAny bool
	// docExt holds the document's claim rules and rate limits.
	docExt policyExt
	// rateNames holds the first declaration of each rate-limit name: a
	// name is one bucket, so every declaration of it must agree.
	rateNames map[string]rateDecl
}

func build(doc *document, file string, cfg Config, ps *problems) *model {
	b := &builder{
		doc: doc, cfg: cfg, ps: ps,
		m:               &model{File: file, Version: doc.version, loc: doc.loc},
		schemes:         map[string]*scheme{},
		invalid:         map[string]bool{},
		unsupportedUses: map[string]int{},
		rateNames:       map[string]rateDecl{},
		schemeRoot:      []any{"components", "securitySchemes"},
	}
	if doc.swagger {
		b.schemeRoot = []any{"securityDefinitions"}
	}
	if doc.t.Info != nil {
		b.m.Title = doc.t.Info.Title
	}
	b.buildSchemes()
	b.checkExtensions(doc.t.Extensions, nil, "x-authgen-scopes", "x-authgen-claims", "x-authgen-rate-limit")
	b.docAny = b.docScopesAny()
	b.docExt = b.readPolicyExt(doc.t.Extensions, nil, "default")
	docSecurity, docHas := b.documentSecurity()
	b.m.DocDeclared = docHas
	b.buildOperations(docSecurity)
	b.reportUnsupported()
	b.buildScopes()
	b.buildBasePaths()
	b.checkNames()
	b.buildRoutes()
	return b.m
}

func (b *builder) schemePath(name string, more ...any) []any {
	return append(append(append([]any{}, b.schemeRoot...), name), more...)
}

// buildSchemes reads the security schemes, sorted by name.
func (b *builder) buildSchemes() {
	var defs openapi3.SecuritySchemes
	if b.doc.t.Components != nil {
		defs = b.doc.t.Components.SecuritySchemes
	}
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ref := defs[name]
		if ref == nil || ref.Value == nil {
			if loop := b.schemeRefLoop(name); loop != "" {
				b.ps.errorf(b.schemePath(name, "$ref"), "security scheme %q is a circular $ref (%s)", name, loop)
			} else {
				b.ps.errorf(b.schemePath(name), "security scheme %q cannot be resolved", name)
			}
			continue
		}
		ss := ref.Value
		b.checkExtensions(ss.Extensions, b.schemePath(name), "x-authgen-name", "x-authgen-bearer")
		s := &scheme{
			Name: name, Description: firstLine(ss.Description), Path: specPath(b.schemePath(name)...),
			GoName: exported("", extString(ss.Extensions, "x-authgen-name", name), "Scheme"),
		}
		switch strings.ToLower(ss.Type) {
		case "http":
			word := strings.ToLower(strings.TrimSpace(ss.Scheme))
			s.RawType = "http " + ss.Scheme
			switch word {
			case "bearer":
				s.Type, s.Supported, s.BearerFormat = authrt.HTTPBearer, true, ss.BearerFormat
			case "basic":
				s.Type, s.Supported = authrt.HTTPBasic, true
			}
		case "apikey":
			s.RawType = "apiKey"
			s.Param = ss.Name
			switch strings.ToLower(ss.In) {
			case "header":
				s.In = authrt.InHeader
			case "query":
				s.In = authrt.InQuery
			case "cookie":
				s.In = authrt.InCookie
			default:
				b.ps.errorf(b.schemePath(name, "in"), "apiKey security scheme %q: \"in\" must be header, query or cookie, not %q", name, ss.In)
				b.invalid[name] = true
				continue
			}
			if strings.TrimSpace(ss.Name) == "" {
				b.ps.errorf(b.schemePath(name), "apiKey security scheme %q has no \"name\": the %s parameter that carries the key", name, s.In)
				b.invalid[name] = true
				continue
			}
			s.Type, s.Supported = authrt.APIKey, true
			if b.wantsBearer(name, ss.Extensions) {
				if s.In != authrt.InHeader || !strings.EqualFold(s.Param, "Authorization") {
					b.ps.errorf(b.schemePath(name), "apiKey security scheme %q can be read as bearer only when it is the Authorization header, not %s %q", name, s.In, s.Param)
					b.invalid[name] = true
					continue
				}
				s.Type, s.In, s.Param, s.RawType = authrt.HTTPBearer, 0, "", "apiKey read as http bearer"
			}
		case "oauth2":
			s.RawType = "oauth2"
			s.Type, s.Supported = authrt.OAuth2, true
			s.Declared = map[string]string{}
			if f := ss.Flows; f != nil {
				for _, flow := range []*openapi3.OAuthFlow{f.Implicit, f.Password, f.ClientCredentials, f.AuthorizationCode} {
					if flow == nil {
						continue
					}
					for sc, desc := range flow.Scopes {
						if _, ok := s.Declared[sc]; !ok || s.Declared[sc] == "" {
							s.Declared[sc] = firstLine(desc)
						}
					}
				}
			}
		case "openidconnect":
			s.RawType = "openIdConnect"
			s.Type, s.Supported, s.OpenIDConnectURL = authrt.OpenIDConnect, true, ss.OpenIdConnectUrl
		case "mutualtls":
			s.RawType = "mutualTLS"
		default:
			b.ps.errorf(b.schemePath(name, "type"), "security scheme %q has unknown type %q%s", name, b.rawSchemeType(name, ss.Type), b.suggestType(name))
			b.invalid[name] = true
			continue
		}
		b.schemes[name] = s
		b.m.Schemes = append(b.m.Schemes, s)
	}
}

// rawSchemeType is a scheme's type as the document writes it. Swagger
// 2.0's converter drops a type it does not know ("Basic", "APIKey"), so
// the loaded one is empty there.
func (b *builder) rawSchemeType(name, loaded string) string {
	if n := deref(lookupPointer(b.doc.root, pointer(b.schemePath(name, "type")))); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return loaded
}

// suggestType names the type that a scheme's type differs from only in
// case, for Swagger 2.0 (3.x reads types case-insensitively).
func (b *builder) suggestType(name string) string {
	if !b.doc.swagger {
		return ""
	}
	raw := b.rawSchemeType(name, "")
	for _, t := range []string{"basic", "apiKey", "oauth2"} {
		if strings.EqualFold(raw, t) {
			return fmt.Sprintf(" (types are case-sensitive in Swagger 2.0: did you mean %q?)", t)
		}
	}
	return ""
}

// schemeRefLoop returns the chain of a scheme's local $refs when they
// loop ("#/a -> #/b -> #/a"), or "": kin-openapi leaves such a scheme
// unresolved without saying why.
func (b *builder) schemeRefLoop(name string) string {
	at := pointer(b.schemePath(name))
	seen := map[string]bool{at: true}
	chain := []string{"#" + at}
	n := lookupPointer(b.doc.root, at)
	for n != nil {
		ref := deref(mapValue(n, "$ref"))
		if ref == nil || ref.Kind != yaml.ScalarNode || !strings.HasPrefix(ref.Value, "#/") {
			return ""
		}
		u, err := url.Parse(ref.Value)
		if err != nil {
			return ""
		}
		chain = append(chain, ref.Value)
		if seen[u.Fragment] {
			return strings.Join(chain, " -> ")
		}
		seen[u.Fragment] = true
		n = lookupPointer(b.doc.root, u.Fragment)
	}
	return ""
}

// checkExtensions refuses x-authgen- keys a level does not know: a
// misspelled x-authgen-claim or x-authgen-ratelimit would otherwise leave a
// rule unenforced without a word.
func (b *builder) checkExtensions(ext map[string]any, at []any, known ...string) {
	for _, k := range sortedKeys(ext) {
		if !strings.HasPrefix(k, "x-authgen-") || slices.Contains(known, k) {
			continue
		}
		b.ps.errorf(push(at, k), "unknown extension %s here (known here: %s)", k, strings.Join(known, ", "))
	}
}

// httpToken reports whether m is an RFC 9110 token, as methods are.
func httpToken(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// wantsBearer reports whether an apiKey scheme is to be read as bearer: by
// Config.BearerSchemes or x-authgen-bearer: true.
func (b *builder) wantsBearer(name string, ext map[string]any) bool {
	for _, n := range b.cfg.BearerSchemes {
		if n == name {
			return true
		}
	}
	v, ok := ext["x-authgen-bearer"]
	if !ok {
		return false
	}
	if on, isBool := v.(bool); isBool {
		return on
	}
	b.ps.errorf(b.schemePath(name, "x-authgen-bearer"), "x-authgen-bearer must be true or false")
	return false
}

// scopesMode reads an x-authgen-scopes value: "any" or "all".
func (b *builder) scopesMode(v any, at []any) (any bool, ok bool) {
	switch v {
	case "any":
		return true, true
	case "all":
		return false, true
	}
	b.ps.errorf(at, "x-authgen-scopes must be \"any\" or \"all\", not %v", v)
	return false, false
}

// documentSecurity resolves the document-level security once, so that its
// problems are reported once, at the document's own location.
func (b *builder) documentSecurity() ([]alternative, bool) {
	has := mapValue(b.doc.root, "security") != nil
	alts, _ := b.resolve(b.doc.t.Security, []any{"security"}, nil, b.docAny)
	return alts, has
}

// resolve turns requirement objects into alternatives. Unsupported schemes
// are reported by the caller through unsupportedUses, or their
// alternatives dropped when cfg.DropUnsupported is set; dropped counts
// those.
func (b *builder) resolve(reqs openapi3.SecurityRequirements, at []any, op *operation, anyScopes bool) (alts []alternative, dropped int) {
	for i, req := range reqs {
		reqAny := anyScopes
		reqAt := append(append([]any{}, at...), i)
		if ext := b.doc.pruned.reqExt[specPath(reqAt...)]; ext != nil {
			for _, k := range sortedKeys(ext) {
				node := ext[k]
				if k != "x-authgen-scopes" {
					b.ps.errorf(push(reqAt, k), "unknown extension %s in a security requirement (known here: x-authgen-scopes)", k)
					continue
				}
				var v any
				node.Decode(&v)
				if m, ok := b.scopesMode(v, append(reqAt, k)); ok {
					reqAny = m
				}
			}
		}
		names := make([]string, 0, len(req))
		for n := range req {
			names = append(names, n)
		}
		sort.Strings(names)
		alt := alternative{}
		ok, unsupported := true, ""
		for _, n := range names {
			s := b.schemes[n]
			if s == nil {
				ok = false
				if b.invalid[n] {
					continue
				}
				b.ps.errorf(append(append([]any{}, at...), i, n), "unknown security scheme %q%s", n, b.suggest(n))
				ok = false
				continue
			}
			if !s.Supported && unsupported == "" {
				unsupported = n
			}
			scopes := append([]string(nil), req[n]...)
			alt.Reqs = append(alt.Reqs, requirement{Scheme: s, Scopes: scopes, Any: reqAny && len(scopes) > 1})
		}
		if !ok {
			continue
		}
		if unsupported != "" {
			if b.cfg.DropUnsupported {
				dropped++
				continue
			}
			if op != nil {
				b.unsupportedUses[unsupported]++
			}
		}
		alts = append(alts, alt)
	}
	return alts, dropped
}

// suggest names the declared scheme whose name differs only in case, if any.
func (b *builder) suggest(name string) string {
	for _, s := range b.m.Schemes {
		if strings.EqualFold(s.Name, name) {
			return fmt.Sprintf(" (did you mean %q?)", s.Name)
		}
	}
	if len(b.m.Schemes) == 0 {
		return " (the document declares no security schemes)"
	}
	return ""
}

// buildOperations reads every operation, sorted by path then method.
func (b *builder) buildOperations(docSecurity []alternative) {
	paths := b.doc.t.Paths
	if paths == nil || paths.Len() == 0 {
		b.ps.warnf([]any{"paths"}, "the document has no paths: the generated middleware refuses every request")
		return
	}
	keys := paths.Keys()
	sort.Strings(keys)
	seenIDs := map[string]*operation{}
	for _, p := range keys {
		item := paths.Value(p)
		if item == nil {
			continue
		}
		if !strings.HasPrefix(p, "/") {
			b.ps.errorf([]any{"paths", p}, "path %q must start with '/'", p)
			continue
		}
		if err := checkTemplate(p); err != "" {
			b.ps.errorf([]any{"paths", p}, "path template %q: %s", p, err)
			continue
		}
		if strings.Contains(p, "?") {
			b.ps.warnf([]any{"paths", p}, "the query in path template %q is not matched: requests to %s get its operations' checks", p, routePath(p))
		}
		if len(item.Servers) > 0 {
			b.ps.warnf([]any{"paths", p, "servers"}, "path-level servers are ignored: the document's base paths apply")
		}
		b.checkExtensions(item.Extensions, []any{"paths", p}, "x-authgen-claims", "x-authgen-rate-limit")
		pathExt := b.readPolicyExt(item.Extensions, []any{"paths", p}, p)
		ops := item.Operations()
		for _, method := range sortedMethods(ops) {
			o := ops[method]
			at := opElems(p, method)
			if !httpToken(method) {
				b.ps.errorf(at, "%q is not an HTTP method name (RFC 9110 token)", method)
				continue
			}
			b.checkExtensions(o.Extensions, at, "x-authgen-name", "x-authgen-scopes", "x-authgen-claims", "x-authgen-rate-limit")
			op := &operation{
				ID: o.OperationID, Method: method, Path: p, Summary: firstLine(o.Summary),
				Spath: specPath(at...),
			}
			if op.ID == "" {
				op.ID, op.Derived = method+" "+p, true
			}
			if prev := seenIDs[o.OperationID]; prev != nil && o.OperationID != "" {
				b.ps.errorf(append(at, "operationId"), "duplicate operationId %q: also used by %s", o.OperationID, prev.Spath)
				continue
			}
			seenIDs[o.OperationID] = op
			base := derivedName(method, p)
			if !op.Derived {
				base = o.OperationID
			}
			op.GoName = exported("", extString(o.Extensions, "x-authgen-name", base), "Op")
			if o.Servers != nil && len(*o.Servers) > 0 {
				b.ps.warnf(append(at, "servers"), "operation-level servers are ignored: the document's base paths apply")
			}
			anyScopes := b.docAny
			if v, ok := o.Extensions["x-authgen-scopes"]; ok {
				if m, ok := b.scopesMode(v, append(at, "x-authgen-scopes")); ok {
					anyScopes = m
				}
			}
			b.countMentions(o.Security)
			var had int
			if o.Security != nil {
				op.Declared = true
				had = len(*o.Security)
				op.Alternatives, op.Dropped = b.resolve(*o.Security, append(at, "security"), op, anyScopes)
				op.Public = len(*o.Security) == 0
			} else {
				op.Inherited = true
				had = len(b.doc.t.Security)
				op.Alternatives, op.Dropped = b.reresolve(op, anyScopes)
				op.Public = len(docSecurity) == 0 && op.Dropped == 0
			}
			if had > 0 && len(op.Alternatives) == 0 && op.Dropped > 0 {
				b.ps.warnf(at, "every security alternative uses an unsupported scheme and was dropped: the operation refuses every request")
			} else if op.Dropped > 0 {
				b.ps.warnf(at, "dropped %d security alternative(s) that use an unsupported scheme", op.Dropped)
			}
			opName := op.ID
			if op.Derived {
				opName = op.GoName
			}
			opExt := b.readPolicyExt(o.Extensions, at, opName)
			op.Claims, op.RateLimits = effective(b.docExt, pathExt, opExt)
			if op.Public && len(op.Claims) > 0 {
				// Nothing is authenticated, so no claim can hold: rules
				// inherited from the document or path do not apply, and
				// the operation's own are a mistake.
				if opExt.hasClaims || pathExt.hasClaims {
					b.ps.warnf(append(at, "x-authgen-claims"), "claim rules on a public operation are never checked: nothing is authenticated")
				}
				op.Claims = nil
			}
			for _, a := range op.Alternatives {
				for _, r := range a.Reqs {
					r.Scheme.Uses++
				}
			}
			b.m.Operations = append(b.m.Operations, op)
		}
	}
}

// countMentions counts an operation in Mentioned of every scheme its
// requirements name (the document's when it declares none), before any
// alternative is dropped.
func (b *builder) countMentions(own *openapi3.SecurityRequirements) {
	reqs := b.doc.t.Security
	if own != nil {
		reqs = *own
	}
	seen := map[*scheme]bool{}
	for _, req := range reqs {
		for name := range req {
			if s := b.schemes[name]; s != nil && !seen[s] {
				seen[s] = true
				s.Mentioned++
			}
		}
	}
}

// reresolve applies the document's security to an operation that inherits
// it. Problems with it were reported once, at the document level; here only
// unsupported uses are counted.
func (b *builder) reresolve(op *operation, anyScopes bool) ([]alternative, int) {
	saved := b.ps.list
	alts, dropped := b.resolve(b.doc.t.Security, []any{"security"}, op, anyScopes)
	b.ps.list = saved
	return alts, dropped
}

// docScopesAny is the document's x-authgen-scopes, or Config.ScopesAny.
func (b *builder) docScopesAny() bool {
	if v, ok := b.doc.t.Extensions["x-authgen-scopes"]; ok {
		if m, ok := b.scopesMode(v, []any{"x-authgen-scopes"}); ok {
			return m
		}
	}
	return b.cfg.ScopesAny
}

// reportUnsupported reports each unsupported scheme that operations use,
// once, at its definition.
func (b *builder) reportUnsupported() {
	for _, s := range b.m.Schemes {
		if n := b.unsupportedUses[s.Name]; n > 0 {
			b.ps.errorf(b.schemePath(s.Name), "security scheme %q (%s) is not supported by authgen; %d operation(s) use it. "+
				"Use --drop-unsupported to drop the security alternatives that use it (a scheme is never dropped from an AND)", s.Name, s.RawType, n)
		}
	}
}

// buildScopes collects declared and used scopes, sorted by name.
func (b *builder) buildScopes() {
	byName := map[string]*scope{}
	get := func(name string) *scope {
		sc := byName[name]
		if sc == nil {
			sc = &scope{Name: name}
			byName[name] = sc
		}
		return sc
	}
	for _, s := range b.m.Schemes {
		for _, name := range sortedKeys(s.Declared) {
			sc := get(name)
			sc.DeclaredBy = append(sc.DeclaredBy, s.Name)
			if sc.Description == "" {
				sc.Description = s.Declared[name]
			}
		}
	}
	for _, op := range b.m.Operations {
		for _, a := range op.Alternatives {
			for _, r := range a.Reqs {
				for _, name := range r.Scopes {
					sc := get(name)
					if n := len(sc.UsedBy); n == 0 || sc.UsedBy[n-1] != op.ID {
						sc.UsedBy = append(sc.UsedBy, op.ID)
					}
				}
			}
		}
	}
	// Every scope whose natural name is its own keeps it; a later scope that
	// clashes gets the first free numeric suffix, so adding a scope never
	// changes what an existing constant means.
	natural := map[string]int{}
	names := sortedKeys(byName)
	for _, name := range names {
		natural[scopeGoName(name)]++
	}
	taken := map[string]bool{}
	for _, name := range names {
		sc := byName[name]
		sc.GoName = scopeGoName(name)
		if taken[sc.GoName] {
			base := sc.GoName
			for i := 2; taken[sc.GoName] || natural[sc.GoName] > 0; i++ {
				sc.GoName = fmt.Sprintf("%s%d", base, i)
			}
			b.ps.warnf(nil, "scope %q is named %s: its natural name is taken by another scope", name, sc.GoName)
		}
		taken[sc.GoName] = true
		b.m.Scopes = append(b.m.Scopes, sc)
	}
}

func scopeGoName(name string) string {
	n := exported("Scope", name, "Scope")
	if n == "Scope" {
		return "ScopeEmpty"
	}
	return n
}

// buildBasePaths reads the servers' base paths. "" stands for a server at
// the root. A variable with an enum contributes every value, not only its
// default: requests may come under any of them.
func (b *builder) buildBasePaths() {
	seen := map[string]bool{}
	for i, srv := range b.doc.t.Servers {
		if srv == nil {
			continue
		}
		at := []any{"servers", i, "url"}
		if b.doc.swagger {
			at = []any{"host"}
			if mapValue(b.doc.root, "schemes") != nil {
				at = []any{"schemes", i}
			}
		}
		expanded := expandServerURL(srv)
		b.m.Servers = append(b.m.Servers, server{URL: srv.URL, Expanded: expanded, At: at})
		for _, u := range expanded {
			bp, err := basePath(u)
			if err != nil {
				b.ps.warnf([]any{"servers", i, "url"}, "cannot read the base path of server %q: %v", u, err)
				continue
			}
			if !seen[bp] {
				seen[bp] = true
				b.m.BasePaths = append(b.m.BasePaths, bp)
			}
		}
	}
	if len(b.m.BasePaths) == 1 && b.m.BasePaths[0] == "" {
		b.m.BasePaths = nil
	}
	sort.Strings(b.m.BasePaths)
}

// expandServerURL substitutes the server's variables: the enum values when
// there are some (at most 64 URLs in all), else the default.
func expandServerURL(srv *openapi3.Server) []string {
	urls := []string{srv.URL}
	for _, name := range sortedKeys(srv.Variables) {
		v := srv.Variables[name]
		if v == nil {
			continue
		}
		values := v.Enum
		if len(values) == 0 || len(urls)*len(values) > 64 {
			values = []string{v.Default}
		}
		var next []string
		for _, u := range urls {
			for _, val := range values {
				next = append(next, strings.ReplaceAll(u, "{"+name+"}", val))
			}
		}
		urls = next
	}
	return urls
}

// basePath is the path of a server URL (absolute, protocol-relative or a
// path), without a trailing slash, with repeated slashes collapsed.
func basePath(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	p := u.Path
	if strings.ContainsAny(p, "{}") {
		return "", fmt.Errorf("undefined server variable in %q", p)
	}
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	if p != "" && p[0] != '/' {
		p = "/" + p
	}
	return strings.TrimRight(p, "/"), nil
}

// checkNames makes sure generated identifiers are distinct.
func (b *builder) checkNames() {
	reserved := map[string]string{"Options": "a field of Config"}
	seen := map[string]*scheme{}
	for _, s := range b.m.Schemes {
		if why, ok := reserved[s.GoName]; ok {
			b.ps.errorf(b.schemePath(s.Name), "security scheme %q would be named %s, which is %s; rename it with x-authgen-name", s.Name, s.GoName, why)
		}
		if prev := seen[s.GoName]; prev != nil {
			b.ps.errorf(b.schemePath(s.Name), "security schemes %q and %q both become the Go name %s; rename one with x-authgen-name", prev.Name, s.Name, s.GoName)
		}
		seen[s.GoName] = s
	}
	methods := map[string]string{"Middleware": "a method of Auth", "Guard": "a method of Auth", "Authorize": "a method of Auth"}
	seenOps := map[string]*operation{}
	for _, op := range b.m.Operations {
		if why, ok := methods[op.GoName]; ok {
			b.ps.errorf(specPathElems(op), "operation %q would be named %s, which is %s; rename it with x-authgen-name", op.ID, op.GoName, why)
		}
		if prev := seenOps[op.GoName]; prev != nil {
			b.ps.errorf(specPathElems(op), "operations %q (%s) and %q both become the Go name %s; rename one with x-authgen-name", prev.ID, prev.Spath, op.ID, op.GoName)
		}
		seenOps[op.GoName] = op
	}
}

// buildRoutes compiles the route tree; two operations that the same request
// would match (same method, templates equal but for parameter names or a
// trailing slash) are an error.
func (b *builder) buildRoutes() {
	routes, conflicts := buildRoutes(b.m.Operations)
	for _, c := range conflicts {
		first, second := b.m.Operations[c.first], b.m.Operations[c.second]
		if strings.Contains(second.Path, "?") || strings.Contains(first.Path, "?") {
			// Variants keyed by a query: requests reach the first one's
			// checks; that is only sound when both demand the same.
			if samePolicy(first, second) {
				b.ps.warnf(specPathElems(second), "%s %s is routed as %s %s (a query in a path template is not matched); both have the same security", second.Method, second.Path, first.Method, first.Path)
				continue
			}
			b.ps.errorf(specPathElems(second), "%s %s and %s %s (%s) differ only by a query, which routing cannot see, and have different security", second.Method, second.Path, first.Method, first.Path, first.Spath)
			continue
		}
		b.ps.errorf(specPathElems(second), "%s %s matches the same requests as %s %s (%s): paths differ only in parameter names or a trailing slash",
			second.Method, second.Path, first.Method, first.Path, first.Spath)
	}
	b.m.Routes = routes
}

// samePolicy reports whether two operations demand exactly the same.
func samePolicy(a, b *operation) bool {
	return a.Public == b.Public && alternativesText(a, "") == alternativesText(b, "") &&
		fmt.Sprint(a.Claims) == fmt.Sprint(b.Claims) && fmt.Sprint(a.RateLimits) == fmt.Sprint(b.RateLimits)
}

func specPathElems(op *operation) []any { return opElems(op.Path, op.Method) }

// opElems is the spec path of the operation at path and method: a fixed
// field (paths./a.get), or an entry of additionalOperations (3.2).
func opElems(path, method string) []any {
	if operationKeys[strings.ToLower(method)] {
		return []any{"paths", path, strings.ToLower(method)}
	}
	return []any{"paths", path, "additionalOperations", method}
}

// checkTemplate reports a malformed path template: unbalanced or nested
// braces, an empty parameter name, or a template no request could match as
// written (an empty, "." or ".." segment; "?", "#", "%" or a control
// character), which, with unlisted routes allowed, would leave the real
// route unchecked.
func checkTemplate(p string) string {
	route := routePath(p)
	for i, seg := range strings.Split(strings.TrimSuffix(route, "/"), "/") {
		switch {
		case i == 0:
		case seg == "" && route != "/":
			return "empty segment (\"//\")"
		case seg == "." || seg == "..":
			return "dot segment"
		}
	}
	if before, _, _ := strings.Cut(p, "?"); strings.ContainsAny(before, "#%\\") {
		return "\"#\", \"%\" and \"\\\" cannot appear in a path template (requests are matched decoded)"
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "control character"
		}
	}
	depth := 0
	start := 0
scan:
	for i, c := range p {
		switch c {
		case '?':
			if depth > 0 {
				return "'?' inside a parameter (\"{id?}\": OpenAPI has no optional path parameters)"
			}
			break scan // the rest is a query, not routed
		case '{':
			if depth > 0 {
				return "nested '{'"
			}
			depth, start = 1, i
		case '}':
			if depth == 0 {
				return "'}' without '{'"
			}
			if i == start+1 {
				return "empty parameter name"
			}
			depth = 0
		case '/':
			if depth > 0 {
				return "parameter spans a '/'"
			}
		}
	}
	if depth > 0 {
		return "'{' without '}'"
	}
	return ""
}

func sortedMethods(ops map[string]*openapi3.Operation) []string {
	rank := map[string]int{}
	for i, m := range methodOrder {
		rank[m] = i
	}
	out := make([]string, 0, len(ops))
	for m := range ops {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		ri, iok := rank[out[i]]
		rj, jok := rank[out[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return out[i] < out[j]
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// extString returns a string extension value, or def.
func extString(ext map[string]any, key, def string) string {
	if v, ok := ext[key].(string); ok && strings.TrimSpace(v) != "" {
		return v
	}
	return def
}

// firstLine returns the first line of a description, trimmed, for comments.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return truncate(s, 120)
}

// truncate shortens s to at most n bytes, at a rune boundary, marking the
// cut with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + "..."
}
