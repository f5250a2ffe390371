package authrt

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// compiledOp is an Operation prepared for evaluation: the schemes it
// mentions, grouped by the place their credential travels, and its
// alternatives in terms of those schemes.
type compiledOp struct {
	id OperationID
	// public: no alternatives at all; nothing is checked.
	public bool
	// anonymous: an empty alternative exists; it admits the request when no
	// other alternative does.
	anonymous bool
	// schemes are the indices (into Spec.Schemes) of the schemes mentioned,
	// in order of first mention; "local" indices below point into it.
	schemes []int
	names   []string
	places  []opPlace
	alts    []opAlt
	// challenges401 are the WWW-Authenticate values for a missing
	// credential, one per place.
	challenges401 []string
	realm         string
	kinds         []SchemeType
	// method and path (template) name the operation in audit records.
	method, path string
	claims       []ClaimRule
	rates        []RateLimitRule
	// rateNames are the rates' names as quoted in the RateLimit headers,
	// and ratePolicies their RateLimit-Policy values for the spec's limit
	// (a limit from a claim gets its own), made once.
	rateNames    []string
	ratePolicies []string
}

type opPlace struct {
	p       place
	members []int // local scheme indices reading this place
	// bearer, basic: the place is the Authorization header read by bearer
	// or basic schemes.
	bearer, basic bool
}

type opAlt struct {
	reqs    []opReq
	schemes []string // scheme names, for the principal
}

type opReq struct {
	local  int
	scopes []Scope
	any    bool
}

func compileOp(spec *Spec, i int, realm string) (compiledOp, error) {
	o := &spec.Operations[i]
	c := compiledOp{id: o.ID, realm: realm, public: o.Public, method: o.Method, path: o.Path, claims: o.Claims, rates: o.RateLimits}
	for i := range c.rates {
		rule := &c.rates[i]
		c.rateNames = append(c.rateNames, strconv.Quote(rule.Name))
		c.ratePolicies = append(c.ratePolicies, ratePolicy(c.rateNames[i], rule.Limit, rule.Per))
	}
	if o.Public && len(o.Security) > 0 {
		return c, fmt.Errorf("%w: operation %q is public but lists security requirements", ErrConfig, o.ID)
	}
	for i := range o.Claims {
		if err := o.Claims[i].valid(); err != nil {
			return c, fmt.Errorf("%w: operation %q: %v", ErrConfig, o.ID, err)
		}
	}
	for i := range o.RateLimits {
		if err := o.RateLimits[i].valid(); err != nil {
			return c, fmt.Errorf("%w: operation %q: %v", ErrConfig, o.ID, err)
		}
	}
	local := map[int]int{}
	for ai, alt := range o.Security {
		if len(alt) == 0 {
			c.anonymous = true
			continue
		}
		var a opAlt
		for _, req := range alt {
			if req.Scheme < 0 || req.Scheme >= len(spec.Schemes) {
				return c, fmt.Errorf("%w: operation %q alternative %d names missing scheme %d", ErrConfig, o.ID, ai, req.Scheme)
			}
			l, ok := local[req.Scheme]
			if !ok {
				l = len(c.schemes)
				local[req.Scheme] = l
				c.schemes = append(c.schemes, req.Scheme)
				c.names = append(c.names, spec.Schemes[req.Scheme].Name)
				c.kinds = append(c.kinds, spec.Schemes[req.Scheme].Type)
			}
			a.reqs = append(a.reqs, opReq{local: l, scopes: req.Scopes, any: req.AnyScope})
			a.schemes = append(a.schemes, spec.Schemes[req.Scheme].Name)
		}
		c.alts = append(c.alts, a)
	}
	if len(c.alts) == 0 && c.anonymous {
		// Only empty alternatives: anyone may call; nothing to verify.
		c.public = true
	}
	for l, si := range c.schemes {
		s := &spec.Schemes[si]
		if s.Type < HTTPBearer || s.Type > HTTPBasic {
			return c, fmt.Errorf("%w: operation %q uses security scheme %q of unknown type %d (is the runtime older than the generated code?)", ErrConfig, o.ID, s.Name, s.Type)
		}
		if s.Type == APIKey && (s.In < InHeader || s.In > InCookie || s.Param == "") {
			return c, fmt.Errorf("%w: apiKey scheme %q has no location", ErrConfig, s.Name)
		}
		p := s.place()
		found := false
		for k := range c.places {
			if c.places[k].p == p {
				c.places[k].members = append(c.places[k].members, l)
				c.places[k].bearer = c.places[k].bearer || s.Type.bearer()
				c.places[k].basic = c.places[k].basic || s.Type == HTTPBasic
				found = true
			}
		}
		if !found {
			c.places = append(c.places, opPlace{p: p, members: []int{l}, bearer: s.Type.bearer(), basic: s.Type == HTTPBasic})
		}
	}
	for k := range c.places {
		c.challenges401 = append(c.challenges401, c.challengesFor(spec, k)...)
	}
	return c, nil
}

