package authrt

import (
	"context"
	"encoding/json"
	"errors"
)

// Principal is who made a request, as the winning security alternative
// established it. Handlers get it with PrincipalFrom.
type Principal struct {
	// Operation is the operation the request was authorized for.
	Operation OperationID
	// Schemes names the security schemes whose credentials authenticated
	// the request, in the order of the winning alternative.
	Schemes []string
	// Subject is the first non-empty subject among the identities.
	Subject string
	// KeyID is the first non-empty key ID among the identities.
	KeyID string
	// Scopes is the union of the scopes the identities grant.
	Scopes []string
	// Claims is the union of the identities' claims; where two identities
	// carry the same claim, the one of the earlier scheme wins.
	Claims map[string]any

	identities []*Identity
	// apiKeyID is the KeyID of the first API-key (or basic) identity, for
	// rate limits by key.
	apiKeyID string
}

// PrincipalFrom returns the principal the middleware put in ctx. It reports
// false for public operations and for anonymous access (an empty security
// requirement) when no credential was presented.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	if info := infoFrom(ctx); info != nil && info.principal != nil {
		return info.principal, true
	}
	return nil, false
}

// WithPrincipal returns a copy of ctx carrying p. It is meant for tests of
// handlers that read the principal.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	info := &requestInfo{Context: ctx, principal: p, resolved: true}
	if prev := infoFrom(ctx); prev != nil {
		info.client, _ = prev.clientAddr()
	}
	return info
}

// HasScope reports whether any identity of the principal grants scope.
func (p *Principal) HasScope(scope Scope) bool {
	for _, s := range p.Scopes {
		if s == string(scope) {
			return true
		}
	}
	return false
}

// Identity returns what the named scheme's verifier established, or nil if
// that scheme did not authenticate the request (or p was built by hand, for
// a test, and has no identities).
func (p *Principal) Identity(scheme string) *Identity {
	for i, s := range p.Schemes {
		if s == scheme && i < len(p.identities) {
			return p.identities[i]
		}
	}
	return nil
}

// DecodeClaims fills v (a pointer to a struct, typically) from the claims
// JSON of the first identity that has one, as encoding/json would. It is
// the typed way to read custom claims:
//
//	var c struct {
//		Plan   string   `json:"plan"`
//		Models []string `json:"models"`
//	}
//	err := p.DecodeClaims(&c)
func (p *Principal) DecodeClaims(v any) error {
	for _, id := range p.identities {
		if len(id.RawClaims) > 0 {
			return json.Unmarshal(id.RawClaims, v)
		}
	}
	b, err := json.Marshal(p.Claims)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// ErrNoClaim is returned by Claim when the claim is absent.
var ErrNoClaim = errors.New("claim not present")

// Claim returns the named claim converted to T, as encoding/json would
// convert it (numbers to any numeric type, arrays to slices, objects to
// structs or maps). It reports false when the claim is absent or does not
// convert.
func Claim[T any](p *Principal, name string) (T, bool) {
	var zero T
	raw, ok := p.Claims[name]
	if !ok {
		return zero, false
	}
	if v, ok := raw.(T); ok {
		return v, true
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return zero, false
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return zero, false
	}
	return v, true
}

// fillPrincipal builds the principal of one alternative in p. With a single
// identity it shares that identity's slices and map instead of copying.
func fillPrincipal(p *Principal, op OperationID, schemes []string, ids []*Identity) {
	// p is zero (a fresh requestInfo's or new(Principal)); fields are set
	// one by one rather than by a struct copy, which costs write barriers.
	p.Operation, p.Schemes, p.identities = op, schemes, ids
	if len(ids) == 1 {
		id := ids[0]
		p.Subject, p.KeyID, p.Scopes, p.Claims = id.Subject, id.KeyID, id.Scopes, id.Claims
		return
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if p.Subject == "" {
			p.Subject = id.Subject
		}
		if p.KeyID == "" {
			p.KeyID = id.KeyID
		}
		for _, s := range id.Scopes {
			if !seen[s] {
				seen[s] = true
				p.Scopes = append(p.Scopes, s)
			}
		}
		for k, v := range id.Claims {
			if p.Claims == nil {
				p.Claims = map[string]any{}
			}
			if _, dup := p.Claims[k]; !dup {
				p.Claims[k] = v
			}
		}
	}
}

// newPrincipal is fillPrincipal into a new Principal.
func newPrincipal(op OperationID, schemes []string, ids []*Identity) *Principal {
	p := new(Principal)
	fillPrincipal(p, op, schemes, ids)
	return p
}
