package authrt

import "net/http"

// Scope is an OAuth2-style scope name as it appears in the OpenAPI document.
type Scope string

// OperationID names an operation: its operationId, or the name authgen
// derived from its method and path.
type OperationID string

// SchemeType is the kind of an OpenAPI security scheme.
type SchemeType uint8

// The security scheme types the runtime enforces.
const (
	// HTTPBearer is type http, scheme bearer: "Authorization: Bearer <token>".
	HTTPBearer SchemeType = iota + 1
	// APIKey is type apiKey: a key in a header, query parameter or cookie.
	APIKey
	// OAuth2 is type oauth2: a bearer access token, validated as a JWT.
	OAuth2
	// OpenIDConnect is type openIdConnect: a bearer access token, validated
	// as a JWT issued by the discovered provider.
	OpenIDConnect
	// HTTPBasic is type http, scheme basic (RFC 7617):
	// "Authorization: Basic base64(user-id:password)". Its verifier gets the
	// decoded "user-id:password".
	HTTPBasic
)

func (t SchemeType) String() string {
	switch t {
	case HTTPBearer:
		return "http bearer"
	case APIKey:
		return "apiKey"
	case OAuth2:
		return "oauth2"
	case OpenIDConnect:
		return "openIdConnect"
	case HTTPBasic:
		return "http basic"
	}
	return "unknown"
}

// bearer reports whether the scheme reads "Authorization: Bearer <token>".
func (t SchemeType) bearer() bool { return t == HTTPBearer || t == OAuth2 || t == OpenIDConnect }

// extractor returns how the scheme takes its credential out of the
// Authorization header value, or nil when it uses the raw value (apiKey).
func (t SchemeType) extractor() func(string) (string, found) {
	switch {
	case t.bearer():
		return bearerToken
	case t == HTTPBasic:
		return basicCredential
	}
	return nil
}

// In is where an API key travels.
type In uint8

// Credential locations.
const (
	InHeader In = iota + 1
	InQuery
	InCookie
)

func (in In) String() string {
	switch in {
	case InHeader:
		return "header"
	case InQuery:
		return "query"
	case InCookie:
		return "cookie"
	}
	return "unknown"
}

// Scheme is one entry of the document's components.securitySchemes.
type Scheme struct {
	// Name is the scheme's key in components.securitySchemes.
	Name string
	// Type is the scheme's type.
	Type SchemeType
	// In and Param locate an API key: the header, query parameter or cookie
	// name. Bearer schemes leave them empty: they read the Authorization
	// header.
	In    In
	Param string
}

// place returns where the scheme's credential travels, normalised so that
// schemes reading the same place compare equal.
func (s *Scheme) place() place {
	if s.Type.bearer() || s.Type == HTTPBasic {
		return place{in: InHeader, name: "Authorization"}
	}
	if s.In == InHeader {
		return place{in: InHeader, name: http.CanonicalHeaderKey(s.Param)}
	}
	return place{in: s.In, name: s.Param}
}

type place struct {
	in   In
	name string
}

// Requirement is one scheme of an alternative with the scopes it must grant.
type Requirement struct {
	// Scheme indexes Spec.Schemes.
	Scheme int
	// Scopes must all be granted by the scheme's credential, or, with
	// AnyScope, at least one of them.
	Scopes []Scope
	// AnyScope relaxes Scopes to "any one of" (x-authgen-scopes: any), for
	// specs that list alternatives as one requirement.
	AnyScope bool
}

// Alternative is one security requirement object: every requirement must
// hold (AND). An empty Alternative means anonymous access is allowed.
type Alternative []Requirement

// Operation is one operation of the document with its effective security.
type Operation struct {
	ID     OperationID
	Method string
	// Path is the path template, without the server's base path.
	Path string
	// Public marks an operation anyone may call (security: []): nothing is
	// checked. It must be set explicitly: an operation that is not Public
	// and has no Security refuses every request.
	Public bool
	// Security lists the alternatives (OR), in spec order.
	Security []Alternative
	// Claims must all hold for an alternative to win (x-authgen-claims).
	Claims []ClaimRule
	// RateLimits apply once the request is authorized
	// (x-authgen-rate-limit).
	RateLimits []RateLimitRule
}

// Spec is what authgen generates from one OpenAPI document: its schemes,
// operations and the compiled route tree.
type Spec struct {
	// Title names the API; it is the default realm of the challenges.
	Title      string
	Schemes    []Scheme
	Operations []Operation
	// Routes is the route tree compiled by the generator; Routes[0] is
	// the root.
	Routes []RouteNode
	// BasePaths are the path parts of the document's server URLs ("/v1").
	BasePaths []string
}
