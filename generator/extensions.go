package generator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
)

// The x-authgen-claims and x-authgen-rate-limit extensions, read at the
// document, path and operation levels; the most specific level that has one
// replaces the others, as an operation's security replaces the document's.
//
//	x-authgen-claims:
//	  - {claim: plan, in: [pro, enterprise]}
//	  - {claim: email_verified, equals: true}
//	  - {claim: models, contains: large}
//
//	x-authgen-rate-limit:            # or a list of these
//	  name: chat                     # bucket name; default: where it is declared. Every
//	                                 # declaration of a name must have the same limit, per,
//	                                 # burst, by and limit-claim: they share one counter.
//	  limit: 100                     # requests per "per"
//	  per: 1m                        # Go duration, or seconds
//	  burst: 20                      # default: limit
//	  by: subject                    # subject | key | ip | claim:<name>; a caller without
//	                                 # the claim counts by subject, else key (never by ip)
//	  limit-claim: rate_limit_per_minute
//	  on-limiter-error: fallback     # fallback (in-memory, default) | fail-closed

// claimRule is one x-authgen-claims rule.
type claimRule struct {
	Claim  string
	Op     authrt.ClaimOp
	Values []any
}

// rateRule is one x-authgen-rate-limit entry.
type rateRule struct {
	Name       string
	Limit      int
	Per        time.Duration
	Burst      int
	By         authrt.RateKey
	Claim      string
	LimitClaim string
	FailClosed bool
}

// policyExt is what one level (document, path, operation) declares.
type policyExt struct {
	claims              []claimRule
	rateRules           []rateRule
	hasClaims, hasRates bool
}

// readPolicyExt reads the policy extensions of one level; at is its spec
// path, defaultName the rate-limit bucket name for that level.
func (b *builder) readPolicyExt(ext map[string]any, at []any, defaultName string) policyExt {
	var p policyExt
	if v, ok := ext["x-authgen-claims"]; ok {
		p.hasClaims = true
		p.claims = b.readClaims(v, append(append([]any{}, at...), "x-authgen-claims"))
	}
	if v, ok := ext["x-authgen-rate-limit"]; ok {
		p.hasRates = true
		p.rateRules = b.readRates(v, append(append([]any{}, at...), "x-authgen-rate-limit"), defaultName)
	}
	return p
}

