package authrt

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"time"
)

// Options tune a Guard. The zero value is the secure default.
type Options struct {
	// AllowUnlisted lets requests that match no operation of the document
	// through, unauthenticated. By default they are refused with 404: an
	// auth layer that does not know a route cannot protect it.
	//
	// Even then, a request that a lenient router could hand to a listed
	// operation's handler is not passed: a case variant or a path without
	// the base path gets that operation's checks, and a path below a
	// listed one ("/admin/users" under "/admin/", which ServeMux's subtree
	// patterns and "{rest...}" wildcards match) is refused. The root "/"
	// is the exception: register it as "/{$}" with ServeMux, or every
	// unlisted path reaches its handler.
	AllowUnlisted bool
	// BasePaths replaces the base paths taken from the document's servers
	// ("/v1"), for a deployment mounted elsewhere. Use []string{"/"} for
	// none.
	BasePaths []string
	// Realm is the realm of the WWW-Authenticate challenges; the document's
	// title by default.
	Realm string
	// ErrorWriter renders refused requests; WriteProblem by default.
	ErrorWriter func(w http.ResponseWriter, r *http.Request, d *Denial)
	// TrustedProxies lists the proxies (IP addresses or CIDR prefixes)
	// whose X-Forwarded-For the guard believes when it resolves the client
	// address; by default it believes none and uses the connection's peer.
	TrustedProxies []string
	// RateLimiter counts requests for x-authgen-rate-limit; an in-memory
	// limiter by default. With a shared limiter (Redis), the in-memory one
	// is the fallback when it fails.
	RateLimiter RateLimiter
	// AuditLogger, when set, receives one record per decision (see
	// Decision); OnDecision is called with each decision too.
	AuditLogger *slog.Logger
	OnDecision  func(ctx context.Context, d *Decision)
	// RequestIDHeader names the header whose value the audit record keeps
	// as the request ID; "X-Request-Id" by default, "-" for none.
	RequestIDHeader string
}

// Guard enforces a Spec's security on HTTP requests. It is built once, at
// startup, by the generated New function, and is safe for concurrent use.
type Guard struct {
	spec      *Spec
	verifiers []Verifier
	ops       []compiledOp
	basePaths []string
	allowAll  bool
	foldRisk  []bool // spec.foldRisk(): nodes where folded matching may go another way
	// baseAmbiguous: a path with its base path may itself match a
	// template (spec.baseAmbiguous), as it does for a router mounted
	// without the base path.
	baseAmbiguous bool
	// policy numbers the operations by their checks: equal numbers, equal
	// checks (samePolicy).
	policy  []int
	errorW  func(http.ResponseWriter, *http.Request, *Denial)
	trusted []netip.Prefix
	limiter RateLimiter
	local   *MemoryLimiter
	// auditing is true when decisions are recorded.
	auditing        bool
	auditLog        *slog.Logger
	onDecision      func(context.Context, *Decision)
	requestIDHeader string
}

// ErrConfig is wrapped by every error NewGuard returns.
var ErrConfig = errors.New("authrt: invalid configuration")

