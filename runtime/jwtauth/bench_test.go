package jwtauth

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkVerify compares Verify with golang-jwt's own jwt.Parse (MapClaims,
// the same key, exp required) in the same run, as the baseline.
func BenchmarkVerify(b *testing.B) {
	k := keys(b)
	claims := jwt.MapClaims{
		"iss":   "https://auth.example.com/",
		"aud":   "https://api.example.com",
		"sub":   "user-42",
		"jti":   "f9a8c1d2",
		"iat":   time.Now().Unix(),
		"exp":   time.Now().Add(time.Hour).Unix(),
		"scope": "chat:read chat:write models:list",
	}
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		signer, key := k.pair(alg)
		token := sign(b, jwt.GetSigningMethod(alg), signer, claims, map[string]any{"typ": "JWT"})
		v, err := New([]Key{key},
			WithIssuer("https://auth.example.com/"), WithAudience("https://api.example.com"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), token); err != nil {
			b.Fatal(err)
		}
		material := key.Material
		if alg == "HS256" {
			material = k.secret
		}
		b.Run(alg+"/jwtauth", func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				if _, err := v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/jwt.Parse", func(b *testing.B) {
			b.ReportAllocs()
			p := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithExpirationRequired(),
				jwt.WithLeeway(DefaultLeeway), jwt.WithIssuer("https://auth.example.com/"),
				jwt.WithAudience("https://api.example.com"), jwt.WithJSONNumber())
			keyFunc := func(*jwt.Token) (any, error) { return material, nil }
			for b.Loop() {
				if _, err := p.Parse(token, keyFunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
