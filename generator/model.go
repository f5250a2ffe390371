package generator

import (
	"strings"

	"github.com/authgen/authgen/runtime/authrt"
)

// The model sits between loading (kin-openapi) and emitting (jennifer): plain
// structs, each item carrying the spec path it came from, so that any stage
// can report a problem with its location.

// model is the security-relevant content of one OpenAPI document.
type model struct {
	// File is the spec's file name (no directory), for headers and errors.
	File    string
	Title   string
	Version string // the document's openapi or swagger version
	Schemes []*scheme
	// Scopes are every scope declared by a scheme or used by a requirement,
	// sorted by name.
	Scopes     []*scope
	Operations []*operation
	// BasePaths are the path parts of the servers' URLs, sorted.
	BasePaths []string
	// DocDeclared is true when the document has a top-level security
	// field, even an empty one.
	DocDeclared bool
	// Servers are the document's servers, in order.
	Servers []server
	// Routes is the compiled route tree, root first.
	Routes []*rnode
	// loc finds positions in the document, for later findings (check).
	loc *locator
}

// server is one of the document's servers.
type server struct {
	URL string
	// Expanded are its URLs with the variables substituted (every enum
	// value, else the default).
	Expanded []string
	// At is its spec path: servers[i].url, or for Swagger 2.0, where the
	// converter makes one server per entry of schemes, schemes[i] (host
	// when there is no schemes list).
	At []any
}

// scheme is a security scheme from components.securitySchemes (or
// securityDefinitions in Swagger 2.0).
type scheme struct {
	Name   string
	GoName string
	Type   authrt.SchemeType
	// RawType describes the scheme as the spec does ("http basic"), for
	// messages about unsupported schemes.
	RawType     string
	Supported   bool
	In          authrt.In
	Param       string
	Description string
	// BearerFormat is the http bearer scheme's bearerFormat hint.
	BearerFormat string
	// OpenIDConnectURL is the openIdConnect discovery URL.
	OpenIDConnectURL string
	// Declared scopes (oauth2 flows), by name.
	Declared map[string]string
	// Uses counts the operations whose requirements name the scheme, in
	// the alternatives kept.
	Uses int
	// Mentioned counts the operations whose requirements name the scheme,
	// dropped alternatives (Config.DropUnsupported) included.
	Mentioned int
	Path      string
}

// scope is one scope name with where it was declared and used.
type scope struct {
	Name        string
	GoName      string
	Description string
	// DeclaredBy lists the schemes declaring it; UsedBy the operations
	// requiring it.
	DeclaredBy []string
	UsedBy     []string
}

// operation is one operation with its effective security.
type operation struct {
	ID      string // operationId, or derived from method and path
	Derived bool   // ID was derived, not given
	GoName  string
	Method  string // upper case
	Path    string // path template as in the spec
	Summary string
	// Public is true for security: [] (or only empty alternatives).
	Public bool
	// Inherited is true when the document's default security applies.
	Inherited    bool
	Alternatives []alternative
	// Claims and RateLimits come from x-authgen-claims and
	// x-authgen-rate-limit (operation, else path, else document).
	Claims     []claimRule
	RateLimits []rateRule
	// Declared is true when the operation has its own security field.
	Declared bool
	// Dropped counts alternatives removed by DropUnsupported.
	Dropped int
	Spath   string // spec path of the operation: paths./x.get
}

// alternative is one security requirement object: all of Reqs (AND).
type alternative struct {
	Reqs []requirement
}

// requirement is one scheme of an alternative with its scopes.
type requirement struct {
	Scheme *scheme
	Scopes []string
	// Any: one of Scopes suffices (x-authgen-scopes: any).
	Any bool
}

// alternativesText writes an operation's security as alternatives joined by
// OR, each a list of requirements joined by AND, with each requirement
// (scheme[scopes], "|" between any-of scopes) between quote marks:
// "bearer[read] OR key AND partner (document default)".
func alternativesText(op *operation, quote string) string {
	var alts []string
	for _, a := range op.Alternatives {
		if len(a.Reqs) == 0 {
			alts = append(alts, "anonymous")
			continue
		}
		var reqs []string
		for _, r := range a.Reqs {
			s := r.Scheme.Name
			if len(r.Scopes) > 0 {
				sep := " "
				if r.Any {
					sep = " | "
				}
				s += "[" + strings.Join(r.Scopes, sep) + "]"
			}
			reqs = append(reqs, quote+s+quote)
		}
		alts = append(alts, strings.Join(reqs, " AND "))
	}
	s := strings.Join(alts, " OR ")
	if op.Inherited {
		s += " (document default)"
	}
	return s
}
