// Package jwtauth verifies JWT bearer tokens (JWS compact serialization) for
// authgen's middleware, or for any server that imports it directly. Its
// Verifier implements authrt.Verifier.
//
// Signatures are checked with github.com/golang-jwt/jwt/v5's signing
// methods and claims with its Validator, but the token is decoded by this
// package, once, and more strictly than golang-jwt does even with every
// option set:
//
//   - the algorithm is bound to the key type: an HMAC secret verifies only
//     HS256/HS384/HS512, an RSA key RS* and PS*, an ECDSA key the ES* of its
//     curve, an Ed25519 key EdDSA; "none", in any casing, never;
//   - PS256/PS384/PS512 signatures must use a salt as long as the hash;
//   - exp is required (WithoutExpirationRequired turns that off); iss and
//     aud are checked when WithIssuer and WithAudience are given; exp and
//     nbf get a leeway of DefaultLeeway (30 seconds) unless WithLeeway says
//     otherwise;
//   - tokens longer than DefaultMaxTokenSize (8 KiB) are refused unread;
//   - every segment must be base64url without padding, stray characters
//     (spaces, CR, LF, '+', '/') or non-zero trailing bits;
//   - the header and the claims must be JSON objects in which no object
//     repeats a member name;
//   - a header with crit is refused (no extension is understood); a typ, if
//     present, must be "JWT", "at+jwt" or "application/at+jwt" (any casing);
//   - jku, x5u, x5c and an embedded jwk are ignored: keys come only from
//     the configuration, never from the token;
//   - a kid in the header selects the key of that ID and no other; without
//     a kid, at most 8 keys that allow the algorithm are tried.
//
// Keys come from HMAC, PublicKey, ParsePEM, ParseJWKS or LoadJWKSFile, and
// New checks them all: an empty or short HMAC secret, an RSA key under 2048
// bits or an unknown algorithm name fail at startup, not on a request.
//
// Keys that change while the server runs (an identity provider's JWK Set,
// with rotation) come from a KeySource through NewFromSource; package jwks
// fetches and refreshes a JWKS URL, and package oidc finds it through
// OpenID Connect discovery. WithRevocation checks each token's jti against
// a revocation list (package revoke). WithCache remembers verified tokens
// (found by the SHA-256 of the signature, the rest compared byte for
// byte), so that a client that sends the same
// token with every message is authenticated in well under a microsecond.
//
// Usage:
//
//	keys, err := jwtauth.LoadJWKSFile("/etc/myapp/jwks.json")
//	if err != nil {
//		return err
//	}
//	v, err := jwtauth.New(keys,
//		jwtauth.WithIssuer("https://auth.example.com/"),
//		jwtauth.WithAudience("https://api.example.com"),
//	)
//	if err != nil {
//		return err
//	}
//	id, err := v.Verify(ctx, token)
//	if errors.Is(err, authrt.ErrInvalidCredential) {
//		// 401, with authrt.PublicReason(err) as the error_description
//	}
package jwtauth
