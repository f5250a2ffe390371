package jwtauth_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/jwtauth"
)

func ExampleNew() {
	secret := []byte("an example secret of 32 bytes or more")
	clock := func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }

	v, err := jwtauth.New(
		[]jwtauth.Key{jwtauth.HMAC(secret, jwtauth.WithKeyID("2026-01"))},
		jwtauth.WithIssuer("https://auth.example.com/"),
		jwtauth.WithAudience("https://api.example.com"),
		jwtauth.WithClock(clock),
	)
	if err != nil {
		fmt.Println("config:", err)
		return
	}

	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss":   "https://auth.example.com/",
		"aud":   "https://api.example.com",
		"sub":   "user-42",
		"exp":   clock().Add(time.Hour).Unix(),
		"scope": "chat:read chat:write",
	})
	tok.Header["kid"] = "2026-01"
	token, _ := tok.SignedString(secret)

	id, err := v.Verify(context.Background(), token)
	if err != nil {
		fmt.Println("rejected:", authrt.PublicReason(err))
		return
	}
	fmt.Println(id.Subject, id.Scopes)

	_, err = v.Verify(context.Background(), token[:len(token)-2]+"AA")
	fmt.Println(errors.Is(err, authrt.ErrInvalidCredential), authrt.PublicReason(err))
	// Output:
	// user-42 [chat:read chat:write]
	// true the token signature is invalid
}

func ExampleParseJWKS() {
	keys, err := jwtauth.ParseJWKS([]byte(`{"keys":[
		{"kty":"EC","crv":"P-256","kid":"ec-1","alg":"ES256","use":"sig",
		 "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
		 "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
		{"kty":"RSA","use":"enc","kid":"enc-1","n":"AQAB","e":"AQAB"}
	]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range keys {
		fmt.Println(k.ID, k.Algorithm)
	}
	// Output:
	// ec-1 ES256
}
