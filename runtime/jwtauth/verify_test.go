package jwtauth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/authrt"
)

// TestRejected covers the tokens the secure defaults refuse. Each token is
// correctly signed unless the case is about the signature, so that the
// check named by want is what refuses it.
func TestRejected(t *testing.T) {
	k := keys(t)
	hs := jwt.SigningMethodHS256
	secret := k.secret
	valid := func() string { return sign(t, hs, secret, validClaims(), nil) }
	claims := claimsJSON(t, validClaims())
	with := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := validClaims()
		mod(c)
		return c
	}
	rsaPEM := pemPublic(t, &k.rsa.PublicKey)
	hmacOnly := []Key{HMAC(secret)}
	rsaOnly := []Key{PublicKey(&k.rsa.PublicKey)}

	tests := []struct {
		name  string
		keys  []Key
		opts  []Option
		token string
		want  error
	}{
		// alg "none", in any casing, with or without a signature.
		{"alg none", hmacOnly, nil, b64u([]byte(`{"alg":"none"}`)) + "." + b64u([]byte(claims)) + ".", ErrUnsupportedAlgorithm},
		{"alg None", hmacOnly, nil, b64u([]byte(`{"alg":"None","typ":"JWT"}`)) + "." + b64u([]byte(claims)) + ".", ErrUnsupportedAlgorithm},
		{"alg NONE", hmacOnly, nil, b64u([]byte(`{"alg":"NONE"}`)) + "." + b64u([]byte(claims)) + ".", ErrUnsupportedAlgorithm},
		{"alg nOnE signed", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"nOnE"}`, claims), ErrUnsupportedAlgorithm},
		{"alg none via golang-jwt", hmacOnly, nil, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(), nil), ErrUnsupportedAlgorithm},
		{"alg missing", hmacOnly, nil, rawToken(t, hs, secret, `{"typ":"JWT"}`, claims), ErrMalformed},
		{"alg not a string", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":["HS256"]}`, claims), ErrMalformed},
		{"alg unknown", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS257"}`, claims), ErrUnsupportedAlgorithm},
		{"alg in other casing", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"hs256"}`, claims), ErrUnsupportedAlgorithm},
		{"alg not narrowed in", hmacOnly, []Option{WithAlgorithms("HS512")}, valid(), ErrUnsupportedAlgorithm},

		// HS256 with the RSA public key's PEM as the HMAC secret.
		{"HS256 with RSA PEM as secret", rsaOnly, nil, sign(t, hs, rsaPEM, validClaims(), nil), ErrUnsupportedAlgorithm},
		{"HS256 with RSA PEM as secret, key from that PEM", mustParsePEM(t, rsaPEM), nil, sign(t, hs, rsaPEM, validClaims(), nil), ErrUnsupportedAlgorithm},
		{"HS256 with RSA PEM as secret, HMAC key too", []Key{PublicKey(&k.rsa.PublicKey), HMAC(secret)}, nil,
			sign(t, hs, rsaPEM, validClaims(), nil), ErrSignatureInvalid},
		{"HS256 with RSA PEM as secret, kid of the RSA key", []Key{PublicKey(&k.rsa.PublicKey, WithKeyID("rsa")), HMAC(secret)}, nil,
			sign(t, hs, rsaPEM, validClaims(), map[string]any{"kid": "rsa"}), ErrUnsupportedAlgorithm},

		// crit: no extension is understood.
		{"crit", hmacOnly, nil, sign(t, hs, secret, validClaims(), map[string]any{"crit": []string{"exp"}, "exp": 1}), ErrCritical},
		{"crit empty", hmacOnly, nil, sign(t, hs, secret, validClaims(), map[string]any{"crit": []string{}}), ErrCritical},
		{"crit b64", hmacOnly, nil, sign(t, hs, secret, validClaims(), map[string]any{"crit": []string{"b64"}, "b64": false}), ErrCritical},

		// typ.
		{"typ JOSE", hmacOnly, nil, sign(t, hs, secret, validClaims(), map[string]any{"typ": "JOSE"}), ErrUnsupportedType},
		{"typ dpop+jwt", hmacOnly, nil, sign(t, hs, secret, validClaims(), map[string]any{"typ": "dpop+jwt"}), ErrUnsupportedType},
		{"typ not a string", hmacOnly, nil, sign(t, hs, secret, validClaims(), map[string]any{"typ": 1}), ErrMalformed},

		// size.
		{"oversize", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["pad"] = strings.Repeat("x", DefaultMaxTokenSize) }), nil), ErrTokenTooLarge},
		{"over a small limit", hmacOnly, []Option{WithMaxTokenSize(64)}, valid(), ErrTokenTooLarge},

		// structure and base64.
		{"empty", hmacOnly, nil, "", ErrMalformed},
		{"two parts", hmacOnly, nil, valid()[:strings.LastIndexByte(valid(), '.')], ErrMalformed},
		{"four parts", hmacOnly, nil, valid() + ".AAAA", ErrMalformed},
		{"padding", hmacOnly, nil, valid() + "=", ErrMalformed},
		{"padding in header", hmacOnly, nil, rawTokenPadded(t, secret, claims), ErrMalformed},
		{"newline", hmacOnly, nil, insertAt(valid(), 10, "\n"), ErrMalformed},
		{"CRLF", hmacOnly, nil, insertAt(valid(), 10, "\r\n"), ErrMalformed},
		{"space", hmacOnly, nil, insertAt(valid(), 10, " "), ErrMalformed},
		{"leading space", hmacOnly, nil, " " + valid(), ErrMalformed},
		{"standard base64 '+'", hmacOnly, nil, replaceAt(valid(), 5, '+'), ErrMalformed},
		{"standard base64 '/'", hmacOnly, nil, replaceAt(valid(), 5, '/'), ErrMalformed},
		{"trailing bits", hmacOnly, nil, trailingBits(valid()), ErrMalformed},
		{"impossible length", hmacOnly, nil, valid() + "AA", ErrMalformed}, // 45 characters
		{"header not JSON", hmacOnly, nil, rawToken(t, hs, secret, `alg=HS256`, claims), ErrMalformed},
		{"header array", hmacOnly, nil, rawToken(t, hs, secret, `["alg","HS256"]`, claims), ErrMalformed},
		{"header null", hmacOnly, nil, rawToken(t, hs, secret, `null`, claims), ErrMalformed},
		{"header trailing data", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}{}`, claims), ErrMalformed},
		{"claims array", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}`, `["sub"]`), ErrMalformed},
		{"claims null", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}`, `null`), ErrMalformed},
		{"claims invalid UTF-8", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}`, "{\"sub\":\"\xff\",\"exp\":9999999999}"), ErrMalformed},

		// repeated member names.
		{"header alg twice", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256","alg":"HS256"}`, claims), ErrDuplicateMember},
		{"header kid twice", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256","kid":"a","typ":"JWT","kid":"b"}`, claims), ErrDuplicateMember},
		{"claims sub twice", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}`, `{"sub":"alice","exp":9999999999,"sub":"admin"}`), ErrDuplicateMember},
		{"claims sub escaped", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}`, `{"sub":"alice","exp":9999999999,"\u0073ub":"admin"}`), ErrDuplicateMember},
		{"claims nested", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}`, `{"exp":9999999999,"roles":[{"a":1,"a":2}]}`), ErrDuplicateMember},

		// signature.
		{"signature of other secret", hmacOnly, nil, sign(t, hs, []byte(strings.Repeat("k", 32)), validClaims(), nil), ErrSignatureInvalid},
		{"signature empty", hmacOnly, nil, valid()[:strings.LastIndexByte(valid(), '.')+1], ErrSignatureInvalid},
		{"signature of other claims", hmacOnly, nil, spliceSignature(valid(), sign(t, hs, secret, with(func(c jwt.MapClaims) { c["sub"] = "admin" }), nil)), ErrSignatureInvalid},

		// claims.
		{"exp missing", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { delete(c, "exp") }), nil), ErrMissingClaim},
		{"expired", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }), nil), ErrTokenExpired},
		{"expired beyond leeway", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-DefaultLeeway - time.Second).Unix() }), nil), ErrTokenExpired},
		{"expired without leeway", hmacOnly, []Option{WithLeeway(0)}, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() }), nil), ErrTokenExpired},
		{"exp zero", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}`, `{"exp":0}`), ErrTokenExpired},
		{"exp string", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["exp"] = "9999999999" }), nil), ErrInvalidClaims},
		{"exp huge", hmacOnly, nil, rawToken(t, hs, secret, `{"alg":"HS256"}`, `{"exp":1e400}`), ErrInvalidClaims},
		{"nbf in the future", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }), nil), ErrTokenNotValidYet},
		{"nbf null", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["nbf"] = nil }), nil), ErrInvalidClaims},
		{"wrong iss", hmacOnly, []Option{WithIssuer("https://a.example", "https://b.example")}, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["iss"] = "https://c.example" }), nil), ErrInvalidIssuer},
		{"iss missing", hmacOnly, []Option{WithIssuer("https://a.example")}, valid(), ErrInvalidIssuer},
		{"iss not a string", hmacOnly, []Option{WithIssuer("https://a.example")}, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["iss"] = []string{"https://a.example"} }), nil), ErrInvalidIssuer},
		{"wrong aud", hmacOnly, []Option{WithAudience("api")}, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["aud"] = []string{"web", "admin"} }), nil), ErrInvalidAudience},
		{"aud missing", hmacOnly, []Option{WithAudience("api")}, valid(), ErrInvalidAudience},
		{"aud empty", hmacOnly, []Option{WithAudience("api")}, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["aud"] = []string{} }), nil), ErrInvalidAudience},
		{"aud not strings", hmacOnly, []Option{WithAudience("api")}, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["aud"] = []any{"api", 1} }), nil), ErrInvalidClaims},
		{"sub not a string", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["sub"] = 42 }), nil), ErrInvalidClaims},
		{"jti not a string", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["jti"] = 42 }), nil), ErrInvalidClaims},
		{"scope a number", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { c["scope"] = 42 }), nil), ErrInvalidClaims},
		{"scp with a number", hmacOnly, nil, sign(t, hs, secret, with(func(c jwt.MapClaims) { delete(c, "scope"); c["scp"] = []any{"a", 1} }), nil), ErrInvalidClaims},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, tt.keys, tt.opts...)
			id, err := verify(v, tt.token)
			if err == nil {
				t.Fatalf("accepted, identity %+v", id)
			}
			checkRejected(t, tt.token, err, tt.want)
		})
	}
}