func (b *builder) readClaims(v any, at []any) []claimRule {
	list, ok := v.([]any)
	if !ok {
		b.ps.errorf(at, "x-authgen-claims must be a list of rules such as {claim: plan, in: [pro, enterprise]}")
		return nil
	}
	var out []claimRule
	for i, item := range list {
		here := append(append([]any{}, at...), i)
		m, ok := item.(map[string]any)
		if !ok {
			b.ps.errorf(here, "a claim rule must be an object with \"claim\" and one of in, equals, contains")
			continue
		}
		r := claimRule{}
		name, _ := m["claim"].(string)
		if strings.TrimSpace(name) == "" {
			b.ps.errorf(here, "claim rule without a \"claim\" name")
			continue
		}
		r.Claim = name
		kinds := 0
		for _, k := range sortedKeys(m) {
			val := m[k]
			switch k {
			case "claim":
			case "in":
				kinds++
				vals, ok := val.([]any)
				if !ok || len(vals) == 0 {
					b.ps.errorf(append(here, k), "\"in\" must be a non-empty list of values")
					continue
				}
				r.Op, r.Values = authrt.ClaimIn, nil
				for j, e := range vals {
					lit, ok := scalarValue(e)
					switch {
					case !ok:
						b.ps.errorf(append(here, k), "claim values must be strings, booleans or numbers")
					case lit == nil:
						b.ps.errorf(append(append([]any{}, here...), k, j), "%s", inexactInteger(e))
					default:
						r.Values = append(r.Values, lit)
					}
				}
			case "equals", "contains":
				kinds++
				lit, ok := scalarValue(val)
				if !ok {
					b.ps.errorf(append(here, k), "%q must be a string, boolean or number", k)
					continue
				}
				if lit == nil {
					b.ps.errorf(append(here, k), "%s", inexactInteger(val))
					continue
				}
				r.Op, r.Values = authrt.ClaimEquals, []any{lit}
				if k == "contains" {
					r.Op = authrt.ClaimContains
				}
			default:
				b.ps.errorf(append(here, k), "unknown claim rule field %q (want claim and one of in, equals, contains)", k)
			}
		}
		if kinds != 1 {
			b.ps.errorf(here, "claim rule on %q needs exactly one of in, equals, contains", name)
			continue
		}
		if r.Op != 0 && len(r.Values) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// scalarValue accepts what a claim rule may compare with. An integer of
// magnitude 2^53 or more gives (nil, true): JSON numbers are float64 and
// that one may already have been rounded (9007199254740993 reads as
// 9007199254740992), so a rule over it could match another value.
func scalarValue(v any) (any, bool) {
	switch x := v.(type) {
	case string, bool:
		return x, true
	case float64:
		if x != math.Trunc(x) {
			return x, true
		}
		if math.Abs(x) >= 1<<53 {
			return nil, true
		}
		return int(x), true
	case int:
		if int64(x) >= 1<<53 || int64(x) <= -(1<<53) {
			return nil, true
		}
		return x, true
	}
	return nil, false
}

// inexactInteger is the error for an integer rule value scalarValue refuses.
func inexactInteger(v any) string {
	s := fmt.Sprint(v)
	if f, ok := v.(float64); ok && math.Abs(f) < 1e21 {
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	return fmt.Sprintf("integer %s is too large to compare exactly: spec numbers are float64, exact only below 2^53 in magnitude (9007199254740993 reads as 9007199254740992); write the value as a string, and have the token carry it as one", s)
}

func (b *builder) readRates(v any, at []any, defaultName string) []rateRule {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case map[string]any:
		items = []any{x}
	default:
		b.ps.errorf(at, "x-authgen-rate-limit must be an object such as {limit: 100, per: 1m, by: subject}, or a list of them")
		return nil
	}
	_, single := v.(map[string]any)
	var out []rateRule
	names := map[string]bool{}
	for i, item := range items {
		here := append([]any{}, at...)
		if !single {
			here = append(here, i)
		}
		m, ok := item.(map[string]any)
		if !ok {
			b.ps.errorf(here, "a rate limit must be an object with limit, per and by")
			continue
		}
		r := rateRule{Name: defaultName, By: authrt.RateBySubject}
		if !single && len(items) > 1 {
			r.Name = fmt.Sprintf("%s#%d", defaultName, i)
		}
		ok = true
		bad := func(field, format string, args ...any) {
			b.ps.errorf(append(append([]any{}, here...), field), format, args...)
			ok = false
		}
		for _, k := range sortedKeys(m) {
			val := m[k]
			switch k {
			case "name":
				s, isStr := val.(string)
				if !isStr || strings.TrimSpace(s) == "" {
					bad(k, "name must be a non-empty string")
				}
				r.Name = s
			case "limit", "burst":
				n, isInt := intValue(val)
				if !isInt || n < 0 || (k == "limit" && n == 0) || n > 1<<30 {
					bad(k, "%s must be a whole number%s", k, map[bool]string{true: " above 0", false: " (0 means: the limit)"}[k == "limit"])
					continue
				}
				if k == "limit" {
					r.Limit = n
				} else {
					r.Burst = n
				}
			case "per":
				d, err := durationValue(val)
				if err != nil {
					bad(k, "%v", err)
				}
				r.Per = d
			case "by":
				s, _ := val.(string)
				switch {
				case s == "subject":
					r.By = authrt.RateBySubject
				case s == "key":
					r.By = authrt.RateByKey
				case s == "ip":
					r.By = authrt.RateByIP
				case strings.HasPrefix(s, "claim:") && len(s) > len("claim:"):
					r.By, r.Claim = authrt.RateByClaim, strings.TrimPrefix(s, "claim:")
				default:
					bad(k, "by must be subject, key, ip or claim:<name>, not %v", val)
				}
			case "limit-claim":
				s, isStr := val.(string)
				if !isStr || s == "" {
					bad(k, "limit-claim must name a numeric claim")
				}
				r.LimitClaim = s
			case "on-limiter-error":
				switch val {
				case "fallback":
				case "fail-closed":
					r.FailClosed = true
				default:
					bad(k, "on-limiter-error must be fallback or fail-closed, not %v", val)
				}
			default:
				bad(k, "unknown rate limit field %q (want name, limit, per, burst, by, limit-claim, on-limiter-error)", k)
			}
		}
		if r.Limit == 0 && ok {
			b.ps.errorf(here, "rate limit needs a limit")
			ok = false
		}
		if r.Per == 0 && ok {
			b.ps.errorf(here, "rate limit needs per (a duration such as 1m)")
			ok = false
		}
		if names[r.Name] && ok {
			b.ps.errorf(here, "two rate limits named %q at one level", r.Name)
			ok = false
		}
		names[r.Name] = true
		if ok && !b.sameBucket(r, here) {
			ok = false
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// rateDecl is where a rate-limit name was first declared, and as what.
type rateDecl struct {
	rule rateRule
	at   []any
}

// sameBucket records the declaration of r at spec path at, and reports
// (with both places) a name declared before with other parameters:
// operations that share a name share one counter, which cannot count
// against two limits, periods or bursts at once.
func (b *builder) sameBucket(r rateRule, at []any) bool {
	first, seen := b.rateNames[r.Name]
	if !seen {
		b.rateNames[r.Name] = rateDecl{rule: r, at: append([]any{}, at...)}
		return true
	}
	if bucketParams(first.rule) == bucketParams(r) {
		return true
	}
	file, line, col := b.ps.loc.findIn(first.at)
	if file == "" {
		file = b.ps.file
	}
	b.ps.errorf(at, "rate limit %q is declared here with %s, and at %s:%d:%d: %s with %s; operations sharing a name share one counter: give every declaration the same limit, per, burst, by and limit-claim, or another name",
		r.Name, bucketParams(r), file, line, col, specPath(first.at...), bucketParams(first.rule))
	return false
}

// bucketParams describes what a rate limit's counter depends on: its
// limit, period and burst (0 is the limit), whose requests it counts, and
// the claim that overrides its limit.
func bucketParams(r rateRule) string {
	burst := r.Burst
	if burst == 0 {
		burst = r.Limit
	}
	by := r.By.String()
	if r.By == authrt.RateByClaim {
		by += ":" + r.Claim
	}
	s := fmt.Sprintf("limit %d per %s, burst %d, by %s", r.Limit, shortDuration(r.Per), burst, by)
	if r.LimitClaim != "" {
		s += ", limit-claim " + r.LimitClaim
	}
	return s
}

func intValue(v any) (int, bool) {
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<31 {
			return 0, false
		}
		return int(x), true
	case int:
		return x, true
	}
	return 0, false
}

// durationValue reads "1m", "30s", "1h" or a number of seconds.
func durationValue(v any) (time.Duration, error) {
	switch x := v.(type) {
	case string:
		d, err := time.ParseDuration(x)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("per must be a positive duration such as 1s, 1m or 1h, not %q", x)
		}
		return d, nil
	case float64:
		if x <= 0 || x > 1e9 {
			return 0, fmt.Errorf("per must be a positive number of seconds")
		}
		return time.Duration(x * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("per must be a duration such as 1m")
}

// effective picks the most specific level that declares each extension.
func effective(levels ...policyExt) (claims []claimRule, rates []rateRule) {
	for _, l := range levels {
		if l.hasClaims {
			claims = l.claims
		}
		if l.hasRates {
			rates = l.rateRules
		}
	}
	sort.SliceStable(rates, func(i, j int) bool { return rates[i].Name < rates[j].Name })
	return claims, rates
}
