package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/examples/aichat/aichatauth"
	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/jwtauth"
	"github.com/authgen/authgen/runtime/revoke"
)

// The JWT benchmarks send POST /v1/embeddings through the generated
// middleware with a production verifier (issuer, audience, verified-token
// cache, revocation list), and parse the same tokens with golang-jwt alone
// in the same run as the baseline:
//
//	go test ./examples/aichat -run '^$' -bench 'JWT' -benchtime 2s
//
// BenchmarkJWTFirstSeen cycles through more tokens than the cache holds, so
// every request is a cache miss: full verification plus the cache's
// bookkeeping. BenchmarkJWTRepeated sends one token again and again, as a
// chat client does, and compares a cache hit with the middleware over a
// verifier that does no work (the floor) and with golang-jwt's HS256 parse.

const (
	jwtBenchIssuer   = "https://auth.example.com/"
	jwtBenchAudience = "https://api.example.com"
	jwtBenchTokens   = 256 // distinct first-seen tokens, four times the cache
)

// jwtBenchKey makes a key pair for alg: the signing key and the key that
// verifies it (for HMAC, the same secret).
func jwtBenchKey(b *testing.B, alg string) (signer, verifier any) {
	b.Helper()
	switch alg {
	case "HS256":
		secret := make([]byte, 32)
		rand.Read(secret)
		return secret, secret
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			b.Fatal(err)
		}
		return k, &k.PublicKey
	case "ES256":
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return k, &k.PublicKey
	case "EdDSA":
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		return k, k.Public()
	}
	b.Fatalf("no key for %s", alg)
	return nil, nil
}

// jwtBenchToken signs a typical access token of the example's IdP.
func jwtBenchToken(b *testing.B, alg string, key any, jti string) string {
	b.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), jwt.MapClaims{
		"iss": jwtBenchIssuer, "aud": jwtBenchAudience, "sub": "user-42", "jti": jti,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"scope": "ai.chat.generate ai.inference.embedding", "plan": "pro",
	})
	tok.Header["kid"] = "key-1"
	s, err := tok.SignedString(key)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// jwtBenchVerifier is the verifier a production server would configure.
func jwtBenchVerifier(b *testing.B, pub any) *jwtauth.Verifier {
	b.Helper()
	key := jwtauth.PublicKey(pub, jwtauth.WithKeyID("key-1"))
	if secret, ok := pub.([]byte); ok {
		key = jwtauth.HMAC(secret, jwtauth.WithKeyID("key-1"))
	}
	list, err := revoke.NewMemory()
	if err != nil {
		b.Fatal(err)
	}
	list.Revoke(context.Background(), "some-other-token", time.Now().Add(time.Hour))
	v, err := jwtauth.New([]jwtauth.Key{key},
		jwtauth.WithIssuer(jwtBenchIssuer), jwtauth.WithAudience(jwtBenchAudience),
		jwtauth.WithCache(jwtBenchTokens/4, 5*time.Minute), jwtauth.WithRevocation(list))
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// jwtBenchMiddleware is the generated middleware over a handler that only
// checks that a principal arrived, with bearer for bearerAuth.
func jwtBenchMiddleware(b *testing.B, bearer authrt.Verifier) http.Handler {
	b.Helper()
	auth, err := aichatauth.New(aichatauth.Config{BearerAuth: bearer, APIKeyAuth: authrt.VerifierFunc(
		func(context.Context, string) (*authrt.Identity, error) { return nil, authrt.Reject("unused") })})
	if err != nil {
		b.Fatal(err)
	}
	return auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := authrt.PrincipalFrom(r.Context()); !ok {
			panic("no principal")
		}
	}))
}

// jwtBenchServe sends each token in turn through h.
func jwtBenchServe(b *testing.B, h http.Handler, tokens []string) {
	reqs := make([]*http.Request, len(tokens))
	for i, t := range tokens {
		reqs[i] = httptest.NewRequest("POST", "/v1/embeddings", nil)
		reqs[i].Header.Set("Authorization", "Bearer "+t)
	}
	w := &jwtBenchWriter{h: http.Header{}}
	h.ServeHTTP(w, reqs[0]) // fails the benchmark early if the setup is wrong
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.ServeHTTP(w, reqs[i%len(reqs)])
		i++
	}
}

