package apikey

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/authgen/authgen/runtime/authrt"
)

// The reasons a key is refused. Each one wraps authrt.ErrInvalidCredential
// (errors.Is(ErrKeyExpired, authrt.ErrInvalidCredential) holds), and its text
// is the short public reason that authrt.PublicReason gives for an error from
// Verify. Test for them with errors.Is:
//
//	if errors.Is(err, apikey.ErrKeyExpired) { ... }
var (
	// ErrMalformedKey means the key cannot be a key at all: it is shorter
	// or longer than the verifier accepts or, with WithPrefixes, it does not
	// have the key format, has another prefix or fails its checksum. It is
	// decided before hashing and before any lookup.
	ErrMalformedKey error = &rejectKind{"malformed API key"}
	// ErrUnknownKey means no record matches the key.
	ErrUnknownKey error = &rejectKind{"unknown API key"}
	// ErrKeyRevoked means the key's record is marked revoked.
	ErrKeyRevoked error = &rejectKind{"API key revoked"}
	// ErrKeyExpired means the verifier's clock is at or past the record's
	// ExpiresAt.
	ErrKeyExpired error = &rejectKind{"API key expired"}
	// ErrKeyNotYetValid means the verifier's clock is before the record's
	// NotBefore.
	ErrKeyNotYetValid error = &rejectKind{"API key not yet valid"}
	// ErrNetworkNotAllowed means the record lists client networks
	// (Record.Networks) and the request's client address is in none of them.
	ErrNetworkNotAllowed error = &rejectKind{"API key not allowed from this network"}
)

// ErrNoClientAddr is returned (wrapped) by Verify for a key whose record
// restricts client networks when the request context carries no client
// address: the server is not wrapped in ClientAddr.Middleware. It is a
// technical failure (503), not a verdict on the key, and never a pass.
var ErrNoClientAddr = errors.New("apikey: no client address in the request context (wrap the handler in apikey.ClientAddr.Middleware)")

// ErrNotFound is returned by a Store when no record has the hash or ID asked
// for. It is a store result, not a verdict on a credential: the Verifier turns
// it into ErrUnknownKey, and MemoryStore's Delete and Revoke return it for an
// unknown ID.
var ErrNotFound = errors.New("apikey: record not found")

// ErrDuplicateID is returned (wrapped) when a record is added to a
// MemoryStore that already holds a record with the same ID.
var ErrDuplicateID = errors.New("apikey: duplicate record ID")

// ErrDuplicateHash is returned (wrapped) when a record is added to a
// MemoryStore that already holds a record, under another ID, with the same
// key hash: two records for one key would make the key ambiguous.
var ErrDuplicateHash = errors.New("apikey: duplicate key hash")

// ErrPepperMismatch is returned (wrapped) by Rotate and CheckPepper when a
// record was hashed with another pepper than the one given, or with none.
var ErrPepperMismatch = errors.New("apikey: another pepper")

// ErrInvalidRecord is returned (wrapped) for a record that cannot be stored:
// no ID, no hash, or an expiry that is not after its NotBefore.
var ErrInvalidRecord = errors.New("apikey: invalid record")

// rejectKind is the type of the rejection sentinels. It counts as
// authrt.ErrInvalidCredential so that a sentinel returned on its own (by a
// custom verifier built on this package) still means 401, not 503.
type rejectKind struct{ reason string }

func (k *rejectKind) Error() string        { return k.reason }
func (k *rejectKind) Is(target error) bool { return target == authrt.ErrInvalidCredential }

// keyDetail is the private half of a rejection: what went wrong, for logs,
// naming the key by its record ID only. It unwraps to the sentinel.
type keyDetail struct {
	kind   *rejectKind
	detail string
}

func (d *keyDetail) Error() string { return d.detail }
func (d *keyDetail) Unwrap() error { return d.kind }

// reject returns the error Verify gives for a refused key: its public reason
// is the sentinel's text, errors.Is finds both the sentinel and
// authrt.ErrInvalidCredential, and Error() adds detail. The detail must never
// contain the key.
func reject(kind error, detail string) error {
	k := kind.(*rejectKind)
	return authrt.Rejectf(k.reason, &keyDetail{kind: k, detail: detail})
}

// rejectRecord is reject with the record named by its ID.
func rejectRecord(kind error, id string) error {
	return reject(kind, "key id "+strconv.Quote(id))
}

// recordError wraps a store sentinel with the ID of the record concerned.
func recordError(sentinel error, id, format string, args ...any) error {
	return fmt.Errorf("%w: record %q: %s", sentinel, id, fmt.Sprintf(format, args...))
}
