package apikey

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"
)

// KeySpec describes a key to mint (Mint) or an existing key to make a record
// for (Import).
type KeySpec struct {
	// ID is the record's ID; NewID() when empty.
	ID string
	// Prefix is the key's prefix ("sk_live"), required by Mint. Import
	// takes it from the key when the key is in authgen's format.
	Prefix string
	// Name is the key's owner (Record.Name).
	Name string
	// Scopes are the scopes the key grants.
	Scopes []string
	// NotBefore and ExpiresAt bound the key's validity; zero for none.
	NotBefore, ExpiresAt time.Time
	// Networks are the client networks the key may be used from; none for
	// any.
	Networks []netip.Prefix
	// Metadata is handed to handlers as claims ("plan", "models", ...).
	Metadata map[string]any
}

// record returns the record spec describes for key, hashed by h, created at
// now. It copies every slice and map of spec.
func (spec *KeySpec) record(h *Hasher, key string, now time.Time) (Record, error) {
	id := spec.ID
	if id == "" {
		id = NewID()
	}
	r := Record{
		ID:        id,
		Name:      spec.Name,
		Prefix:    spec.Prefix,
		Hash:      h.Hash(key),
		PepperID:  h.PepperID(),
		Scopes:    cloneScopes(spec.Scopes),
		CreatedAt: now.UTC().Truncate(time.Second),
		NotBefore: spec.NotBefore,
		ExpiresAt: spec.ExpiresAt,
		Networks:  slices.Clone(spec.Networks),
		Metadata:  maps.Clone(spec.Metadata),
	}
	return r, r.validate()
}

// NewID returns a new random record ID, "key_" and 20 base62 characters. IDs
// name keys in logs and tools; they are not secret and say nothing about the
// key.
func NewID() string {
	var b [20]byte
	rand.Read(b[:]) // never fails (crypto/rand); a small bias is harmless in an ID
	for i, c := range b {
		b[i] = base62[c%62]
	}
	return "key_" + string(b[:])
}

// Mint makes a new key (NewKey with spec.Prefix) and its record, hashed by h
// (nil for plain SHA-256), created at now. The key is returned once: show it
// to its owner and keep only the record. Store the record with Admin.Create,
// or use Issue to do both.
func Mint(h *Hasher, spec KeySpec, now time.Time) (key string, rec Record, err error) {
	key, err = NewKey(spec.Prefix)
	if err != nil {
		return "", Record{}, err
	}
	rec, err = spec.record(h, key, now)
	if err != nil {
		return "", Record{}, err
	}
	return key, rec, nil
}

// Issue mints a key as Mint does and stores its record in a.
func Issue(ctx context.Context, a Admin, h *Hasher, spec KeySpec, now time.Time) (string, *Record, error) {
	key, rec, err := Mint(h, spec, now)
	if err != nil {
		return "", nil, err
	}
	if err := a.Create(ctx, rec); err != nil {
		return "", nil, err
	}
	return key, &rec, nil
}

// Import makes a record for a key issued elsewhere, hashed by h. The key
// must be at least DefaultMinKeyLength and at most DefaultMaxKeyLength
// bytes. When it is in authgen's format its prefix is recorded (and must
// equal spec.Prefix if that is set); a key in another format is accepted,
// but then a Verifier with WithPrefixes refuses it.
func Import(h *Hasher, key string, spec KeySpec, now time.Time) (Record, error) {
	if n := len(key); n < DefaultMinKeyLength || n > DefaultMaxKeyLength {
		return Record{}, fmt.Errorf("%w: key length %d outside %d..%d", ErrMalformedKey, n,
			DefaultMinKeyLength, DefaultMaxKeyLength)
	}
	if prefix, reason := parseKey(key); reason == "" {
		if spec.Prefix != "" && spec.Prefix != prefix {
			return Record{}, fmt.Errorf("%w: the key's prefix is %q, not %q", ErrMalformedKey, prefix, spec.Prefix)
		}
		spec.Prefix = prefix
	} else if spec.Prefix != "" {
		return Record{}, fmt.Errorf("%w: %s", ErrMalformedKey, reason)
	}
	return spec.record(h, key, now)
}

// RotateSpec says how Rotate replaces a key.
type RotateSpec struct {
	// Overlap is how long the old key keeps working, from now, so that
	// integrations can switch without downtime. The old key's expiry is
	// set to now+Overlap unless it already expires sooner. Zero ends it at
	// once; negative is an error.
	Overlap time.Duration
	// ID is the successor's record ID; NewID() when empty.
	ID string
	// ExpiresAt is the successor's expiry. When zero, the successor gets
	// the old key's lifetime (ExpiresAt - CreatedAt) from now if the old
	// record has both, and no expiry otherwise.
	ExpiresAt time.Time
}