// jwtBenchParse is the baseline: golang-jwt's Parser with the same checks
// (algorithm, exp required, leeway, iss, aud) on each token in turn.
func jwtBenchParse(b *testing.B, alg string, pub any, tokens []string) {
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithExpirationRequired(),
		jwt.WithLeeway(jwtauth.DefaultLeeway), jwt.WithIssuer(jwtBenchIssuer),
		jwt.WithAudience(jwtBenchAudience), jwt.WithJSONNumber())
	keyFunc := func(*jwt.Token) (any, error) { return pub, nil }
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := p.Parse(tokens[i%len(tokens)], keyFunc); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// jwtBenchWriter is a ResponseWriter that keeps nothing and fails on an
// error status.
type jwtBenchWriter struct{ h http.Header }

func (w *jwtBenchWriter) Header() http.Header         { return w.h }
func (w *jwtBenchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *jwtBenchWriter) WriteHeader(code int) {
	if code != http.StatusOK {
		panic(fmt.Sprintf("status %d", code))
	}
}

// BenchmarkJWTFirstSeen: tokens the server has not seen before (every
// request a cache miss), by algorithm; jwt.Parse is the baseline.
func BenchmarkJWTFirstSeen(b *testing.B) {
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		signer, pub := jwtBenchKey(b, alg)
		tokens := make([]string, jwtBenchTokens)
		for i := range tokens {
			tokens[i] = jwtBenchToken(b, alg, signer, fmt.Sprint("jti-", i))
		}
		b.Run(alg+"/middleware", func(b *testing.B) {
			jwtBenchServe(b, jwtBenchMiddleware(b, jwtBenchVerifier(b, pub)), tokens)
		})
		b.Run(alg+"/jwt.Parse", func(b *testing.B) {
			jwtBenchParse(b, alg, pub, tokens)
		})
		b.Run(alg+"/paired", func(b *testing.B) {
			jwtBenchPaired(b, alg, jwtBenchMiddleware(b, jwtBenchVerifier(b, pub)), pub, tokens)
		})
	}
}

// jwtBenchPaired times the middleware and golang-jwt on the same token in
// each iteration, one after the other, and reports their ratio: on a busy
// machine the pair sees the same load, where two separate benchmarks may
// not. x-parse is middleware time over jwt.Parse time.
func jwtBenchPaired(b *testing.B, alg string, h http.Handler, pub any, tokens []string) {
	reqs := make([]*http.Request, len(tokens))
	for i, t := range tokens {
		reqs[i] = httptest.NewRequest("POST", "/v1/embeddings", nil)
		reqs[i].Header.Set("Authorization", "Bearer "+t)
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithExpirationRequired(),
		jwt.WithLeeway(jwtauth.DefaultLeeway), jwt.WithIssuer(jwtBenchIssuer),
		jwt.WithAudience(jwtBenchAudience), jwt.WithJSONNumber())
	keyFunc := func(*jwt.Token) (any, error) { return pub, nil }
	w := &jwtBenchWriter{h: http.Header{}}
	var mw, parse time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		h.ServeHTTP(w, reqs[i%len(reqs)])
		t1 := time.Now()
		if _, err := p.Parse(tokens[i%len(tokens)], keyFunc); err != nil {
			b.Fatal(err)
		}
		parse += time.Since(t1)
		mw += t1.Sub(t0)
		i++
	}
	b.ReportMetric(float64(mw)/float64(i), "middleware-ns/op")
	b.ReportMetric(float64(parse)/float64(i), "jwt.Parse-ns/op")
	b.ReportMetric(float64(mw)/float64(parse), "x-parse")
}

// BenchmarkJWTRepeated: one HS256 token sent again and again.
//
//   - middleware/cache-hit: the generated middleware, the token served from
//     the verified-token cache (revocation checked);
//   - middleware/no-verification: the same middleware over a verifier that
//     returns a ready identity, the floor: cache-hit minus this is the
//     latency the cache adds;
//   - verify/cache-hit: jwtauth's Verify alone on a cache hit;
//   - jwt.Parse: golang-jwt parsing the token, the baseline.
func BenchmarkJWTRepeated(b *testing.B) {
	signer, pub := jwtBenchKey(b, "HS256")
	token := jwtBenchToken(b, "HS256", signer, "jti-repeated")
	v := jwtBenchVerifier(b, pub)
	id, err := v.Verify(context.Background(), token)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("middleware/cache-hit", func(b *testing.B) {
		jwtBenchServe(b, jwtBenchMiddleware(b, v), []string{token})
	})
	b.Run("middleware/no-verification", func(b *testing.B) {
		fixed := authrt.VerifierFunc(func(context.Context, string) (*authrt.Identity, error) { return id, nil })
		jwtBenchServe(b, jwtBenchMiddleware(b, fixed), []string{token})
	})
	b.Run("verify/cache-hit", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jwt.Parse", func(b *testing.B) {
		jwtBenchParse(b, "HS256", pub, []string{token})
	})
}
