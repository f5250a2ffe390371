package jwtauth

import (
	"bytes"
	"testing"
	"time"
)

// The examples of RFC 7515 Appendix A.1 (HS256), A.2 (RS256) and A.3
// (ES256): the same claims, {"iss":"joe",\r\n "exp":1300819380,\r\n
// "http://example.com/is_root":true}, under the keys the RFC gives as JWKs.
const (
	rfcPayload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"

	rfcA1Token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + rfcPayload +
		".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	rfcA1JWKS = `{"keys":[{"kty":"oct",
		"k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]}`

	rfcA2Token = "eyJhbGciOiJSUzI1NiJ9." + rfcPayload +
		".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7" +
		"AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4" +
		"BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K" +
		"0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv" +
		"hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB" +
		"p0igcN_IoypGlUPQGe77Rw"
	rfcA2JWKS = `{"keys":[{"kty":"RSA",
		"n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
		"e":"AQAB"}]}`

	rfcA3Token = "eyJhbGciOiJFUzI1NiJ9." + rfcPayload +
		".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
	rfcA3JWKS = `{"keys":[{"kty":"EC","crv":"P-256",
		"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
		"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`

	rfcExp = 1300819380
)

var rfcExamples = []struct {
	name, token, jwks string
}{
	{"A.1 HS256", rfcA1Token, rfcA1JWKS},
	{"A.2 RS256", rfcA2Token, rfcA2JWKS},
	{"A.3 ES256", rfcA3Token, rfcA3JWKS},
}

// rfcVerifier verifies with the example's key, an hour before its exp.
func rfcVerifier(t *testing.T, jwks string) *Verifier {
	t.Helper()
	keys, err := ParseJWKS([]byte(jwks))
	if err != nil {
		t.Fatalf("ParseJWKS: %v", err)
	}
	v, err := New(keys, WithIssuer("joe"), WithClock(func() time.Time { return time.Unix(rfcExp-3600, 0) }))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func TestRFC7515ExamplesAccepted(t *testing.T) {
	for _, ex := range rfcExamples {
		t.Run(ex.name, func(t *testing.T) {
			id, err := verify(rfcVerifier(t, ex.jwks), ex.token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got := id.Claims["iss"]; got != "joe" {
				t.Errorf("iss = %v, want joe", got)
			}
			if got := id.Claims["http://example.com/is_root"]; got != true {
				t.Errorf("is_root = %v, want true", got)
			}
			if !id.ExpiresAt.Equal(time.Unix(rfcExp, 0)) {
				t.Errorf("ExpiresAt = %v, want %v", id.ExpiresAt, time.Unix(rfcExp, 0))
			}
			want := []byte("{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}")
			if !bytes.Equal(id.RawClaims, want) {
				t.Errorf("RawClaims = %q, want %q", id.RawClaims, want)
			}
		})
	}
}

func TestRFC7515ExamplesExpire(t *testing.T) {
	for _, ex := range rfcExamples {
		t.Run(ex.name, func(t *testing.T) {
			keys, err := ParseJWKS([]byte(ex.jwks))
			if err != nil {
				t.Fatal(err)
			}
			v, err := New(keys, WithClock(func() time.Time { return time.Unix(rfcExp+31, 0) }))
			if err != nil {
				t.Fatal(err)
			}
			_, err = verify(v, ex.token)
			checkRejected(t, ex.token, err, ErrTokenExpired)
		})
	}
}

// TestRFC7515ExamplesOneByteChange changes one byte of the decoded header,
// claims or signature, keeping everything else well-formed, so that the
// signature (or, for A.3's header, the algorithm) is what refuses it.
func TestRFC7515ExamplesOneByteChange(t *testing.T) {
	tests := []struct {
		name    string
		example int
		segment int // 0 header, 1 claims, 2 signature
		from    string
		to      string
		want    error
	}{
		{"A.1 header whitespace", 0, 0, "\r\n", "\n\n", ErrSignatureInvalid},
		{"A.1 claims", 0, 1, `"joe"`, `"jof"`, ErrSignatureInvalid},
		{"A.1 signature", 0, 2, "", "", ErrSignatureInvalid},
		{"A.2 header RS256 to PS256", 1, 0, "RS256", "PS256", ErrSignatureInvalid},
		{"A.2 claims", 1, 1, "true", "trUe", nil}, // no longer JSON: rejected all the same
		{"A.2 claims exp", 1, 1, "1300819380", "1300819381", ErrSignatureInvalid},
		{"A.2 signature", 1, 2, "", "", ErrSignatureInvalid},
		{"A.3 header ES256 to ES384", 2, 0, "ES256", "ES384", ErrUnsupportedAlgorithm},
		{"A.3 claims", 2, 1, "is_root", "is_rooT", ErrSignatureInvalid},
		{"A.3 signature", 2, 2, "", "", ErrSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := rfcExamples[tt.example]
			parts := bytes.Split([]byte(ex.token), []byte("."))
			seg, err := decodeSegment(string(parts[tt.segment]))
			if err != nil {
				t.Fatal(err)
			}
			if tt.from == "" {
				seg[len(seg)/2] ^= 0x01
			} else {
				changed := bytes.Replace(seg, []byte(tt.from), []byte(tt.to), 1)
				if bytes.Equal(changed, seg) || len(changed) != len(seg) {
					t.Fatalf("%q not found", tt.from)
				}
				seg = changed
			}
			parts[tt.segment] = []byte(b64u(seg))
			token := string(bytes.Join(parts, []byte(".")))
			_, err = verify(rfcVerifier(t, ex.jwks), token)
			checkRejected(t, token, err, tt.want)
		})
	}
}

// TestRFC7515ExamplesEveryCharacter changes each character of each example
// token in turn: every change must be refused.
func TestRFC7515ExamplesEveryCharacter(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for _, ex := range rfcExamples {
		t.Run(ex.name, func(t *testing.T) {
			v := rfcVerifier(t, ex.jwks)
			for i := 0; i < len(ex.token); i++ {
				b := []byte(ex.token)
				if b[i] == '.' {
					continue
				}
				b[i] = alphabet[(bytes.IndexByte([]byte(alphabet), b[i])+1)%len(alphabet)]
				if _, err := verify(v, string(b)); err == nil {
					t.Errorf("token with character %d changed accepted", i)
				}
			}
		})
	}
}