// Rotate replaces the key of record id in a with a new one: it mints a
// successor with the same prefix, name, scopes, networks and metadata,
// stores it, then shortens the old key's life to the overlap window. It
// returns the new key (shown once) and both records as stored.
//
// The successor is stored first: if shortening the old key then fails, both
// keys work and Rotate returns the error with the new key, which must still
// be handed over; running it again rotates again. A revoked record is not
// rotated (ErrRecordRevoked), nor one hashed with another pepper than h's
// (ErrPepperMismatch). A successor of a key that is not valid yet gets its
// NotBefore; if the overlap ends before that, the old key is revoked.
func Rotate(ctx context.Context, a Admin, h *Hasher, id string, spec RotateSpec, now time.Time) (key string, successor, old *Record, err error) {
	if spec.Overlap < 0 {
		return "", nil, nil, fmt.Errorf("apikey: rotate %q: negative overlap %s", id, spec.Overlap)
	}
	prev, err := a.Get(ctx, id)
	if err != nil {
		return "", nil, nil, err
	}
	if prev.Revoked {
		return "", nil, nil, recordError(ErrRecordRevoked, id, "cannot rotate")
	}
	if err := CheckPepper(prev, h.PepperID()); err != nil {
		return "", nil, nil, err
	}
	next := KeySpec{
		ID:        spec.ID,
		Prefix:    prev.Prefix,
		Name:      prev.Name,
		Scopes:    prev.Scopes,
		ExpiresAt: spec.ExpiresAt,
		Networks:  prev.Networks,
		Metadata:  prev.Metadata,
	}
	if prev.NotBefore.After(now) {
		next.NotBefore = prev.NotBefore // a successor is not valid before its predecessor
	}
	if next.Prefix == "" {
		return "", nil, nil, recordError(ErrInvalidRecord, id,
			"has no key prefix to rotate with (imported key): mint a new key instead")
	}
	if next.ExpiresAt.IsZero() && !prev.CreatedAt.IsZero() && prev.ExpiresAt.After(prev.CreatedAt) {
		next.ExpiresAt = now.Add(prev.ExpiresAt.Sub(prev.CreatedAt)).UTC().Truncate(time.Second)
	}
	key, successor, err = Issue(ctx, a, h, next, now)
	if err != nil {
		return "", nil, nil, err
	}
	end := now.Add(spec.Overlap).UTC()
	old, err = a.Update(ctx, id, func(r *Record) error {
		if !r.NotBefore.IsZero() && !end.After(r.NotBefore) {
			// Not valid yet, and the overlap ends before it would be:
			// the old key never works.
			r.Revoked = true
			return nil
		}
		if r.ExpiresAt.IsZero() || r.ExpiresAt.After(end) {
			r.ExpiresAt = end
		}
		return nil
	})
	if err != nil {
		return key, successor, nil, fmt.Errorf("apikey: rotate %q: successor %q stored, but the old key's expiry was not set: %w",
			id, successor.ID, err)
	}
	return key, successor, old, nil
}

// CheckPepper returns an error wrapping ErrPepperMismatch when r was hashed
// with another pepper than the one whose Hasher.PepperID is pepperID (or
// with one, pepperID being "", or the other way round): a key hashed with
// pepperID beside r would not be found by the verifiers that find r's.
func CheckPepper(r *Record, pepperID string) error {
	if r.PepperID == pepperID {
		return nil
	}
	had, given := "without a pepper", "no pepper was given"
	if r.PepperID != "" {
		had = "with pepper " + r.PepperID
	}
	if pepperID != "" {
		given = "the pepper given is " + pepperID
	}
	hint := "give the pepper the store's keys were made with"
	if r.PepperID == "" {
		// A record made without Hasher.Record, Mint or Import (by hand, or
		// by another tool) has no pepper ID even if it was peppered.
		hint += fmt.Sprintf(" (if it was in fact made with this pepper, set its pepper_id to %q)", pepperID)
	}
	return recordError(ErrPepperMismatch, r.ID, "was hashed %s, but %s: %s", had, given, hint)
}

// Revoke marks record id in a revoked: its key is refused from then on, by
// every verifier that reads a (within the store's propagation bound for a
// shared store). Revoking a revoked record changes nothing.
func Revoke(ctx context.Context, a Admin, id string) (*Record, error) {
	return a.Update(ctx, id, func(r *Record) error {
		r.Revoked = true
		return nil
	})
}
