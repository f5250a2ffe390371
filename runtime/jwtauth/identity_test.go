package jwtauth

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestIdentity(t *testing.T) {
	secret := keys(t).secret
	exp := now.Add(time.Hour).Unix()
	tests := []struct {
		name       string
		opts       []Option
		claims     jwt.MapClaims
		wantSub    string
		wantScopes []string
	}{
		{"scope string", nil, jwt.MapClaims{"sub": "u", "scope": "read  write admin"}, "u", []string{"read", "write", "admin"}},
		{"scp array", nil, jwt.MapClaims{"scp": []string{"read", "write"}}, "", []string{"read", "write"}},
		{"scp string", nil, jwt.MapClaims{"scp": "read write"}, "", []string{"read", "write"}},
		{"scope wins over scp", nil, jwt.MapClaims{"scope": "a", "scp": []string{"b"}}, "", []string{"a"}},
		{"empty scope", nil, jwt.MapClaims{"scope": ""}, "", []string{}},
		{"no scope", nil, jwt.MapClaims{}, "", nil},
		{"custom scope claim", []Option{WithScopeClaim("permissions")}, jwt.MapClaims{"scope": "a", "permissions": []string{"p:1"}}, "", []string{"p:1"}},
		{"custom subject claim", []Option{WithSubjectClaim("oid")}, jwt.MapClaims{"sub": "pairwise", "oid": "object-1"}, "object-1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.claims["exp"] = exp
			tt.claims["jti"] = "id-7"
			tt.claims["n"] = json.Number("12345678901234567890") // beyond float64 precision
			token := sign(t, jwt.SigningMethodHS256, secret, tt.claims, nil)
			id, err := verify(newVerifier(t, []Key{HMAC(secret)}, tt.opts...), token)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.Subject != tt.wantSub {
				t.Errorf("Subject = %q, want %q", id.Subject, tt.wantSub)
			}
			if !slices.Equal(id.Scopes, tt.wantScopes) || (id.Scopes == nil) != (tt.wantScopes == nil) {
				t.Errorf("Scopes = %#v, want %#v", id.Scopes, tt.wantScopes)
			}
			if id.KeyID != "id-7" {
				t.Errorf("KeyID = %q, want the jti", id.KeyID)
			}
			if !id.ExpiresAt.Equal(time.Unix(exp, 0)) {
				t.Errorf("ExpiresAt = %v", id.ExpiresAt)
			}
			if got := id.Claims["n"]; got != json.Number("12345678901234567890") {
				t.Errorf("claim n = %#v, want the exact json.Number", got)
			}
			var raw map[string]any
			if err := json.Unmarshal(id.RawClaims, &raw); err != nil || raw["jti"] != "id-7" {
				t.Errorf("RawClaims = %s (%v)", id.RawClaims, err)
			}
		})
	}
}

func TestNoExpirationIdentity(t *testing.T) {
	secret := keys(t).secret
	token := sign(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"sub": "svc"}, nil)
	id, err := verify(newVerifier(t, []Key{HMAC(secret)}, WithoutExpirationRequired()), token)
	if err != nil {
		t.Fatal(err)
	}
	if !id.ExpiresAt.IsZero() {
		t.Errorf("ExpiresAt = %v, want zero", id.ExpiresAt)
	}
}

// TestAcceptedTypes: typ is optional; JWT and at+jwt pass in any casing.
func TestAcceptedTypes(t *testing.T) {
	secret := keys(t).secret
	v := newVerifier(t, []Key{HMAC(secret)})
	for _, typ := range []any{nil, "JWT", "jwt", "at+jwt", "AT+JWT", "application/at+jwt"} {
		h := map[string]any{"typ": typ}
		if typ == nil {
			h = nil
		}
		tok := sign(t, jwt.SigningMethodHS256, secret, validClaims(), h)
		if typ == nil {
			tok = rawToken(t, jwt.SigningMethodHS256, secret, `{"alg":"HS256"}`, claimsJSON(t, validClaims()))
		}
		if _, err := verify(v, tok); err != nil {
			t.Errorf("typ %v: %v", typ, err)
		}
	}
}
