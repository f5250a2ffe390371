// Package basicauth verifies HTTP Basic credentials (RFC 7617) for
// authgen's http basic security schemes. The middleware hands a verifier the
// decoded "user-id:password"; this package splits it and checks it in one of
// three ways:
//
//   - Func: your own check (a directory, a database);
//   - Table: a fixed table of users with PBKDF2-SHA256 password hashes;
//   - APIKeyUsername: the convention of Stripe and others, where the API key
//     is sent as the user-id with an empty password, checked by an API-key
//     verifier (runtime/apikey).
//
// Passwords and keys never appear in errors or identities.
package basicauth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/authgen/authgen/runtime/authrt"
)

// Errors of a rejected credential; each satisfies
// errors.Is(err, authrt.ErrInvalidCredential).
var (
	ErrMalformed        = errors.New("basicauth: malformed credentials")
	ErrBadCredentials   = errors.New("basicauth: unknown user or wrong password")
	ErrPasswordExpected = errors.New("basicauth: the password must be empty")
)

// ErrConfig is wrapped by construction errors.
var ErrConfig = errors.New("basicauth: invalid configuration")

// split separates "user-id:password"; the user-id may not contain a colon
// (RFC 7617), the password may.
func split(cred string) (user, password string, err error) {
	user, password, ok := strings.Cut(cred, ":")
	if !ok || user == "" {
		return "", "", authrt.Rejectf("the Basic credentials are malformed", ErrMalformed)
	}
	return user, password, nil
}

// CheckFunc checks a user-id and password. Return an error wrapping
// authrt.ErrInvalidCredential (authrt.Reject) for wrong credentials, any
// other error for a failure of the check itself.
type CheckFunc func(ctx context.Context, user, password string) (*authrt.Identity, error)

// Func returns a verifier that calls check with the split credentials.
func Func(check CheckFunc) (authrt.Verifier, error) {
	if check == nil {
		return nil, fmt.Errorf("%w: nil check function", ErrConfig)
	}
	return authrt.VerifierFunc(func(ctx context.Context, cred string) (*authrt.Identity, error) {
		user, password, err := split(cred)
		if err != nil {
			return nil, err
		}
		return check(ctx, user, password)
	}), nil
}

// APIKeyUsername returns a verifier for the convention where an API key is
// sent as the Basic user-id with an empty password (Stripe's API, among
// others): it checks the user-id with keys, an API-key verifier. A non-empty
// password is refused, so that a password never travels as if it were
// harmless.
func APIKeyUsername(keys authrt.Verifier) (authrt.Verifier, error) {
	if keys == nil {
		return nil, fmt.Errorf("%w: nil API-key verifier", ErrConfig)
	}
	return authrt.VerifierFunc(func(ctx context.Context, cred string) (*authrt.Identity, error) {
		user, password, err := split(cred)
		if err != nil {
			return nil, err
		}
		if password != "" {
			return nil, authrt.Rejectf("send the API key as the user name with an empty password", ErrPasswordExpected)
		}
		return keys.Verify(ctx, user)
	}), nil
}
