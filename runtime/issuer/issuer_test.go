package issuer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func newTestIssuer(t *testing.T, opts ...Option) *Issuer {
	t.Helper()
	signer, err := NewSigner(rsaKey(), SignWithKeyID("k1"))
	if err != nil {
		t.Fatal(err)
	}
	i, err := New(signer, NewMemoryStore(), append([]Option{WithIssuer("https://auth.example.com")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestNewOptions(t *testing.T) {
	signer, _ := NewSigner(rsaKey())
	store := NewMemoryStore()
	iss := WithIssuer("https://auth.example.com")
	tests := []struct {
		name   string
		signer *Signer
		store  Store
		opts   []Option
	}{
		{"no issuer", signer, store, nil},
		{"nil signer", nil, store, []Option{iss}},
		{"nil store", signer, nil, []Option{iss}},
		{"nil option", signer, store, []Option{iss, nil}},
		{"empty issuer", signer, store, []Option{WithIssuer("")}},
		{"empty audience", signer, store, []Option{iss, WithAudience("")}},
		{"no audience", signer, store, []Option{iss, WithAudience()}},
		{"long access TTL", signer, store, []Option{iss, WithAccessTTL(48 * time.Hour)}},
		{"refresh outlives session", signer, store, []Option{iss, WithRefreshTTL(48*time.Hour, 24*time.Hour)}},
		{"tiny refresh TTL", signer, store, []Option{iss, WithRefreshTTL(time.Second, time.Hour)}},
		{"nil revoker", signer, store, []Option{iss, WithRevoker(nil)}},
		{"nil clock", signer, store, []Option{iss, WithClock(nil)}},
	}
	for _, tt := range tests {
		if _, err := New(tt.signer, tt.store, tt.opts...); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s: %v, want ErrInvalidOption", tt.name, err)
		}
	}
}

func TestIssueClaims(t *testing.T) {
	i := newTestIssuer(t, WithAudience("https://api.example.com", "https://chat.example.com"))
	tests := []struct {
		name    string
		subject string
		scopes  []string
		claims  map[string]any
		wantErr bool
	}{
		{name: "plain", subject: "alice", scopes: []string{"chat", "models:list"}, claims: map[string]any{"plan": "pro", "n": 12345678901234567}},
		{name: "no subject", wantErr: true},
		{name: "scope with space", subject: "a", scopes: []string{"a b"}, wantErr: true},
		{name: "empty scope", subject: "a", scopes: []string{""}, wantErr: true},
		{name: "reserved claim", subject: "a", claims: map[string]any{"exp": 1}, wantErr: true},
		{name: "sid is reserved", subject: "a", claims: map[string]any{"sid": "x"}, wantErr: true},
		{name: "unencodable claim", subject: "a", claims: map[string]any{"f": func() {}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := i.Issue(context.Background(), tt.subject, tt.scopes, tt.claims)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidClaims) {
					t.Fatalf("Issue: %v, want ErrInvalidClaims", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			v, err := i.Verifier()
			if err != nil {
				t.Fatal(err)
			}
			id, err := v.Verify(context.Background(), tok.AccessToken)
			if err != nil {
				t.Fatal(err)
			}
			if id.Subject != "alice" || !id.HasScope("models:list") || id.Claims["plan"] != "pro" ||
				fmt.Sprint(id.Claims["n"]) != "12345678901234567" || id.Claims["sid"] != tok.SessionID {
				t.Errorf("claims %v", id.Claims)
			}
			header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[0])
			var h map[string]string
			json.Unmarshal(header, &h)
			if h["typ"] != "at+jwt" || h["kid"] != "k1" || h["alg"] != "RS256" {
				t.Errorf("header %s", header)
			}
			if tok.TokenType != "Bearer" || tok.ExpiresIn != int64(DefaultAccessTTL/time.Second) || tok.Scope != "chat models:list" {
				t.Errorf("tokens %+v", tok)
			}
		})
	}
}

func TestTokensHideSecrets(t *testing.T) {
	tok, err := newTestIssuer(t).Issue(context.Background(), "alice", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("login", "tokens", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", *tok), fmt.Sprintf("%#v", *tok), logged.String()} {
		if strings.Contains(s, tok.RefreshToken) || strings.Contains(s, strings.Split(tok.AccessToken, ".")[2]) {
			t.Errorf("a token leaks into %q", s)
		}
	}
	data, _ := json.Marshal(tok)
	if !strings.Contains(string(data), tok.RefreshToken) || !strings.Contains(string(data), `"token_type":"Bearer"`) {
		t.Errorf("the JSON token response lacks the tokens: %s", data)
	}
}

// TestVerifierWantsAccessTokens: another JWT the issuer's signer made
// (Signer.Sign writes typ JWT), with the right iss and a live exp, is no
// access token: the issuer's Verifier refuses it (RFC 9068 section 4).
func TestVerifierWantsAccessTokens(t *testing.T) {
	i := newTestIssuer(t)
	v, err := i.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	other, err := i.signer.Sign(map[string]any{"iss": "https://auth.example.com", "sub": "alice",
		"exp": time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), other); err == nil {
		t.Error("a JWT of typ JWT from the same signer passed as an access token")
	}
	tok, err := i.Issue(context.Background(), "alice", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok.AccessToken); err != nil {
		t.Errorf("the issuer's own access token: %v", err)
	}
}
