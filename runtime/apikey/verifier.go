package apikey

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
)

// Verifier checks API keys against a Store. It implements authrt.Verifier and
// is safe for concurrent use.
type Verifier struct {
	store  Store
	hasher *Hasher
	clock  func() time.Time
	minLen int
	maxLen int
	// prefixes, when not nil, are the accepted key prefixes: keys are then
	// parsed (format and checksum) before hashing.
	prefixes []string
	addrFrom func(context.Context) (netip.Addr, bool)
}

var _ authrt.Verifier = (*Verifier)(nil)

// NewVerifier returns a Verifier that looks keys up in store. It fails if
// store is nil or an option is invalid, so that a misconfigured server stops
// at startup rather than on its first request.
func NewVerifier(store Store, opts ...Option) (*Verifier, error) {
	c, err := newConfig(opts)
	if isNil(store) {
		err = errors.Join(errors.New("apikey: nil Store"), err)
	}
	if err != nil {
		return nil, err
	}
	return &Verifier{
		store:  store,
		hasher: c.hasher,
		clock:  c.clock,
		minLen: c.minLen,
		maxLen: c.maxLen,

		prefixes: c.prefixes,
		addrFrom: c.addrFrom,
	}, nil
}

// Verify checks key and returns the identity of its record.
//
// It refuses a key that is too short or too long, or (WithPrefixes) not in
// the key format, with another prefix or a wrong checksum (ErrMalformedKey,
// decided before hashing and lookup); unknown (ErrUnknownKey), revoked
// (ErrKeyRevoked), expired (ErrKeyExpired), not yet valid
// (ErrKeyNotYetValid), or used from a network its record does not allow
// (ErrNetworkNotAllowed, with the client address from ClientAddrFrom or
// WithClientAddrFrom). These
// errors wrap authrt.ErrInvalidCredential and carry a public reason for
// authrt.PublicReason; they name the key by its record ID or prefix, never
// by the key. A store failure, or a network rule with no client address in
// ctx (ErrNoClientAddr), is returned wrapped, without ErrInvalidCredential.
//
// The identity's Subject is the record's Name (its ID when Name is empty),
// KeyID its ID, Scopes and Claims its Scopes and Metadata, ExpiresAt its
// ExpiresAt; RawClaims is nil. Scopes and Claims are the record's own slice
// and map, shared by every identity made from the record and by the store:
// they are read-only, and a handler that wants to change them copies them
// first. Sharing them is what keeps Verify at one allocation (the Identity).
func (v *Verifier) Verify(ctx context.Context, key string) (*authrt.Identity, error) {
	if n := len(key); n < v.minLen || n > v.maxLen {
		return nil, reject(ErrMalformedKey, "key length "+strconv.Itoa(n)+
			" outside "+strconv.Itoa(v.minLen)+".."+strconv.Itoa(v.maxLen))
	}
	if v.prefixes != nil {
		prefix, reason := parseKey(key)
		if reason != "" {
			return nil, reject(ErrMalformedKey, reason)
		}
		if !slices.Contains(v.prefixes, prefix) {
			return nil, reject(ErrMalformedKey, "key prefix "+strconv.Quote(prefix)+" is not accepted")
		}
	}
	h := v.hasher.Hash(key)
	rec, err := v.store.Lookup(ctx, h)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, reject(ErrUnknownKey, "no record for the key's hash")
	case err != nil:
		return nil, fmt.Errorf("apikey: store lookup: %w", err)
	case rec == nil:
		return nil, errors.New("apikey: store lookup returned neither a record nor an error")
	}
	// The store found the record by hash, but may match on part of it (an
	// index on a prefix) or be wrong: compare all of it, in constant time.
	if !rec.Hash.Equal(h) {
		return nil, reject(ErrUnknownKey, "store returned record "+strconv.Quote(rec.ID)+
			" whose hash differs")
	}
	if rec.Revoked {
		return nil, rejectRecord(ErrKeyRevoked, rec.ID)
	}
	if !rec.NotBefore.IsZero() || !rec.ExpiresAt.IsZero() { // the clock only when needed
		now := v.clock()
		if !rec.NotBefore.IsZero() && now.Before(rec.NotBefore) {
			return nil, rejectRecord(ErrKeyNotYetValid, rec.ID)
		}
		if !rec.ExpiresAt.IsZero() && !now.Before(rec.ExpiresAt) {
			return nil, rejectRecord(ErrKeyExpired, rec.ID)
		}
	}
	if len(rec.Networks) > 0 {
		addr, ok := v.addrFrom(ctx)
		if !ok {
			return nil, fmt.Errorf("%w: key id %q has network rules", ErrNoClientAddr, rec.ID)
		}
		if !rec.allowsAddr(addr) {
			return nil, reject(ErrNetworkNotAllowed, "key id "+strconv.Quote(rec.ID)+
				" used from "+addr.String())
		}
	}
	subject := rec.Name
	if subject == "" {
		subject = rec.ID
	}
	return &authrt.Identity{
		Subject:   subject,
		KeyID:     rec.ID,
		Scopes:    rec.Scopes,
		Claims:    rec.Metadata,
		ExpiresAt: rec.ExpiresAt,
	}, nil
}

// isNil reports whether s is nil or an interface holding a nil pointer, map
// or func, which would panic on the first request instead of at startup.
func isNil(s Store) bool {
	if s == nil {
		return true
	}
	switch v := reflect.ValueOf(s); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface:
		return v.IsNil()
	}
	return false
}