// challengesFor returns the WWW-Authenticate values for place k, with the
// extra params (an error code) if given: one "Bearer realm=..." for the
// bearer schemes reading it, and an "APIKey" challenge saying where the key
// goes for each apiKey scheme reading it.
func (c *compiledOp) challengesFor(spec *Spec, k int, params ...string) []string {
	pl := &c.places[k]
	var out []string
	if pl.bearer {
		out = append(out, challenge("Bearer", append([]string{"realm", c.realm}, params...)...))
	}
	if pl.basic {
		out = append(out, challenge("Basic", append([]string{"realm", c.realm, "charset", "UTF-8"}, params...)...))
	}
	for _, l := range pl.members {
		s := &spec.Schemes[c.schemes[l]]
		if s.Type != APIKey {
			continue
		}
		ch := challenge("APIKey", append([]string{"realm", c.realm, "in", s.In.String(), "name", s.Param}, params...)...)
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

const stackSchemes = 8

// evaluate applies the contract's evaluation rules to r.
// The principal, if any, is built in info (no allocation of its own).
func (c *compiledOp) evaluate(g *Guard, r *http.Request, info *requestInfo) (*Principal, *Denial) {
	if c.public {
		return nil, nil
	}
	var buf [stackSchemes]*Identity
	ids := buf[:0]
	if len(c.schemes) > stackSchemes {
		ids = make([]*Identity, len(c.schemes))
	} else {
		ids = buf[:len(c.schemes)]
	}
	ctx := r.Context()
	for k := range c.places {
		pl := &c.places[k]
		raw, f := readPlace(r, pl.p)
		if f == absent {
			continue
		}
		if f == malformed {
			d := c.invalid(g, k, CodeInvalidRequest, "the credential is sent more than once or is malformed", nil)
			d.who.schemes = c.placeSchemes(pl, raw, true)
			return nil, d
		}
		presented, ok := false, false
		var reject, failure error
		code := CodeInvalidToken
		for _, l := range pl.members {
			cred := raw
			if extract := c.kinds[l].extractor(); extract != nil {
				var bf found
				if cred, bf = extract(raw); bf == absent {
					continue
				} else if bf == malformed {
					presented = true
					if reject == nil {
						reject, code = Reject("the Authorization header is malformed"), CodeInvalidRequest
					}
					continue
				}
			}
			presented = true
			id, err := g.verifiers[c.schemes[l]].Verify(ctx, cred)
			switch {
			case err == nil && id != nil:
				ids[l], ok = id, true
			case err == nil:
				failure = fmt.Errorf("verifier for scheme %q returned no identity and no error", c.names[l])
			case errors.Is(err, ErrInvalidCredential):
				if reject == nil || code == CodeInvalidRequest {
					reject, code = err, CodeInvalidToken
				}
			default:
				failure = fmt.Errorf("scheme %q: %w", c.names[l], err)
			}
		}
		switch {
		case !presented || ok:
			// The credential belongs to the scheme that accepted it.
		case failure != nil:
			d := &Denial{Status: http.StatusServiceUnavailable, Operation: c.id, Detail: "authentication is temporarily unavailable", Cause: failure, RetryAfter: 1}
			if errors.Is(failure, ErrUnavailable) {
				d.RetryAfter = 5
			}
			d.who.schemes = c.placeSchemes(pl, raw, false)
			return nil, d
		default:
			d := c.invalid(g, k, code, PublicReason(reject), reject)
			d.who.schemes = c.placeSchemes(pl, raw, false)
			return nil, d
		}
	}

	lacking, lackingRule := -1, -1
	for ai := range c.alts {
		a := &c.alts[ai]
		all, scoped := true, true
		for _, req := range a.reqs {
			id := ids[req.local]
			if id == nil {
				all = false
				break
			}
			if scoped && !hasScopes(id, req.scopes, req.any) {
				scoped = false
			}
		}
		if !all {
			continue
		}
		winners := info.idBuf[:0]
		for _, req := range a.reqs {
			winners = append(winners, ids[req.local])
		}
		failed := -1
		if scoped {
			failed = c.failedClaim(winners)
		}
		if scoped && failed < 0 {
			p := info.setPrincipal(c.id, a.schemes, winners)
			for _, req := range a.reqs {
				c.noteKeyID(p, req.local, ids[req.local])
			}
			return p, nil
		}
		if lacking < 0 {
			lacking, lackingRule = ai, failed
		}
	}
	if c.anonymous {
		// Anonymous access; a credential that verified is still reported.
		var names []string
		verified := info.idBuf[:0]
		for l, id := range ids {
			if id != nil {
				names = append(names, c.names[l])
				verified = append(verified, id)
			}
		}
		if len(verified) == 0 {
			return nil, nil
		}
		p := info.setPrincipal(c.id, names, verified)
		for l, id := range ids {
			c.noteKeyID(p, l, id)
		}
		return p, nil
	}
	if lacking >= 0 {
		a := &c.alts[lacking]
		var d *Denial
		if lackingRule >= 0 {
			d = c.claimFailed(&c.claims[lackingRule])
		} else {
			d = c.insufficientScope(a)
		}
		d.who = callerOf(a, ids)
		return nil, d
	}
	if len(c.alts) == 0 {
		// No usable alternative (all used unsupported schemes and were
		// dropped): no credential can help, so this is no 401.
		return nil, &Denial{Status: http.StatusForbidden, Operation: c.id, Detail: "this operation accepts no credential authgen can verify"}
	}
	return nil, &Denial{
		Status:     http.StatusUnauthorized,
		Operation:  c.id,
		Detail:     "authentication is required",
		Challenges: c.challenges401,
	}
}

// placeSchemes names the schemes reading place pl to which raw was
// presented (all of them with every, for a credential sent twice): those
// that rejected it, or failed to check it. It runs only on a denial.
func (c *compiledOp) placeSchemes(pl *opPlace, raw string, every bool) []string {
	names := make([]string, 0, len(pl.members))
	for _, l := range pl.members {
		if !every {
			if extract := c.kinds[l].extractor(); extract != nil {
				if _, f := extract(raw); f == absent {
					continue
				}
			}
		}
		names = append(names, c.names[l])
	}
	return names
}

// callerOf names the caller of alternative a, all of whose credentials
// verified (ids): its schemes, and the first subject and key ID among its
// identities, as its principal would have had them.
func callerOf(a *opAlt, ids []*Identity) caller {
	who := caller{schemes: a.schemes}
	for _, req := range a.reqs {
		id := ids[req.local]
		if who.subject == "" {
			who.subject = id.Subject
		}
		if who.keyID == "" {
			who.keyID = id.KeyID
		}
	}
	return who
}

// noteKeyID records the key ID of an API key (or basic) credential, the
// one rate limits "by: key" count by: a JWT's KeyID is its jti, new with
// every token, which would give each token a fresh limit.
func (c *compiledOp) noteKeyID(p *Principal, local int, id *Identity) {
	if p.apiKeyID == "" && id != nil && id.KeyID != "" && (c.kinds[local] == APIKey || c.kinds[local] == HTTPBasic) {
		p.apiKeyID = id.KeyID
	}
}

// failedClaim returns the index of the first claim rule the identities of
// an alternative fail, or -1.
func (c *compiledOp) failedClaim(ids []*Identity) int {
	for i := range c.claims {
		if !c.claims[i].holds(ids) {
			return i
		}
	}
	return -1
}

// claimFailed is the 403 for an alternative whose credentials and scopes
// held but whose claims did not. It names the rule, not the claim's value.
func (c *compiledOp) claimFailed(rule *ClaimRule) *Denial {
	return &Denial{
		Status:     http.StatusForbidden,
		Operation:  c.id,
		Code:       CodeClaimRule,
		Detail:     "the credential does not satisfy a policy of this operation: " + rule.String(),
		FailedRule: rule.String(),
	}
}

// hasScopes reports whether id grants all of scopes, or with any, at least
// one (an empty list always holds).
func hasScopes(id *Identity, scopes []Scope, any bool) bool {
	for _, s := range scopes {
		has := id.HasScope(string(s))
		if any && has {
			return true
		}
		if !any && !has {
			return false
		}
	}
	return !any || len(scopes) == 0
}

// invalid is the 401 for a credential that was presented at place k and
// that no scheme reading it accepted. The other places keep their plain
// challenges.
func (c *compiledOp) invalid(g *Guard, k int, code, reason string, cause error) *Denial {
	var ch []string
	for j := range c.places {
		if j == k {
			ch = append(ch, c.challengesFor(g.spec, j, "error", code, "error_description", reason)...)
		} else {
			ch = append(ch, c.challengesFor(g.spec, j)...)
		}
	}
	return &Denial{
		Status:     http.StatusUnauthorized,
		Operation:  c.id,
		Code:       code,
		Detail:     reason,
		Challenges: ch,
		Cause:      cause,
	}
}

// insufficientScope is the 403 for alternative a, which had every credential
// but not every scope. The scopes listed are all those a requires; bearer
// places get an RFC 6750 insufficient_scope challenge.
func (c *compiledOp) insufficientScope(a *opAlt) *Denial {
	var scopes []Scope
	var bearerScopes []string
	for _, req := range a.reqs {
		scopes = append(scopes, req.scopes...)
		if c.kinds[req.local].bearer() {
			for _, s := range req.scopes {
				bearerScopes = append(bearerScopes, string(s))
			}
		}
	}
	d := &Denial{
		Status:    http.StatusForbidden,
		Operation: c.id,
		Code:      CodeInsufficientScope,
		Detail:    "the credential does not grant the scopes this operation requires",
		Scopes:    scopes,
	}
	for _, req := range a.reqs {
		if req.any && len(req.scopes) > 1 {
			d.Detail = "the credential grants none of the scopes this operation accepts; any one of them suffices"
		}
	}
	if len(bearerScopes) > 0 {
		d.Challenges = []string{challenge("Bearer", "realm", c.realm, "error", CodeInsufficientScope,
			"error_description", "the token lacks a required scope", "scope", strings.Join(bearerScopes, " "))}
	}
	return d
}
