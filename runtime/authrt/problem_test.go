package authrt

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

type problemJSON struct {
	Type           string   `json:"type"`
	Title          string   `json:"title"`
	Status         int      `json:"status"`
	Detail         string   `json:"detail"`
	Error          string   `json:"error"`
	RequiredScopes []string `json:"required_scopes"`
	Allow          []string `json:"allow"`
}

func TestWriteProblem(t *testing.T) {
	tests := []struct {
		name   string
		method string
		d      Denial
		header map[string][]string
		body   problemJSON
	}{
		{
			name:   "401 with challenges in order",
			method: "GET",
			d: Denial{Status: 401, Operation: "op", Code: CodeInvalidToken, Detail: "the token is expired",
				Challenges: []string{`Bearer realm="x", error="invalid_token"`, `APIKey realm="x", in="header", name="X-API-Key"`},
				Cause:      errors.New("secret-token-abc expired")},
			header: map[string][]string{
				"Www-Authenticate": {`Bearer realm="x", error="invalid_token"`, `APIKey realm="x", in="header", name="X-API-Key"`},
			},
			body: problemJSON{Type: "about:blank", Title: "Unauthorized", Status: 401, Detail: "the token is expired", Error: "invalid_token"},
		},
		{
			name:   "403 with scopes",
			method: "POST",
			d:      Denial{Status: 403, Code: CodeInsufficientScope, Detail: "d", Scopes: []Scope{"admin", "write"}},
			body:   problemJSON{Type: "about:blank", Title: "Forbidden", Status: 403, Detail: "d", Error: "insufficient_scope", RequiredScopes: []string{"admin", "write"}},
		},
		{
			name:   "405 with Allow",
			method: "PATCH",
			d:      Denial{Status: 405, Detail: "d", Allow: []string{"DELETE", "GET", "HEAD"}},
			header: map[string][]string{"Allow": {"DELETE, GET, HEAD"}},
			body:   problemJSON{Type: "about:blank", Title: "Method Not Allowed", Status: 405, Detail: "d", Allow: []string{"DELETE", "GET", "HEAD"}},
		},
		{
			name:   "503 with Retry-After",
			method: "GET",
			d:      Denial{Status: 503, Detail: "d", RetryAfter: 5, Cause: errors.New("redis: dial tcp 10.0.0.1:6379")},
			header: map[string][]string{"Retry-After": {"5"}},
			body:   problemJSON{Type: "about:blank", Title: "Service Unavailable", Status: 503, Detail: "d"},
		},
		{
			name:   "400 minimal",
			method: "GET",
			d:      Denial{Status: 400},
			body:   problemJSON{Type: "about:blank", Title: "Bad Request", Status: 400},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteProblem(rec, newRequest(tt.method, "/"), &tt.d)
			if rec.Code != tt.d.Status {
				t.Errorf("status %d, want %d", rec.Code, tt.d.Status)
			}
			h := rec.Header()
			for k, want := range map[string]string{
				"Content-Type":           "application/problem+json",
				"Cache-Control":          "no-store",
				"X-Content-Type-Options": "nosniff",
			} {
				if got := h.Values(k); len(got) != 1 || got[0] != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"Www-Authenticate", "Allow", "Retry-After"} {
				if got, want := h.Values(k), tt.header[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			raw := rec.Body.String()
			if tt.d.Cause != nil && strings.Contains(raw, tt.d.Cause.Error()) {
				t.Errorf("body leaks the cause: %s", raw)
			}
			if !strings.HasSuffix(raw, "}\n") {
				t.Errorf("body not newline-terminated: %q", raw)
			}
			var got problemJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", raw, err)
			}
			if !reflect.DeepEqual(got, tt.body) {
				t.Errorf("body\n got %+v\nwant %+v", got, tt.body)
			}
		})
	}
}