func insertAt(s string, i int, ins string) string { return s[:i] + ins + s[i:] }

func replaceAt(s string, i int, c byte) string {
	b := []byte(s)
	b[i] = c
	return string(b)
}

// trailingBits sets a non-zero bit in the unused low bits of the signature's
// last character: lenient decoders read the same bytes.
func trailingBits(token string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, token[len(token)-1])
	return token[:len(token)-1] + string(alphabet[last|1])
}

// rawTokenPadded is a valid HS256 token whose header segment keeps its
// base64 padding.
func rawTokenPadded(t *testing.T, secret []byte, claims string) string {
	t.Helper()
	padded := base64.URLEncoding.EncodeToString([]byte(`{"alg":"HS256","x":12}`)) // 22 bytes
	if !strings.HasSuffix(padded, "==") {
		t.Fatalf("%s is not padded", padded)
	}
	input := padded + "." + b64u([]byte(claims))
	sig, err := jwt.SigningMethodHS256.Sign(input, secret)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64u(sig)
}

// spliceSignature puts the signature of other on token.
func spliceSignature(token, other string) string {
	return token[:strings.LastIndexByte(token, '.')] + other[strings.LastIndexByte(other, '.'):]
}

func TestTrailingBitsAreTheOnlyChange(t *testing.T) {
	// The trailing-bits case above must differ only in encoding, or it would
	// prove nothing: a lenient decoder sees the same signature.
	token := sign(t, jwt.SigningMethodHS256, keys(t).secret, validClaims(), nil)
	changed := trailingBits(token)
	if changed == token {
		t.Fatal("trailingBits changed nothing")
	}
	if _, err := jwt.Parse(changed, func(*jwt.Token) (any, error) { return keys(t).secret, nil },
		jwt.WithTimeFunc(fixedClock)); err != nil {
		t.Fatalf("golang-jwt (lenient) rejects it too, so the case proves nothing: %v", err)
	}
}

