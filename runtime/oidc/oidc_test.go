package oidc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/internal/idptest"
	"github.com/authgen/authgen/runtime/jwks"
	"github.com/authgen/authgen/runtime/jwtauth"
)

const audience = "https://api.example.com"

var quiet = jwks.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

func claims(iss, aud string) jwt.MapClaims {
	return jwt.MapClaims{"iss": iss, "aud": aud, "sub": "alice", "exp": time.Now().Add(time.Hour).Unix()}
}

func TestNewVerifier(t *testing.T) {
	idp := idptest.New(t)
	idp.AddKey("k1", "RS256")
	v, err := NewVerifier(context.Background(), idp.DiscoveryURL(), WithAudience(audience), WithJWKSOptions(quiet),
		WithVerifierOptions(jwtauth.WithCache(16, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tests := []struct {
		name    string
		token   string
		wantErr error
	}{
		{"valid", idp.Sign(t, "k1", claims(idp.Issuer(), audience)), nil},
		{"issuer with a trailing slash is another issuer", idp.Sign(t, "k1", claims(idp.Issuer()+"/", audience)), jwtauth.ErrInvalidIssuer},
		{"other issuer", idp.Sign(t, "k1", claims("https://evil.example.com", audience)), jwtauth.ErrInvalidIssuer},
		{"other audience", idp.Sign(t, "k1", claims(idp.Issuer(), "https://other.example.com")), jwtauth.ErrInvalidAudience},
		{"unknown key", idp.Sign(t, "nope", claims(idp.Issuer(), audience)), jwtauth.ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tt.token)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify: %v, want %v", err, tt.wantErr)
			}
			if err == nil && id.Subject != "alice" {
				t.Errorf("subject %q", id.Subject)
			}
		})
	}
	if n := idp.DiscoveryHits.Load(); n != 1 {
		t.Errorf("discovery fetched %d times, want once", n)
	}
}

func TestNewVerifierFails(t *testing.T) {
	idp := idptest.New(t)
	idp.AddKey("k1", "ES256")
	tests := []struct {
		name string
		doc  map[string]any
		url  string
		opts []Option
		want error
	}{
		{name: "no audience", opts: []Option{}, want: ErrNoAudience},
		{name: "empty audience", opts: []Option{WithAudience("")}, want: ErrInvalidOption},
		{name: "issuer mismatch", doc: map[string]any{"issuer": "https://evil.example.com", "jwks_uri": idp.JWKSURL()}, want: ErrIssuerMismatch},
		{name: "no jwks_uri", doc: map[string]any{"issuer": idp.Issuer()}, want: ErrDiscovery},
		{name: "insecure jwks_uri", doc: map[string]any{"issuer": idp.Issuer(), "jwks_uri": "http://idp.example.com/jwks"}, want: jwks.ErrInsecureURL},
		{name: "not JSON", doc: map[string]any{"issuer": []int{1}}, want: ErrDiscovery},
		{name: "insecure discovery URL", url: "http://idp.example.com/.well-known/openid-configuration", want: jwks.ErrInsecureURL},
		{name: "URL of no known form", url: idp.Issuer() + "/discovery", want: ErrDiscovery},
		{name: "not found", url: idp.Issuer() + "/x/.well-known/openid-configuration", want: ErrDiscovery},
		{name: "nil option", opts: []Option{nil}, want: ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp.SetDiscovery(tt.doc)
			u := tt.url
			if u == "" {
				u = idp.DiscoveryURL()
			}
			opts := tt.opts
			if opts == nil {
				opts = []Option{WithAudience(audience)}
			}
			v, err := NewVerifier(context.Background(), u, append(opts, WithJWKSOptions(quiet))...)
			if err == nil {
				v.Close()
				t.Fatal("NewVerifier succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("NewVerifier: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWithIssuerOverride(t *testing.T) {
	idp := idptest.New(t)
	idp.AddKey("k1", "EdDSA")
	const iss = "https://login.example.com/tenant-id/v2.0/"
	idp.SetDiscovery(map[string]any{"issuer": iss, "jwks_uri": idp.JWKSURL()})
	if _, err := Discover(context.Background(), idp.DiscoveryURL()); !errors.Is(err, ErrIssuerMismatch) {
		t.Fatalf("Discover without WithIssuer: %v, want ErrIssuerMismatch", err)
	}
	v, err := NewVerifier(context.Background(), idp.DiscoveryURL(), WithIssuer(iss), WithAnyAudience(), WithJWKSOptions(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := v.Verify(context.Background(), idp.Sign(t, "k1", claims(iss, "anyone"))); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestDiscoveryOutage(t *testing.T) {
	idp := idptest.New(t)
	idp.Fail(http.StatusServiceUnavailable)
	if _, err := Discover(context.Background(), idp.DiscoveryURL()); !errors.Is(err, ErrDiscovery) {
		t.Fatalf("Discover of a provider that is down: %v", err)
	}
	idp.Fail(0)
	idp.SetDiscovery(map[string]any{"issuer": idp.Issuer(), "jwks_uri": idp.JWKSURL(), "pad": strings.Repeat("x", MaxDocumentSize)})
	if _, err := Discover(context.Background(), idp.DiscoveryURL()); !errors.Is(err, jwks.ErrTooLarge) {
		t.Fatalf("Discover of an oversize document: %v", err)
	}
}

func TestExpectedIssuer(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://idp.example.com/.well-known/openid-configuration", "https://idp.example.com"},
		{"https://idp.example.com/realms/main/.well-known/openid-configuration", "https://idp.example.com/realms/main"},
		{"https://idp.example.com/.well-known/oauth-authorization-server", "https://idp.example.com"},
		{"https://idp.example.com/.well-known/oauth-authorization-server/tenant", "https://idp.example.com/tenant"},
		{"https://idp.example.com/.well-known/oauth-authorization-serverx", ""},
		{"https://idp.example.com/openid-configuration", ""},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		if got := expectedIssuer(u); got != tt.want {
			t.Errorf("expectedIssuer(%s) = %q, want %q", tt.url, got, tt.want)
		}
	}
}
