package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authgen/authgen/runtime/jwtauth"
)

func TestToken(t *testing.T) {
	dir := t.TempDir()
	secret := strings.Repeat("0123456789abcdef", 4)
	secretFile := filepath.Join(dir, "dev.secret")
	os.WriteFile(secretFile, []byte(secret+"\n"), 0o600)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	keyFile := filepath.Join(dir, "key.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	hmacKey := jwtauth.HMAC([]byte(secret))
	ecKey := jwtauth.PublicKey(&ec.PublicKey, jwtauth.WithKeyID("k1"))

	tests := []struct {
		name   string
		args   []string
		key    jwtauth.Key
		check  func(id map[string]any) error
		header string
	}{
		{
			name: "secret file, every claim",
			args: []string{"--secret-file", secretFile, "--sub", "alice", "--scopes", "chat,models", "--scopes", "admin",
				"--claim", "plan=pro", "--claim", "n=42", "--claim", `tags=["a","b"]`, "--claim", "empty=",
				"--issuer", "https://auth.example.com", "--audience", "https://api.example.com", "--jti", "t-1"},
			key: hmacKey,
			check: func(c map[string]any) error {
				if c["sub"] != "alice" || c["scope"] != "chat models admin" || c["plan"] != "pro" || fmt.Sprint(c["n"]) != "42" ||
					fmt.Sprint(c["tags"]) != "[a b]" || c["empty"] != "" || c["iss"] != "https://auth.example.com" ||
					c["aud"] != "https://api.example.com" || c["jti"] != "t-1" {
					return fmt.Errorf("claims %v", c)
				}
				return nil
			},
		},
		{name: "secret on the command line, HS512 needs 64 bytes", args: []string{"--secret", secret, "--alg", "HS512"}, key: hmacKey},
		{
			name: "key file", args: []string{"--key-file", keyFile, "--kid", "k1", "--audience", "a", "--audience", "b"}, key: ecKey,
			check: func(c map[string]any) error {
				if fmt.Sprint(c["aud"]) != "[a b]" || c["sub"] != "dev-user" || c["jti"] == "" || c["scope"] != nil {
					return fmt.Errorf("claims %v", c)
				}
				return nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, append([]string{"token"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if strings.Contains(out+errs, secret) {
				t.Fatal("the secret was printed")
			}
			v, err := jwtauth.New([]jwtauth.Key{tt.key})
			if err != nil {
				t.Fatal(err)
			}
			id, err := v.Verify(context.Background(), strings.TrimSuffix(out, "\n"))
			if err != nil {
				t.Fatalf("the token does not verify: %v", err)
			}
			if tt.check != nil {
				if err := tt.check(id.Claims); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func TestTokenFromEnvironment(t *testing.T) {
	secret := strings.Repeat("e", 32)
	t.Setenv(tokenSecretEnv, secret)
	code, out, errs := runCLI(t, "token", "--sub", "bob")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	v, _ := jwtauth.New([]jwtauth.Key{jwtauth.HMAC([]byte(secret))})
	if _, err := v.Verify(context.Background(), strings.TrimSpace(out)); err != nil {
		t.Fatal(err)
	}
}

func TestTokenErrors(t *testing.T) {
	dir := t.TempDir()
	weak := "short-secret-do-not-print"
	tests := []struct {
		name     string
		args     []string
		contains string
	}{
		{"no key", nil, "exactly one of"},
		{"two keys", []string{"--secret", strings.Repeat("x", 32), "--key-file", "k.pem"}, "exactly one of"},
		{"weak secret", []string{"--secret", weak}, "too weak"},
		{"missing key file", []string{"--key-file", filepath.Join(dir, "none.pem")}, "no such file"},
		{"key file without a key", []string{"--key-file", writeTestFile(t, dir, "x.pem", "hello")}, "no private key"},
		{"bad claim", []string{"--secret", strings.Repeat("x", 32), "--claim", "novalue"}, "NAME=VALUE"},
		{"reserved claim", []string{"--secret", strings.Repeat("x", 32), "--claim", "exp=1"}, "own flag"},
		{"duplicate claim", []string{"--secret", strings.Repeat("x", 32), "--claim", "a=1", "--claim", "a=2"}, "twice"},
		{"bad ttl", []string{"--secret", strings.Repeat("x", 32), "--ttl", "-1h"}, "positive"},
		{"ttl of centuries", []string{"--secret", strings.Repeat("x", 32), "--ttl", "2000000h"}, "at most 720h"},
		{"wrong algorithm", []string{"--secret", strings.Repeat("x", 32), "--alg", "ES256"}, "invalid signing key"},
		{"two arguments", []string{"--secret", strings.Repeat("x", 32), "a.yaml", "b.yaml"}, "takes at most one SPEC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, append([]string{"token"}, tt.args...)...)
			if code != 2 || out != "" || !strings.Contains(errs, tt.contains) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errs, tt.contains)
			}
			if strings.Contains(errs, weak) {
				t.Error("the secret was printed")
			}
		})
	}
	if code, _, errs := runCLI(t, "token", "--help"); code != 0 || !strings.Contains(errs, "--key-file") {
		t.Errorf("--help: exit %d, %q", code, errs)
	}
}

func writeTestFile(t *testing.T, dir, name, content string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTokenForSpecScheme: with a SPEC, the token is for one of its bearer
// schemes, and scopes are checked against it.
func TestTokenForSpecScheme(t *testing.T) {
	secret := strings.Repeat("0123456789abcdef", 2)
	petstore := filepath.Join("..", "..", "testdata", "golden", "petstore-all-kinds", "openapi.yaml")
	aichat := filepath.Join("..", "..", "examples", "aichat", "openapi.yaml")
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"--secret", secret, "--scheme", "oauth", petstore, "--scopes", "pets:read,pets:write"}, 0, "eyJ"},
		{[]string{"--secret", secret, aichat, "--scopes", "ai.chat.generate"}, 0, "eyJ"},
		{[]string{"--secret", secret, "--scheme", "oauth", petstore, "--scopes", "pets:wrte"}, 2, `scope "pets:wrte" is neither declared`},
		{[]string{"--secret", secret, "--scheme", "petKey", petstore}, 2, "not a bearer token scheme"},
		{[]string{"--secret", secret, "--scheme", "nope", petstore}, 2, `no security scheme "nope"`},
		{[]string{"--secret", secret, petstore}, 2, "3 bearer schemes (jwt, oauth, oidc)"},
		{[]string{"--secret", secret, "--scheme", "oauth"}, 2, "--scheme needs"},
		{[]string{"--secret", secret, filepath.Join(t.TempDir(), "missing.yaml")}, 1, "missing.yaml"},
	}
	for _, tc := range tests {
		code, out, errs := runCLI(t, append([]string{"token"}, tc.args...)...)
		if code != tc.code || !strings.Contains(out+errs, tc.contains) {
			t.Errorf("token %v: exit %d, %q; want %d containing %q", tc.args, code, out+errs, tc.code, tc.contains)
		}
		if strings.Contains(errs, secret) {
			t.Errorf("token %v: the secret is on stderr", tc.args)
		}
	}
}