func TestWriteProblemHEAD(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteProblem(rec, newRequest(http.MethodHead, "/"), &Denial{Status: 401, Detail: "d", Challenges: []string{`Bearer realm="x"`}})
	if rec.Code != 401 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d body bytes, want 401 and none", rec.Code, rec.Body.Len())
	}
	if rec.Header().Get("WWW-Authenticate") != `Bearer realm="x"` || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("HEAD lost its headers: %v", rec.Header())
	}
}

func TestChallenge(t *testing.T) {
	tests := []struct {
		scheme string
		params []string
		want   string
	}{
		{"Bearer", nil, "Bearer"},
		{"Bearer", []string{"realm", "api"}, `Bearer realm="api"`},
		{"Bearer", []string{"realm", "api", "error", "invalid_token"}, `Bearer realm="api", error="invalid_token"`},
		{"Bearer", []string{"realm", "", "error", "invalid_token"}, `Bearer error="invalid_token"`}, // empty values left out
		{"Bearer", []string{"realm", "api", "odd"}, `Bearer realm="api"`},                           // unpaired name ignored
		{"Bearer", []string{"realm", `say "hi"`}, `Bearer realm="say \"hi\""`},
		{"Bearer", []string{"realm", `C:\path\`}, `Bearer realm="C:\\path\\"`},
		{"Bearer", []string{"realm", "a\r\nSet-Cookie: x=1"}, `Bearer realm="aSet-Cookie: x=1"`},
		{"Bearer", []string{"realm", "nul\x00bell\x07del\x7fesc\x1b"}, `Bearer realm="nulbelldelesc"`},
		{"Bearer", []string{"realm", "tab\tkept"}, "Bearer realm=\"tab\tkept\""},
		{"Bearer", []string{"realm", "café"}, `Bearer realm="café"`},
	}
	for _, tt := range tests {
		if got := challenge(tt.scheme, tt.params...); got != tt.want {
			t.Errorf("challenge(%q, %q) = %q, want %q", tt.scheme, tt.params, got, tt.want)
		}
	}
}

// TestRejectReasonIsQuoted: a verifier's reason ends up in a header; it
// cannot break out of its quoted-string or the header.
func TestRejectReasonIsQuoted(t *testing.T) {
	spec := &Spec{Schemes: []Scheme{{Name: "b", Type: HTTPBearer}},
		Operations: []Operation{{ID: "op", Method: "GET", Path: "/", Security: []Alternative{{req(0)}}}}}
	v := VerifierFunc(func(_ context.Context, _ string) (*Identity, error) {
		return nil, Reject("bad\" \\ \r\nX-Evil: 1")
	})
	g := mustGuard(t, spec, []Verifier{v}, Options{Realm: "r"})
	_, d := g.Authorize(0, newRequest("GET", "/", "Authorization", "Bearer t"))
	want := `Bearer realm="r", error="invalid_token", error_description="bad\" \\ X-Evil: 1"`
	if d == nil || len(d.Challenges) != 1 || d.Challenges[0] != want {
		t.Fatalf("challenge %q, want %q", d.Challenges, want)
	}
	rec := httptest.NewRecorder()
	WriteProblem(rec, newRequest("GET", "/"), d)
	if rec.Header().Get("X-Evil") != "" {
		t.Errorf("header injected")
	}
}

func TestPublicReason(t *testing.T) {
	if got := PublicReason(Reject("expired")); got != "expired" {
		t.Errorf("Reject: %q", got)
	}
	cause := errors.New("sig mismatch with key 123")
	err := Rejectf("bad signature", cause)
	if got := PublicReason(err); got != "bad signature" {
		t.Errorf("Rejectf: %q", got)
	}
	if !errors.Is(err, ErrInvalidCredential) || !errors.Is(err, cause) {
		t.Errorf("Rejectf does not wrap both ErrInvalidCredential and its cause")
	}
	if got := PublicReason(errors.New("secret detail")); got != "the credential is not valid" {
		t.Errorf("other error: %q", got)
	}
}
