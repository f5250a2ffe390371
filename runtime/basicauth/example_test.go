package basicauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/basicauth"
)

// A table of users with PBKDF2 password hashes, made once with
// basicauth.HashPassword and kept in the server's configuration.
func ExampleNewTable() {
	hash, err := basicauth.HashPassword("correct horse battery staple")
	if err != nil {
		log.Fatal(err)
	}
	users, err := basicauth.NewTable(basicauth.User{Name: "ops", PasswordHash: hash, Scopes: []string{"admin"}})
	if err != nil {
		log.Fatal(err) // a malformed or weak hash: found at startup
	}
	// The middleware hands the verifier the decoded "user-id:password".
	id, err := users.Verify(context.Background(), "ops:correct horse battery staple")
	fmt.Println(id.Subject, id.Scopes, err)
	_, err = users.Verify(context.Background(), "ops:guess")
	fmt.Println(errors.Is(err, authrt.ErrInvalidCredential), authrt.PublicReason(err))
	// Output:
	// ops [admin] <nil>
	// true unknown user or wrong password
}

// Stripe's convention: the API key is the user name and the password is
// empty (curl -u sk_live_...: ). The keys are checked by an API-key
// verifier, so they get authgen's hashing, expiry and revocation.
func ExampleAPIKeyUsername() {
	store, _ := apikey.NewMemoryStore()
	key, _, err := apikey.Issue(context.Background(), store, nil,
		apikey.KeySpec{Prefix: "sk_live", Name: "billing", Scopes: []string{"charges:write"}}, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	keys, err := apikey.NewVerifier(store, apikey.WithPrefixes("sk_live"))
	if err != nil {
		log.Fatal(err)
	}
	basic, err := basicauth.APIKeyUsername(keys)
	if err != nil {
		log.Fatal(err)
	}
	id, err := basic.Verify(context.Background(), key+":")
	fmt.Println(id.Subject, err)
	_, err = basic.Verify(context.Background(), key+":a password")
	fmt.Println(authrt.PublicReason(err))
	// Output:
	// billing <nil>
	// send the API key as the user name with an empty password
}

// Your own check, against a directory or a database. Wrong credentials are
// a rejection (authrt.Reject), a failure of the check itself any other
// error (503, never a pass).
func ExampleFunc() {
	basic, err := basicauth.Func(func(ctx context.Context, user, password string) (*authrt.Identity, error) {
		if user != "svc" || password != "from-your-directory" { // compare hashes in constant time in real code
			return nil, authrt.Reject("unknown user or wrong password")
		}
		return &authrt.Identity{Subject: user}, nil
	})
	if err != nil {
		log.Fatal(err)
	}
	id, err := basic.Verify(context.Background(), "svc:from-your-directory")
	fmt.Println(id.Subject, err)
	// Output:
	// svc <nil>
}