// NewGuard checks spec and verifiers (one per spec.Schemes entry, nil for a
// scheme no operation uses) and compiles the per-operation policies. It
// fails, naming every problem, when a scheme that an operation uses has no
// verifier: misconfiguration is found at startup, not on the first request.
func NewGuard(spec *Spec, verifiers []Verifier, opts Options) (*Guard, error) {
	if spec == nil {
		return nil, fmt.Errorf("%w: nil spec", ErrConfig)
	}
	if len(verifiers) != len(spec.Schemes) {
		return nil, fmt.Errorf("%w: %d verifiers for %d security schemes", ErrConfig, len(verifiers), len(spec.Schemes))
	}
	g := &Guard{spec: spec, verifiers: verifiers, allowAll: opts.AllowUnlisted, errorW: opts.ErrorWriter,
		local: NewMemoryLimiter(0), limiter: opts.RateLimiter, auditLog: opts.AuditLogger, onDecision: opts.OnDecision,
		requestIDHeader: opts.RequestIDHeader, foldRisk: spec.foldRisk()}
	if g.errorW == nil {
		g.errorW = WriteProblem
	}
	if g.limiter == nil || isNilLimiter(g.limiter) {
		g.limiter = g.local
	}
	g.auditing = g.auditLog != nil || g.onDecision != nil
	switch g.requestIDHeader {
	case "":
		g.requestIDHeader = "X-Request-Id"
	case "-":
		g.requestIDHeader = ""
	}
	realm := opts.Realm
	if realm == "" {
		realm = spec.Title
	}
	if realm == "" {
		realm = "api"
	}
	var errs []error
	for _, t := range opts.TrustedProxies {
		p, err := ParseNetwork(t)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: trusted proxy: %v", ErrConfig, err))
			continue
		}
		g.trusted = append(g.trusted, p)
	}
	used := make([]bool, len(spec.Schemes))
	for i := range spec.Operations {
		op, err := compileOp(spec, i, realm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range op.schemes {
			used[s] = true
		}
		g.ops = append(g.ops, op)
	}
	for i, s := range spec.Schemes {
		if used[i] && isNil(verifiers[i]) {
			errs = append(errs, fmt.Errorf("%w: security scheme %q (%s) is used but has no verifier", ErrConfig, s.Name, s.Type))
		}
	}
	if err := checkRoutes(spec); err != nil {
		errs = append(errs, err)
	}
	bases := opts.BasePaths
	if bases == nil {
		bases = spec.BasePaths
	}
	for _, b := range bases {
		b = strings.TrimRight(b, "/")
		if b != "" && (b[0] != '/' || strings.Contains(b, "//")) {
			errs = append(errs, fmt.Errorf("%w: base path %q must start with a single '/'", ErrConfig, b))
		}
		// "" (a server at the root) stays: it matches paths as they are.
		g.basePaths = append(g.basePaths, b)
	}
	// Longest first, so "/v1/admin" is tried before "/v1".
	sort.Slice(g.basePaths, func(i, j int) bool { return len(g.basePaths[i]) > len(g.basePaths[j]) })
	g.baseAmbiguous = spec.baseAmbiguous(g.basePaths)
	g.policy = policyClasses(spec.Operations)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return g, nil
}

func isNilLimiter(l RateLimiter) bool { return isNilValue(l) }

func isNil(v Verifier) bool { return isNilValue(v) }

func isNilValue(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Interface, reflect.Slice, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// checkRoutes makes sure the generated route tree only points at nodes and
// operations that exist, so matching can never index out of range.
func checkRoutes(spec *Spec) error {
	for i, n := range spec.Routes {
		for _, e := range n.Static {
			if e.Node <= 0 || e.Node >= len(spec.Routes) {
				return fmt.Errorf("%w: route node %d: edge %q to missing node %d", ErrConfig, i, e.Segment, e.Node)
			}
		}
		for _, p := range n.Params {
			if p.Node <= 0 || p.Node >= len(spec.Routes) || len(p.Literals) < 2 {
				return fmt.Errorf("%w: route node %d: bad parameter edge", ErrConfig, i)
			}
		}
		for _, m := range n.Methods {
			if m.Operation < 0 || m.Operation >= len(spec.Operations) {
				return fmt.Errorf("%w: route node %d: %s to missing operation %d", ErrConfig, i, m.Method, m.Operation)
			}
			if op := &spec.Operations[m.Operation]; op.Method != m.Method {
				return fmt.Errorf("%w: route node %d: %s leads to operation %q, whose method is %s", ErrConfig, i, m.Method, op.ID, op.Method)
			}
		}
	}
	return nil
}

// Middleware returns a handler that routes each request to its operation,
// enforces that operation's security, and calls next with the principal in
// the request context. Requests that match no operation are refused (404)
// unless Options.AllowUnlisted is set; paths that are not in canonical form
// (double slashes, dot segments, encoded slashes) are refused with 400.
func (g *Guard) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, res, allow := g.route(r)
		var d *Denial
		switch res {
		case routed:
			g.serve(&g.ops[op], w, r, next)
			return
		case passThrough:
			if g.auditing {
				g.audit(r.Context(), g.decisionFor(r, nil, g.infoFor(r, false), nil, nil, time.Now()))
			}
			next.ServeHTTP(w, r)
			return
		case badPath:
			d = &Denial{Status: http.StatusBadRequest, Detail: "the request path is not in canonical form"}
		case notListed:
			d = &Denial{Status: http.StatusNotFound, Detail: "no operation of this API matches the request path"}
		case methodNotListed:
			d = &Denial{Status: http.StatusMethodNotAllowed, Detail: "the operation does not accept this method", Allow: allow}
		}
		if g.auditing {
			g.audit(r.Context(), g.decisionFor(r, nil, g.infoFor(r, false), nil, d, time.Now()))
		}
		g.errorW(w, r, d)
	})
}

