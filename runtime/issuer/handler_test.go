package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/jwks"
	"github.com/authgen/authgen/runtime/jwtauth"
)

// TestJWKSHandlerServesVerifiers: another service verifies the issuer's
// tokens from its published JWK Set.
func TestJWKSHandlerServesVerifiers(t *testing.T) {
	i := newTestIssuer(t)
	h, err := i.JWKSHandler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	src, err := jwks.New(context.Background(), srv.URL, jwks.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	v, err := jwtauth.NewFromSource(src, jwtauth.WithIssuer("https://auth.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := i.Issue(context.Background(), "alice", nil, nil)
	if _, err := v.Verify(context.Background(), tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	hmac, _ := NewSigner([]byte(strings.Repeat("k", 32)))
	hi, _ := New(hmac, NewMemoryStore(), WithIssuer("x"))
	if _, err := hi.JWKSHandler(); !errors.Is(err, jwtauth.ErrInvalidKey) {
		t.Errorf("JWKSHandler of an HMAC issuer: %v, want ErrInvalidKey", err)
	}
}

func TestRefreshHandler(t *testing.T) {
	i := newTestIssuer(t)
	tok, _ := i.Issue(context.Background(), "alice", []string{"chat"}, nil)
	h := i.RefreshHandler()
	post := func(form string) (*httptest.ResponseRecorder, map[string]any) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var body map[string]any
		json.Unmarshal(w.Body.Bytes(), &body)
		return w, body
	}
	grant := "grant_type=refresh_token&refresh_token=" + url.QueryEscape(tok.RefreshToken)
	w, body := post(grant)
	if w.Code != http.StatusOK || body["refresh_token"] == nil || body["access_token"] == nil || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("refresh: %d %v", w.Code, body)
	}
	tests := []struct {
		name, form, wantErr string
		wantStatus          int
	}{
		{"reused", grant, "invalid_grant", 400},
		{"wrong grant", "grant_type=password&username=a", "unsupported_grant_type", 400},
		{"no token", "grant_type=refresh_token", "invalid_request", 400},
		{"repeated grant", "grant_type=refresh_token&grant_type=refresh_token&refresh_token=x", "invalid_request", 400},
		{"garbage token", "grant_type=refresh_token&refresh_token=x", "invalid_grant", 400},
		{"huge body", "grant_type=refresh_token&refresh_token=" + strings.Repeat("x", 10000), "invalid_request", 400},
	}
	for _, tt := range tests {
		w, body := post(tt.form)
		if w.Code != tt.wantStatus || body["error"] != tt.wantErr {
			t.Errorf("%s: %d %v, want %d %s", tt.name, w.Code, body, tt.wantStatus, tt.wantErr)
		}
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/token", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
}

// downStore is a Store that cannot be reached.
type downStore struct{ *MemoryStore }

func (*downStore) Rotate(context.Context, Hash, Hash, time.Time, AccessRef, time.Time) (*Session, []AccessRef, error) {
	return nil, nil, errors.New("connection refused")
}

func TestRefreshHandlerStoreDown(t *testing.T) {
	signer, _ := NewSigner(rsaKey())
	i, err := New(signer, &downStore{NewMemoryStore()}, WithIssuer("https://auth.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := i.Issue(context.Background(), "alice", nil, nil)
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("grant_type=refresh_token&refresh_token="+url.QueryEscape(tok.RefreshToken)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	i.RefreshHandler().ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || strings.Contains(w.Body.String(), "refused") {
		t.Errorf("store down: %d %s", w.Code, w.Body)
	}
}
