package apikey

import (
	"maps"
	"net/netip"
	"slices"
	"time"
)

// Record is what a Store keeps about one API key: its hash, never the key.
// It serialises to JSON (the Hash as "sha256:<hex>", zero times left out), so
// that file and remote stores can hold the same records.
//
// A Record handed to a Store belongs to the store; one returned by a Store
// must not be modified: stores and verifiers share its slices and map with
// every Identity made from it (see Verifier.Verify).
type Record struct {
	// ID names the key in logs, errors and Identity.KeyID. Required, unique
	// within a store. It must not be derived from the key.
	ID string `json:"id"`
	// Name is the key's owner, used as Identity.Subject; ID when empty.
	Name string `json:"name,omitempty"`
	// Prefix is the key's public prefix ("sk_live"), for people reading the
	// store: with the ID, it is how logs and tools name a key.
	Prefix string `json:"prefix,omitempty"`
	// Hash is the key's hash, made by the Hasher the Verifier uses.
	Hash Hash `json:"hash"`
	// PepperID is the fingerprint of the pepper Hash was made with
	// (Hasher.PepperID), empty for plain SHA-256. Rotate and the CLI use
	// it to refuse a pepper other than the record's; verifiers do not need
	// it (a key hashed with another pepper is simply not found).
	PepperID string `json:"pepper_id,omitempty"`
	// Scopes are the scopes the key grants.
	Scopes []string `json:"scopes,omitempty"`
	// CreatedAt is when the key was issued; informational.
	CreatedAt time.Time `json:"created_at,omitzero"`
	// NotBefore, when set, is the first instant at which the key is valid.
	NotBefore time.Time `json:"not_before,omitzero"`
	// ExpiresAt, when set, is the instant from which the key is no longer
	// valid.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Networks, when not empty, are the client networks the key may be used
	// from, as CIDR prefixes ("10.0.0.0/8", "2001:db8::/32"); a request from
	// any other address is refused with ErrNetworkNotAllowed. The client
	// address comes from ClientAddr.Middleware. IPv4 clients match IPv4
	// prefixes (IPv4-mapped IPv6 addresses are unmapped first).
	Networks []netip.Prefix `json:"networks,omitempty"`
	// Revoked marks a key that must be refused.
	Revoked bool `json:"revoked,omitempty"`
	// Metadata is handed to the handler as Identity.Claims. Use the value
	// types encoding/json produces (string, float64, bool, []any,
	// map[string]any) so that records look the same from every store.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// validate reports why r cannot be stored, or nil.
func (r *Record) validate() error {
	switch {
	case r.ID == "":
		return recordError(ErrInvalidRecord, r.ID, "empty ID")
	case r.Hash.IsZero():
		return recordError(ErrInvalidRecord, r.ID, "zero hash")
	case !r.NotBefore.IsZero() && !r.ExpiresAt.IsZero() && !r.ExpiresAt.After(r.NotBefore):
		return recordError(ErrInvalidRecord, r.ID, "expires at %s, not after not-before %s",
			r.ExpiresAt.Format(time.RFC3339), r.NotBefore.Format(time.RFC3339))
	case r.Prefix != "" && ValidPrefix(r.Prefix) != nil:
		return recordError(ErrInvalidRecord, r.ID, "%v", ValidPrefix(r.Prefix))
	}
	for _, p := range r.Networks {
		if !p.IsValid() {
			return recordError(ErrInvalidRecord, r.ID, "invalid network %q", p.String())
		}
	}
	return nil
}

// Validate reports why r cannot be stored (empty ID, zero hash, expiry not
// after NotBefore, invalid prefix or network), or nil. Every Store that
// takes records checks it.
func (r *Record) Validate() error { return r.validate() }

// Clone returns a copy of r that shares no slice or map with it (values
// nested in Metadata are shared).
func (r *Record) Clone() *Record { return r.clone() }

// allowsAddr reports whether addr is in one of r's networks.
func (r *Record) allowsAddr(addr netip.Addr) bool {
	for _, p := range r.Networks {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// clone returns a copy of r that shares no slice or map with it (nested
// metadata values are shared).
func (r *Record) clone() *Record {
	c := *r
	c.Scopes = cloneScopes(r.Scopes)
	c.Networks = slices.Clone(r.Networks)
	c.Metadata = maps.Clone(r.Metadata)
	return &c
}

// cloneScopes copies scopes, keeping nil as nil.
func cloneScopes(scopes []string) []string {
	if len(scopes) == 0 {
		return nil
	}
	return slices.Clone(scopes)
}