// Operation returns a handler that enforces the security of the operation at
// index op of the Spec (generated code passes its own constants) and calls
// next. It is for applications that route requests themselves. It panics if
// op is out of range, which generated code never does.
func (g *Guard) Operation(op int, next http.Handler) http.Handler {
	c := &g.ops[op]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.serve(c, w, r, next)
	})
}

// Authorize evaluates the security of operation op for r, without writing a
// response: it returns the principal (nil for public and anonymous access)
// or the denial. It is the building block of Middleware and Operation.
func (g *Guard) Authorize(op int, r *http.Request) (*Principal, *Denial) {
	if op < 0 || op >= len(g.ops) {
		return nil, &Denial{Status: http.StatusNotFound, Detail: "no such operation"}
	}
	info := g.infoFor(r, false)
	return g.ops[op].evaluate(g, r.WithContext(info), info)
}

// infoFor starts the request's info, and context. Its client address is
// the one an outer guard or middleware resolved, if any, else the guard's
// own; it is resolved now when the guard will need it (audit records, rate
// limits), else only when asked for.
func (g *Guard) infoFor(r *http.Request, resolve bool) *requestInfo {
	ctx := r.Context()
	info := &requestInfo{Context: ctx, req: r, trusted: &g.trusted}
	if prev := infoFrom(ctx); prev != nil {
		if a, ok := prev.clientAddr(); ok {
			info.client, info.resolved = a, true
		}
	}
	if resolve || g.auditing {
		info.resolveClient()
	}
	return info
}

// serve authenticates and authorizes r for op, applies its rate limits,
// records the decision, and calls next or writes the denial.
func (g *Guard) serve(op *compiledOp, w http.ResponseWriter, r *http.Request, next http.Handler) {
	var start time.Time
	if g.auditing {
		start = time.Now()
	}
	info := g.infoFor(r, len(op.rates) > 0)
	r = r.WithContext(info)
	p, d := op.evaluate(g, r, info)
	switch {
	case len(op.rates) == 0:
	case d == nil:
		d = g.rateLimit(op, w, r, info, p)
	case d.Status == http.StatusUnauthorized && d.Code != "":
		// A credential was presented and failed: it counts against the
		// operation's limits by client address, so that guessing keys or
		// passwords is throttled like any other traffic.
		if ld := g.rateLimit(op, w, r, info, nil); ld != nil && ld.Status == http.StatusTooManyRequests {
			ld.who = d.who
			d = ld
		}
	}
	if g.auditing {
		g.audit(r.Context(), g.decisionFor(r, op, info, p, d, start))
	}
	if d != nil {
		g.errorW(w, r, d)
		return
	}
	next.ServeHTTP(w, r)
}

// policyClasses numbers ops so that two get the same number exactly when
// they are public alike and have the same alternatives, claim rules and
// rate limits.
func policyClasses(ops []Operation) []int {
	ids := make(map[string]int, len(ops))
	out := make([]int, len(ops))
	for i, o := range ops {
		key := fmt.Sprintf("%t|%#v|%#v|%#v", o.Public, o.Security, o.Claims, o.RateLimits)
		id, ok := ids[key]
		if !ok {
			id = len(ids)
			ids[key] = id
		}
		out[i] = id
	}
	return out
}
