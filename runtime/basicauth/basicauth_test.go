package basicauth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authgen/authgen/runtime/authrt"
)

func TestTable(t *testing.T) {
	hash, err := hashWith("s3cret:with:colons", []byte("0123456789abcdef"), minIterations)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := NewTable(User{Name: "alice", PasswordHash: hash, Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := tab.Verify(context.Background(), "alice:s3cret:with:colons")
	if err != nil || id.Subject != "alice" || id.Scopes[0] != "read" {
		t.Fatalf("valid credentials: %v %+v", err, id)
	}
	for _, cred := range []string{"alice:wrong", "bob:s3cret:with:colons", "alice:", ":pw", "nocolon"} {
		_, err := tab.Verify(context.Background(), cred)
		if !errors.Is(err, authrt.ErrInvalidCredential) {
			t.Errorf("%q: err %v, want a rejection", cred, err)
		}
		if err != nil && strings.Contains(err.Error()+authrt.PublicReason(err), "s3cret") {
			t.Errorf("%q: error leaks the password", cred)
		}
	}
}

func TestHashPasswordRoundTrip(t *testing.T) {
	hash, err := HashPassword("pw")
	if err != nil || !strings.HasPrefix(hash, "pbkdf2-sha256$600000$") {
		t.Fatalf("%q %v", hash, err)
	}
	tab, err := NewTable(User{Name: "u", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Verify(context.Background(), "u:pw"); err != nil {
		t.Fatal(err)
	}
}

func TestNewTableErrors(t *testing.T) {
	good, _ := hashWith("x", []byte("0123456789abcdef"), minIterations)
	weak, _ := hashWith("x", []byte("0123456789abcdef"), 1000)
	for name, users := range map[string][]User{
		"empty name":     {{Name: "", PasswordHash: good}},
		"colon in name":  {{Name: "a:b", PasswordHash: good}},
		"duplicate":      {{Name: "a", PasswordHash: good}, {Name: "a", PasswordHash: good}},
		"plaintext":      {{Name: "a", PasswordHash: "hunter2"}},
		"few iterations": {{Name: "a", PasswordHash: weak}},
	} {
		if _, err := NewTable(users...); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err %v, want ErrConfig", name, err)
		}
	}
}

func TestAPIKeyUsername(t *testing.T) {
	keys := authrt.VerifierFunc(func(_ context.Context, k string) (*authrt.Identity, error) {
		if k == "sk_test_123" {
			return &authrt.Identity{KeyID: "key_1"}, nil
		}
		return nil, authrt.Reject("unknown API key")
	})
	v, err := APIKeyUsername(keys)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := v.Verify(context.Background(), "sk_test_123:"); err != nil || id.KeyID != "key_1" {
		t.Fatalf("%v %+v", err, id)
	}
	if _, err := v.Verify(context.Background(), "sk_test_123:password"); !errors.Is(err, ErrPasswordExpected) {
		t.Errorf("non-empty password: %v", err)
	}
	if _, err := v.Verify(context.Background(), "nope:"); !errors.Is(err, authrt.ErrInvalidCredential) {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := APIKeyUsername(nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil verifier accepted")
	}
}

func TestFunc(t *testing.T) {
	v, err := Func(func(_ context.Context, u, p string) (*authrt.Identity, error) {
		if u == "svc" && p == "pw" {
			return &authrt.Identity{Subject: u}, nil
		}
		return nil, authrt.Reject("bad")
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), "svc:pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := Func(nil); !errors.Is(err, ErrConfig) {
		t.Error("nil func accepted")
	}
}
