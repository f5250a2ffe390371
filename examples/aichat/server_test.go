package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/filestore"
	"github.com/authgen/authgen/runtime/jwtauth"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func tokenWith(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func token(t *testing.T, scope string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "user-1", "scope": scope, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestServer drives the example with real verifiers: HS256 JWTs and hashed
// API keys.
func TestServer(t *testing.T) {
	const key = "sk_test_0123456789abcdefghij"
	srv, err := newServer(config{
		jwtKeys: []jwtauth.Key{jwtauth.HMAC(testSecret)},
		keys:    []apikey.Record{apikey.NewRecord("key_1", "integration", key, "ai.chat.generate")},
	})
	if err != nil {
		t.Fatal(err)
	}
	chat, admin := token(t, "ai.chat.generate"), token(t, "ai.chat.generate ai.admin")
	pro := tokenWith(t, jwt.MapClaims{"sub": "pro-user", "scope": "ai.chat.generate", "plan": "pro"})
	free := tokenWith(t, jwt.MapClaims{"sub": "free-user", "scope": "ai.chat.generate", "plan": "free"})
	forged := chat[:len(chat)-2] + "xx"
	bearer := func(tok string) [2]string { return [2]string{"Authorization", "Bearer " + tok} }
	apiKey := func(k string) [2]string { return [2]string{"X-API-Key", k} }
	steps := []struct {
		method, path string
		headers      [][2]string
		status       int
		contains     string
	}{
		{"GET", "/v1/health", nil, 200, `"ok"`},
		{"GET", "/v1/models", nil, 200, `"models":["example-small"]`},
		{"GET", "/v1/models", [][2]string{bearer(chat)}, 200, "example-large-private"},
		{"GET", "/v1/models", [][2]string{bearer(forged)}, 401, "invalid_token"},
		{"POST", "/v1/chat/completions", nil, 401, ""},
		{"POST", "/v1/chat/completions", [][2]string{bearer(chat)}, 200, `"subject":"user-1"`},
		{"POST", "/v1/chat/completions", [][2]string{apiKey(key)}, 200, `"key_id":"key_1"`},
		{"POST", "/v1/chat/completions", [][2]string{apiKey("sk_test_wrong_wrong_wrong")}, 401, "invalid_token"},
		{"POST", "/v1/embeddings", [][2]string{bearer(chat)}, 403, "insufficient_scope"},
		{"POST", "/v1/embeddings", [][2]string{apiKey(key)}, 403, "ai.inference.embedding"},
		{"DELETE", "/v1/admin/keys/key_1", [][2]string{bearer(admin)}, 401, ""},
		{"DELETE", "/v1/admin/keys/key_1", [][2]string{bearer(chat), apiKey(key)}, 403, "ai.admin"},
		{"DELETE", "/v1/admin/keys/key_1", [][2]string{bearer(admin), apiKey(key)}, 204, ""},
		{"POST", "/v1/chat/completions", [][2]string{apiKey(key)}, 401, "revoked"},
		{"GET", "/v1/unknown", nil, 404, ""},
		{"POST", "/v1/chat/completions/premium", [][2]string{bearer(pro)}, 200, "example-large"},
		{"POST", "/v1/chat/completions/premium", [][2]string{bearer(free)}, 403, `claim \"plan\" must be one of`},
		{"POST", "/v1/chat/completions/premium", [][2]string{bearer(chat)}, 403, "claim_rule_failed"},
	}
	for _, s := range steps {
		r := httptest.NewRequest(s.method, s.path, nil)
		for _, h := range s.headers {
			r.Header.Set(h[0], h[1])
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		if rec.Code != s.status || !strings.Contains(rec.Body.String(), s.contains) {
			t.Errorf("%s %s %v: got %d %s, want %d containing %q", s.method, s.path, len(s.headers), rec.Code, rec.Body, s.status, s.contains)
		}
		if body := rec.Body.String(); strings.Contains(body, key) || strings.Contains(body, chat) {
			t.Errorf("%s %s: response contains a credential", s.method, s.path)
		}
	}
}

// TestChatRateLimit: the chat operation allows a burst of 5 per caller.
func TestChatRateLimit(t *testing.T) {
	srv, err := newServer(config{jwtKeys: []jwtauth.Key{jwtauth.HMAC(testSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(t, "ai.chat.generate")
	var codes []int
	for i := 0; i < 6; i++ {
		r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		codes = append(codes, rec.Code)
		if i == 5 && (rec.Header().Get("Retry-After") == "" || rec.Header().Get("RateLimit-Policy") != `"chat";q=20;w=60`) {
			t.Errorf("429 headers: %v", rec.Header())
		}
	}
	if fmt.Sprint(codes) != "[200 200 200 200 200 429]" {
		t.Errorf("codes %v, want five 200s then 429", codes)
	}
}

func TestDevConfig(t *testing.T) {
	cfg, dev, err := configFromEnv(func(string) string { return "" })
	if err != nil || dev == nil {
		t.Fatalf("dev config: %v", err)
	}
	srv, err := newServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range [][2]string{{"Authorization", "Bearer " + dev.token}, {"X-API-Key", dev.key}} {
		r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
		r.Header.Set(h[0], h[1])
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Errorf("dev credential %s: status %d %s", h[0], rec.Code, rec.Body)
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Errorf("body: %v", err)
		}
	}
	var out strings.Builder
	printDevHelp(&out, "localhost:8080", dev)
	if !strings.Contains(out.String(), dev.token) || !strings.Contains(out.String(), "curl") {
		t.Errorf("dev help lacks the sample token or curl lines:\n%s", out.String())
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	env := map[string]string{"AICHAT_JWT_PUBLIC_KEY": "/does/not/exist.pem"}
	if _, _, err := configFromEnv(func(k string) string { return env[k] }); err == nil {
		t.Error("a missing PEM file was accepted")
	}
	env = map[string]string{"AICHAT_JWT_SECRET": "short"}
	cfg, _, err := configFromEnv(func(k string) string { return env[k] })
	if err == nil {
		_, err = newServer(cfg)
	}
	if err == nil {
		t.Error("a 5-byte HMAC secret was accepted")
	}
}

// TestKeyFile: AICHAT_API_KEYS names a key file as `authgen keys new --file`
// writes it; a key minted into it works, and the admin operation revokes it
// in the file.
func TestKeyFile(t *testing.T) {
	key, rec, err := apikey.Mint(nil, apikey.KeySpec{ID: "key_file", Prefix: "sk_test", Name: "ci", Scopes: []string{"ai.chat.generate"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, err := filestore.Encode([]apikey.Record{rec}, filestore.YAML)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(config{jwtKeys: []jwtauth.Key{jwtauth.HMAC(testSecret)}, keysFile: path})
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, target string, headers ...string) int {
		r := httptest.NewRequest(method, target, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Set(headers[i], headers[i+1])
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, r)
		return rec.Code
	}
	if code := send("POST", "/v1/chat/completions", "X-API-Key", key); code != 200 {
		t.Fatalf("key from the file: %d", code)
	}
	admin := token(t, "ai.admin")
	if code := send("DELETE", "/v1/admin/keys/key_file", "Authorization", "Bearer "+admin, "X-API-Key", key); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code := send("POST", "/v1/chat/completions", "X-API-Key", key); code != 401 {
		t.Errorf("revoked key: %d, want 401", code)
	}
	stored, _ := os.ReadFile(path)
	if !strings.Contains(string(stored), "revoked: true") || strings.Contains(string(stored), key) {
		t.Errorf("key file after revoke:\n%s", stored)
	}
	if _, err := newServer(config{jwtKeys: []jwtauth.Key{jwtauth.HMAC(testSecret)}, keysFile: filepath.Join(t.TempDir(), "missing.yaml")}); err == nil {
		t.Error("a missing key file was accepted at startup")
	}
}

// TestAuditRecord checks the README's audit example against real output: a
// 403 names the scheme and subject that were refused, a 401 the scheme that
// rejected the token, and neither holds the token.
func TestAuditRecord(t *testing.T) {
	var buf bytes.Buffer
	srv, err := newServer(config{jwtKeys: []jwtauth.Key{jwtauth.HMAC(testSecret)}, audit: slog.New(slog.NewTextHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	free := tokenWith(t, jwt.MapClaims{"sub": "free-user", "scope": "ai.chat.generate", "plan": "free"})
	for _, tok := range []string{free, free[:len(free)-2] + "xx"} {
		r := httptest.NewRequest("POST", "/v1/chat/completions/premium", nil)
		r.RemoteAddr = "127.0.0.1:4711"
		r.Header.Set("Authorization", "Bearer "+tok)
		srv.ServeHTTP(httptest.NewRecorder(), r)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d records:\n%s", len(lines), buf.String())
	}
	for i, want := range []string{
		`level=WARN msg="authgen decision" decision=deny status=403 reason="claim_rule_failed: `,
		` operation=createPremiumCompletion method=POST path=/chat/completions/premium latency=`,
		` schemes=[bearerAuth] subject=free-user client=127.0.0.1`,
	} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("403 record, part %d: %s\nwant it to contain %s", i, lines[0], want)
		}
	}
	if !strings.Contains(lines[1], "status=401") || !strings.HasSuffix(lines[1], " schemes=[bearerAuth] client=127.0.0.1") {
		t.Errorf("401 record: %s", lines[1])
	}
	if strings.Contains(buf.String(), free[len(free)-20:]) {
		t.Errorf("the audit log holds a token:\n%s", buf.String())
	}
}

// TestDevHelpCurlLines runs every single curl line that dev mode prints
// against the dev server on a real listener, with the printed credentials,
// and checks the status each line's comment promises (2xx when it says
// none).
func TestDevHelpCurlLines(t *testing.T) {
	cfg, dev, err := configFromEnv(func(string) string { return "" })
	if err != nil || dev == nil {
		t.Fatalf("dev config: %v", err)
	}
	h, err := newServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	addr := strings.TrimPrefix(ts.URL, "http://")
	var help strings.Builder
	printDevHelp(&help, addr, dev)
	env := strings.NewReplacer("$FREE_TOKEN", dev.freeToken, "$TOKEN", dev.token, "$KEY", dev.key)
	ran := 0
	for _, line := range strings.Split(help.String(), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "curl -i ") {
			continue // the rate-limit loop is TestChatRateLimit's
		}
		cmd, comment, _ := strings.Cut(line, "#")
		want := 0
		fmt.Sscanf(strings.TrimSpace(comment), "%d", &want)
		args := shellWords(t, env.Replace(cmd))
		method, target, headers := "GET", "", http.Header{}
		for i := 1; i < len(args); i++ {
			switch args[i] {
			case "-i":
			case "-X":
				i++
				method = args[i]
			case "-H":
				i++
				k, v, _ := strings.Cut(args[i], ":")
				headers.Add(k, strings.TrimSpace(v))
			default:
				target = args[i]
			}
		}
		req, err := http.NewRequest(method, target, nil)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		req.Header = headers
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		resp.Body.Close()
		if want != 0 && resp.StatusCode != want || want == 0 && resp.StatusCode/100 != 2 {
			t.Errorf("%s\n  status %d, want %d (0: any 2xx)", line, resp.StatusCode, want)
		}
		ran++
	}
	if ran < 6 {
		t.Fatalf("ran %d curl lines from the dev help, want at least 6:\n%s", ran, help.String())
	}
}

// shellWords splits a command line at spaces outside double quotes.
func shellWords(t *testing.T, s string) []string {
	var out []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case c == ' ' && !quoted:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
			}
			inWord = false
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", s)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}