func TestLeeway(t *testing.T) {
	secret := keys(t).secret
	tests := []struct {
		name   string
		opts   []Option
		claims jwt.MapClaims
		want   error
	}{
		{"expired within default leeway", nil, jwt.MapClaims{"exp": now.Add(-10 * time.Second).Unix()}, nil},
		{"expired beyond default leeway", nil, jwt.MapClaims{"exp": now.Add(-31 * time.Second).Unix()}, ErrTokenExpired},
		{"expired within wider leeway", []Option{WithLeeway(2 * time.Minute)}, jwt.MapClaims{"exp": now.Add(-time.Minute).Unix()}, nil},
		{"nbf within default leeway", nil, jwt.MapClaims{"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(20 * time.Second).Unix()}, nil},
		{"nbf beyond default leeway", nil, jwt.MapClaims{"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(40 * time.Second).Unix()}, ErrTokenNotValidYet},
		{"no leeway", []Option{WithLeeway(0)}, jwt.MapClaims{"exp": now.Add(-time.Second).Unix()}, ErrTokenExpired},
		{"exp not required", []Option{WithoutExpirationRequired()}, jwt.MapClaims{"sub": "a"}, nil},
		{"exp not required but checked", []Option{WithoutExpirationRequired()}, jwt.MapClaims{"exp": now.Add(-time.Hour).Unix()}, ErrTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := sign(t, jwt.SigningMethodHS256, secret, tt.claims, nil)
			_, err := verify(newVerifier(t, []Key{HMAC(secret)}, tt.opts...), token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			checkRejected(t, token, err, tt.want)
		})
	}
}

func TestIssuerAndAudienceAccepted(t *testing.T) {
	secret := keys(t).secret
	v := newVerifier(t, []Key{HMAC(secret)},
		WithIssuer("https://a.example", "https://b.example"), WithAudience("api", "api2"))
	for _, aud := range []any{"api2", []string{"web", "api"}} {
		for _, iss := range []string{"https://a.example", "https://b.example"} {
			c := validClaims()
			c["iss"], c["aud"] = iss, aud
			if _, err := verify(v, sign(t, jwt.SigningMethodHS256, secret, c, nil)); err != nil {
				t.Errorf("iss %s, aud %v: %v", iss, aud, err)
			}
		}
	}
}

// FuzzVerify: whatever the input, Verify does not panic, and every refusal
// is an invalid credential, never a technical failure.
func FuzzVerify(f *testing.F) {
	for _, ex := range rfcExamples {
		f.Add(ex.token)
	}
	f.Add("e30.e30.")
	f.Add(b64u([]byte(`{"alg":"HS256","crit":[]}`)) + ".e30.AAAA")
	keys, err := ParseJWKS([]byte(rfcA1JWKS))
	if err != nil {
		f.Fatal(err)
	}
	more, err := ParseJWKS([]byte(rfcA3JWKS))
	if err != nil {
		f.Fatal(err)
	}
	v, err := New(append(keys, more...), WithClock(func() time.Time { return time.Unix(rfcExp-60, 0) }))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		id, err := verify(v, token)
		if err != nil {
			if !errors.Is(err, authrt.ErrInvalidCredential) {
				t.Fatalf("error %v is not an invalid credential", err)
			}
			return
		}
		if id == nil {
			t.Fatal("nil identity without error")
		}
	})
}

func mustParsePEM(t *testing.T, data []byte) []Key {
	t.Helper()
	keys, err := ParsePEM(data)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestWithTypes: with WithTypes("at+jwt") only access tokens pass (typ with
// or without "application/", any case); a plain JWT or one without typ is
// refused. Bad arguments fail at construction.
func TestWithTypes(t *testing.T) {
	secret := []byte(strings.Repeat("t", 32))
	v := newVerifier(t, []Key{HMAC(secret)}, WithTypes("at+jwt"))
	for typ, ok := range map[any]bool{"at+jwt": true, "application/at+jwt": true, "AT+JWT": true, "JWT": false, nil: false} {
		hdr := map[string]any{"typ": typ}
		if typ == nil {
			hdr = nil
		}
		tok := sign(t, jwt.SigningMethodHS256, secret, validClaims(), hdr)
		if typ == nil {
			// golang-jwt always writes typ JWT; drop it.
			tok = withoutTyp(t, tok, secret)
		}
		_, err := verify(v, tok)
		if ok && err != nil {
			t.Errorf("typ %v: %v", typ, err)
		}
		if !ok {
			checkRejected(t, tok, err, ErrUnsupportedType)
		}
	}
	for _, bad := range [][]string{nil, {"id+jwt"}, {"logout+jwt"}} {
		if _, err := New([]Key{HMAC(secret)}, WithTypes(bad...)); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("WithTypes(%q): %v, want ErrInvalidOption", bad, err)
		}
	}
}

// withoutTyp re-signs tok's claims with a header of alg only.
func withoutTyp(t *testing.T, tok string, secret []byte) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	input := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + parts[1]
	sig, err := jwt.SigningMethodHS256.Sign(input, secret)
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
