package apikey

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
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
	}, nil
}

// Verify checks key and returns the identity of its record.
//
// It refuses a key that is too short or too long (ErrMalformedKey, decided
// before hashing), unknown (ErrUnknownKey), revoked (ErrKeyRevoked), expired
// (ErrKeyExpired) or not yet valid (ErrKeyNotYetValid). These errors wrap
// authrt.ErrInvalidCredential and carry a public reason for
// authrt.PublicReason; they name the key by its record ID, never by the key.
// A store failure is returned wrapped, without ErrInvalidCredential.
//
// The identity's Subject is the record's Name (its ID when Name is empty),
// KeyID its ID, Scopes and Claims copies of its Scopes and Metadata (values
// nested in Metadata are shared, and must not be modified), ExpiresAt its
// ExpiresAt. RawClaims is nil.
func (v *Verifier) Verify(ctx context.Context, key string) (*authrt.Identity, error) {
	if n := len(key); n < v.minLen || n > v.maxLen {
		return nil, reject(ErrMalformedKey, "key length "+strconv.Itoa(n)+
			" outside "+strconv.Itoa(v.minLen)+".."+strconv.Itoa(v.maxLen))
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
	now := v.clock()
	if !rec.NotBefore.IsZero() && now.Before(rec.NotBefore) {
		return nil, rejectRecord(ErrKeyNotYetValid, rec.ID)
	}
	if !rec.ExpiresAt.IsZero() && !now.Before(rec.ExpiresAt) {
		return nil, rejectRecord(ErrKeyExpired, rec.ID)
	}
	subject := rec.Name
	if subject == "" {
		subject = rec.ID
	}
	return &authrt.Identity{
		Subject:   subject,
		KeyID:     rec.ID,
		Scopes:    cloneScopes(rec.Scopes),
		Claims:    maps.Clone(rec.Metadata),
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
