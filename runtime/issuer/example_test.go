package issuer_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/authgen/authgen/runtime/issuer"
	"github.com/authgen/authgen/runtime/revoke"
)

// A service logs a user in, refreshes, and catches a replayed refresh
// token.
func Example() {
	ctx := context.Background()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := issuer.NewSigner(key, issuer.SignWithKeyID("2026-03"))
	list, _ := revoke.NewMemory()
	iss, err := issuer.New(signer, issuer.NewMemoryStore(),
		issuer.WithIssuer("https://api.example.com"),
		issuer.WithAudience("https://api.example.com"),
		issuer.WithRevoker(list))
	if err != nil {
		panic(err)
	}
	verifier, _ := iss.Verifier()

	// After checking the user's password:
	login, _ := iss.Issue(ctx, "alice", []string{"chat"}, map[string]any{"plan": "pro"})
	id, _ := verifier.Verify(ctx, login.AccessToken)
	fmt.Println(id.Subject, id.Scopes, id.Claims["plan"])

	// At the token endpoint, the refresh token rotates:
	next, _ := iss.Refresh(ctx, login.RefreshToken)
	fmt.Println(next.RefreshToken != login.RefreshToken)

	// The old refresh token again: the session is revoked.
	_, err = iss.Refresh(ctx, login.RefreshToken)
	fmt.Println(errors.Is(err, issuer.ErrRefreshTokenReused))
	_, err = iss.Refresh(ctx, next.RefreshToken)
	fmt.Println(errors.Is(err, issuer.ErrInvalidRefreshToken))
	revoked, _ := list.Revoked(id.KeyID)
	fmt.Println(revoked)
	// Output:
	// alice [chat] pro
	// true
	// true
	// true
	// true
}
