package authrt

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ClaimOp is how a ClaimRule tests its claim.
type ClaimOp uint8

// Claim rule kinds (x-authgen-claims).
const (
	// ClaimIn: the claim's value is one of Values ("plan" in [pro, enterprise]).
	ClaimIn ClaimOp = iota + 1
	// ClaimEquals: the claim's value equals Values[0] (email_verified: true).
	ClaimEquals
	// ClaimContains: the claim is a list that contains Values[0], or a
	// space-separated string that has it as a word.
	ClaimContains
)

// ClaimRule is a condition on a claim of the principal, declared with
// x-authgen-claims and checked after authentication, per alternative: an
// alternative whose identities fail a rule does not win, and if it had all
// its credentials the request gets 403.
type ClaimRule struct {
	// Claim names the claim; dots reach into objects ("org.plan").
	Claim string
	Op    ClaimOp
	// Values are strings, bools or numbers (float64, int or int64);
	// integers compare exactly with integer claims (json.Number).
	Values []any
}

// String describes the rule for a 403 and the audit log. It names the
// claim and the expected values, never the caller's value.
func (r *ClaimRule) String() string {
	switch r.Op {
	case ClaimIn:
		vs := make([]string, len(r.Values))
		for i, v := range r.Values {
			vs[i] = literal(v)
		}
		return fmt.Sprintf("claim %q must be one of [%s]", r.Claim, strings.Join(vs, ", "))
	case ClaimEquals:
		return fmt.Sprintf("claim %q must be %s", r.Claim, literal(r.Values[0]))
	case ClaimContains:
		return fmt.Sprintf("claim %q must contain %s", r.Claim, literal(r.Values[0]))
	}
	return fmt.Sprintf("claim %q: unknown rule", r.Claim)
}

func literal(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// valid reports whether the rule can be evaluated.
func (r *ClaimRule) valid() error {
	if r.Claim == "" {
		return fmt.Errorf("claim rule without a claim name")
	}
	switch r.Op {
	case ClaimIn:
		if len(r.Values) == 0 {
			return fmt.Errorf("claim rule on %q: \"in\" needs at least one value", r.Claim)
		}
	case ClaimEquals, ClaimContains:
		if len(r.Values) != 1 {
			return fmt.Errorf("claim rule on %q needs exactly one value", r.Claim)
		}
	default:
		return fmt.Errorf("claim rule on %q has unknown kind %d", r.Claim, r.Op)
	}
	for _, v := range r.Values {
		switch v.(type) {
		case string, bool, float64, int, int64:
		default:
			return fmt.Errorf("claim rule on %q: value %v is not a string, bool or number", r.Claim, v)
		}
	}
	return nil
}

// holds evaluates the rule over the identities of an alternative; the claim
// is taken from the first identity that has it.
func (r *ClaimRule) holds(ids []*Identity) bool {
	v, ok := lookupClaim(ids, r.Claim)
	if !ok {
		return false
	}
	switch r.Op {
	case ClaimIn:
		for _, want := range r.Values {
			if equalValue(v, want) {
				return true
			}
		}
	case ClaimEquals:
		return equalValue(v, r.Values[0])
	case ClaimContains:
		switch list := v.(type) {
		case []any:
			for _, e := range list {
				if equalValue(e, r.Values[0]) {
					return true
				}
			}
		case []string:
			for _, e := range list {
				if equalValue(e, r.Values[0]) {
					return true
				}
			}
		case string:
			if want, ok := r.Values[0].(string); ok {
				for _, w := range strings.Fields(list) {
					if w == want {
						return true
					}
				}
			}
		}
	}
	return false
}

func lookupClaim(ids []*Identity, name string) (any, bool) {
	for _, id := range ids {
		if id == nil {
			continue
		}
		if v, ok := claimIn(id.Claims, name); ok {
			return v, true
		}
	}
	return nil, false
}

// claimIn finds a claim by name, or by a dotted path into objects.
func claimIn(claims map[string]any, name string) (any, bool) {
	if claims == nil {
		return nil, false
	}
	if v, ok := claims[name]; ok {
		return v, true
	}
	if !strings.Contains(name, ".") {
		return nil, false
	}
	var cur any = claims
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// equalValue compares a claim value (as encoding/json decodes it) with a
// rule value; numbers compare by value whatever their Go type, and
// integers exactly (a json.Number "9007199254740992" is not the rule's
// 9007199254740993, though both are the same float64).
func equalValue(claim, want any) bool {
	if c, ok := exactNumber(claim); ok {
		w, ok := exactNumber(want)
		switch {
		case !ok:
			return false
		case c.isInt && w.isInt:
			return c.i == w.i
		case c.isInt:
			return floatIsInt(w.f, c.i)
		case w.isInt:
			return floatIsInt(c.f, w.i)
		}
		return c.f == w.f
	}
	switch c := claim.(type) {
	case string:
		w, ok := want.(string)
		return ok && c == w
	case bool:
		w, ok := want.(bool)
		return ok && c == w
	}
	return false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// num is a number read exactly: an int64 when isInt, else a float64.
type num struct {
	i     int64
	f     float64
	isInt bool
}

// exactNumber reads a number as an int64 when it is an integer that fits
// (json.Number "42", int, int64), else as a float64.
func exactNumber(v any) (num, bool) {
	switch n := v.(type) {
	case int:
		return num{i: int64(n), isInt: true}, true
	case int64:
		return num{i: n, isInt: true}, true
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return num{i: i, isInt: true}, true
		}
	}
	f, ok := number(v)
	return num{f: f}, ok
}

// floatIsInt reports whether f is exactly the integer i.
func floatIsInt(f float64, i int64) bool {
	// float64(1<<63) is the first float above the int64 range.
	return f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 && int64(f) == i
}
