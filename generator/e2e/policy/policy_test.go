package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/authgen/authgen/runtime/authrt"
)

// tokens maps bearer tokens to identities; the claims are what a JWT's
// would decode to (numbers as json.Number, as jwtauth gives them).
var tokens = map[string]*authrt.Identity{
	"tok-verified":   {Subject: "alice", Claims: map[string]any{"email_verified": true}},
	"tok-unverified": {Subject: "bob", Claims: map[string]any{"email_verified": false}},
	"tok-pro":        {Subject: "carol", Claims: map[string]any{"plan": "pro", "email_verified": false}},
	"tok-free":       {Subject: "dave", Claims: map[string]any{"plan": "free", "email_verified": true}},
	"tok-large":      {Subject: "erin", Claims: map[string]any{"models": []any{"small", "large"}, "org": map[string]any{"tier": json.Number("2"), "id": "org-1"}}},
	"tok-large-t1":   {Subject: "frank", Claims: map[string]any{"models": []any{"large"}, "org": map[string]any{"tier": json.Number("1"), "id": "org-1"}}},
	"tok-fast":       {Subject: "grace", Claims: map[string]any{"email_verified": true, "rate_limit_per_minute": json.Number("8")}},
	"tok-org2":       {Subject: "heidi", Claims: map[string]any{"org": map[string]any{"id": "org-2"}}},
}

var keys = map[string]*authrt.Identity{
	"sk_key_one": {Subject: "integration", KeyID: "key_1", Claims: map[string]any{"email_verified": true}},
	"sk_key_two": {Subject: "integration", KeyID: "key_2", Claims: map[string]any{"email_verified": true}},
}

func table(m map[string]*authrt.Identity) authrt.Verifier {
	return authrt.VerifierFunc(func(_ context.Context, c string) (*authrt.Identity, error) {
		if id, ok := m[c]; ok {
			return id, nil
		}
		return nil, authrt.Reject("unknown credential")
	})
}

func newHandler(t *testing.T, opts authrt.Options) http.Handler {
	t.Helper()
	auth, err := New(Config{Bearer: table(tokens), Key: table(keys), Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	return auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := authrt.PrincipalFrom(r.Context())
		if p != nil {
			fmt.Fprint(w, p.Subject)
		}
	}))
}

func do(h http.Handler, method, target, remote string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	if remote != "" {
		r.RemoteAddr = remote
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

func TestClaimRules(t *testing.T) {
	h := newHandler(t, authrt.Options{})
	tests := []struct {
		name, method, path, token string
		status                    int
		rule                      string
	}{
		{"document rule holds", "POST", "/chat", "tok-verified", 200, ""},
		{"document rule fails", "POST", "/chat", "tok-unverified", 403, `claim "email_verified" must be true`},
		{"path rule replaces the document's", "POST", "/premium", "tok-pro", 200, ""},
		{"path rule fails", "POST", "/premium", "tok-free", 403, `claim "plan" must be one of ["pro", "enterprise"]`},
		{"operation rules replace the path's", "GET", "/premium", "tok-large", 200, ""},
		{"in over a json.Number, dotted path", "GET", "/premium", "tok-large-t1", 403, `claim "org.tier" must be one of [2, 3]`},
		{"contains fails on a missing claim", "GET", "/premium", "tok-pro", 403, `claim "models" must contain "large"`},
		{"empty list clears inherited rules", "GET", "/by-key", "tok-unverified", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(h, tc.method, tc.path, "", bearer(tc.token)...)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != 403 {
				return
			}
			var raw map[string]any
			json.Unmarshal(rec.Body.Bytes(), &raw)
			if raw["error"] != "claim_rule_failed" || raw["failed_rule"] != tc.rule {
				t.Errorf("body %s: want error claim_rule_failed and failed_rule %q", rec.Body, tc.rule)
			}
			if strings.Contains(rec.Body.String(), "free") || strings.Contains(rec.Body.String(), tc.token) {
				t.Errorf("403 body reveals the caller's claim or token: %s", rec.Body)
			}
		})
	}
}

// TestRateLimitExactUnderConcurrency sends 64 concurrent requests for one
// subject to a 5-per-minute operation: exactly 5 pass.
func TestRateLimitExactUnderConcurrency(t *testing.T) {
	h := newHandler(t, authrt.Options{})
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch do(h, "POST", "/chat", "", bearer("tok-verified")...).Code {
			case 200:
				ok.Add(1)
			case 429:
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 5 || limited.Load() != 59 {
		t.Fatalf("allowed %d, limited %d; want 5 and 59", ok.Load(), limited.Load())
	}
	// Another subject has its own bucket.
	if rec := do(h, "POST", "/chat", "", bearer("tok-pro")...); rec.Code == 429 {
		t.Errorf("a second subject was limited by the first one's requests")
	}
}

func TestRateLimitResponse(t *testing.T) {
	h := newHandler(t, authrt.Options{})
	var last *httptest.ResponseRecorder
	for i := 0; i < 6; i++ {
		last = do(h, "POST", "/chat", "", bearer("tok-verified")...)
		if i < 5 {
			if last.Code != 200 {
				t.Fatalf("request %d: %d", i, last.Code)
			}
			want := fmt.Sprintf(`"chat";r=%d;`, 4-i)
			if got := last.Header().Get("RateLimit"); !strings.HasPrefix(got, want) {
				t.Errorf("request %d: RateLimit %q, want prefix %q", i, got, want)
			}
		}
	}
	if last.Code != 429 {
		t.Fatalf("sixth request: %d, want 429", last.Code)
	}
	if ra := last.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("429 without Retry-After")
	}
	if p := last.Header().Get("RateLimit-Policy"); p != `"chat";q=5;w=60` {
		t.Errorf("RateLimit-Policy %q", p)
	}
	if !strings.Contains(last.Body.String(), `"error":"rate_limited"`) || last.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("429 body %s", last.Body)
	}
}

func TestRateLimitFromClaim(t *testing.T) {
	h := newHandler(t, authrt.Options{})
	n := 0
	for do(h, "POST", "/chat", "", bearer("tok-fast")...).Code == 200 {
		n++
		if n > 20 {
			break
		}
	}
	if n != 8 {
		t.Errorf("rate_limit_per_minute 8 allowed %d requests", n)
	}
}

func TestRateLimitByIPBurstKeyAndClaim(t *testing.T) {
	h := newHandler(t, authrt.Options{})
	count := func(path, remote string, header ...string) int {
		n := 0
		for i := 0; i < 10 && do(h, "GET", path, remote, header...).Code == 200; i++ {
			n++
		}
		return n
	}
	if n := count("/open", "192.0.2.1:1234"); n != 2 {
		t.Errorf("open by ip with burst 2: %d allowed", n)
	}
	if n := count("/open", "192.0.2.2:1234"); n != 2 {
		t.Errorf("a second address shares the first one's bucket: %d", n)
	}
	if n := count("/by-key", "", "X-API-Key", "sk_key_one"); n != 2 {
		t.Errorf("by key: %d", n)
	}
	if n := count("/by-key", "", "X-API-Key", "sk_key_two"); n != 2 {
		t.Errorf("by key, second key of the same subject: %d", n)
	}
	// by claim:org.id: erin and frank share org-1.
	a, b := count("/by-org", "", bearer("tok-large")...), count("/by-org", "", bearer("tok-large-t1")...)
	if a+b != 2 {
		t.Errorf("by org claim: %d + %d allowed, want 2 in all", a, b)
	}
	if n := count("/by-org", "", bearer("tok-org2")...); n != 2 {
		t.Errorf("another org: %d", n)
	}
}

// TestRateLimitByClaimWithoutClaim: a caller whose token lacks the claim
// counts by subject, not by address: changing address does not reset its
// bucket, and two such users behind one address do not share one.
func TestRateLimitByClaimWithoutClaim(t *testing.T) {
	h := newHandler(t, authrt.Options{})
	count := func(remote, tok string) int {
		n := 0
		for i := 0; i < 10 && do(h, "GET", "/by-org", remote, bearer(tok)...).Code == 200; i++ {
			n++
		}
		return n
	}
	if n := count("192.0.2.10:1", "tok-verified"); n != 2 {
		t.Fatalf("a token without org.id: %d allowed, want 2", n)
	}
	if n := count("192.0.2.11:1", "tok-verified"); n != 0 {
		t.Errorf("a token without org.id escaped its limit by changing address: %d more allowed", n)
	}
	if n := count("192.0.2.10:1", "tok-unverified"); n != 2 {
		t.Errorf("a second user without org.id behind the same address: %d allowed, want 2 of its own", n)
	}
}

// trustedProxy: behind a trusted proxy, the client address (and so the
// per-ip bucket) comes from X-Forwarded-For; from anyone else it is ignored.
func TestRateLimitTrustedProxy(t *testing.T) {
	h := newHandler(t, authrt.Options{TrustedProxies: []string{"10.0.0.0/8"}})
	for i := 0; i < 2; i++ {
		do(h, "GET", "/open", "10.1.1.1:5555", "X-Forwarded-For", "198.51.100.7")
	}
	if rec := do(h, "GET", "/open", "10.1.1.1:5555", "X-Forwarded-For", "198.51.100.8"); rec.Code != 200 {
		t.Errorf("a different client behind the proxy was limited: %d", rec.Code)
	}
	if rec := do(h, "GET", "/open", "10.1.1.1:5555", "X-Forwarded-For", "198.51.100.7"); rec.Code != 429 {
		t.Errorf("the same client behind the proxy was not limited: %d", rec.Code)
	}
	for i := 0; i < 2; i++ {
		do(h, "GET", "/open", "203.0.113.9:1", "X-Forwarded-For", fmt.Sprint("198.51.100.", 100+i))
	}
	if rec := do(h, "GET", "/open", "203.0.113.9:1", "X-Forwarded-For", "198.51.100.200"); rec.Code != 429 {
		t.Errorf("an untrusted peer escaped its limit by forging X-Forwarded-For: %d", rec.Code)
	}
}

type failingLimiter struct{ calls atomic.Int64 }

func (f *failingLimiter) Allow(context.Context, string, authrt.Limit) (authrt.RateResult, error) {
	f.calls.Add(1)
	return authrt.RateResult{}, fmt.Errorf("redis: connection refused: %w", authrt.ErrUnavailable)
}

func TestLimiterFailureModes(t *testing.T) {
	lim := &failingLimiter{}
	h := newHandler(t, authrt.Options{RateLimiter: lim})
	// Default: fall back to the in-memory limiter, which still limits.
	n := 0
	for i := 0; i < 10 && do(h, "POST", "/chat", "", bearer("tok-verified")...).Code == 200; i++ {
		n++
	}
	if n != 5 || lim.calls.Load() == 0 {
		t.Errorf("fallback allowed %d (want 5), shared limiter called %d times", n, lim.calls.Load())
	}
	// fail-closed: 503 with Retry-After, never a silent 200.
	rec := do(h, "GET", "/by-org", "", bearer("tok-large")...)
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("fail-closed limit with a failing limiter: %d %v", rec.Code, rec.Header())
	}
}

// TestAudit checks one record per decision for allow, 401, 403 and 429,
// and that no credential appears anywhere in the log.
func TestAudit(t *testing.T) {
	var buf bytes.Buffer
	var hooked atomic.Int64
	h := newHandler(t, authrt.Options{
		AuditLogger: slog.New(slog.NewJSONHandler(&buf, nil)),
		OnDecision:  func(context.Context, *authrt.Decision) { hooked.Add(1) },
	})
	steps := []struct {
		path, decision, reason string
		status                 int
		header                 []string
	}{
		{"/chat", "allow", "authenticated", 0, append(bearer("tok-verified"), "X-Request-Id", "req-1")},
		{"/chat", "deny", "authentication is required", 401, nil},
		{"/chat", "deny", "invalid_token", 401, bearer("tok-forged-secret")},
		{"/chat", "deny", "claim_rule_failed", 403, bearer("tok-unverified")},
		{"/chat", "allow", "authenticated", 0, []string{"X-API-Key", "sk_key_one"}},
		{"/chat", "deny", "invalid_token", 401, []string{"X-API-Key", "sk_forged_key_secret"}},
	}
	for _, s := range steps {
		do(h, "POST", s.path, "198.51.100.1:999", s.header...)
	}
	for i := 0; i < 5; i++ {
		do(h, "POST", "/chat", "198.51.100.1:999", bearer("tok-verified")...)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 11 || hooked.Load() != 11 {
		t.Fatalf("%d log records and %d hook calls for 11 requests:\n%s", len(lines), hooked.Load(), buf.String())
	}
	for i, s := range steps {
		var rec map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatal(err)
		}
		if rec["decision"] != s.decision || int(rec["status"].(float64)) != s.status || !strings.Contains(rec["reason"].(string), s.reason) {
			t.Errorf("record %d = %v; want decision %s status %d reason ~%q", i, rec, s.decision, s.status, s.reason)
		}
		if rec["operation"] != "chat" || rec["path"] != "/chat" || rec["method"] != "POST" || rec["client"] != "198.51.100.1" {
			t.Errorf("record %d lacks operation, template, method or client: %v", i, rec)
		}
		if _, ok := rec["latency"]; !ok {
			t.Errorf("record %d has no latency", i)
		}
	}
	// Who the caller was, where the guard knows: the verified identity of a
	// 403, the scheme that rejected the credential of a 401, nobody for a
	// 401 without a credential.
	who := []struct {
		line                  int
		schemes, subject, key string
	}{
		{0, "[bearer]", "alice", ""},
		{1, "", "", ""},
		{2, "[bearer]", "", ""},
		{3, "[bearer]", "bob", ""},
		{4, "[key]", "integration", "key_1"},
		{5, "[key]", "", ""},
	}
	for _, w := range who {
		var rec map[string]any
		json.Unmarshal([]byte(lines[w.line]), &rec)
		schemes := ""
		if v, ok := rec["schemes"]; ok {
			schemes = fmt.Sprint(v)
		}
		subject, _ := rec["subject"].(string)
		key, _ := rec["key_id"].(string)
		if schemes != w.schemes || subject != w.subject || key != w.key {
			t.Errorf("record %d names schemes %q subject %q key %q; want %q %q %q: %v", w.line, schemes, subject, key, w.schemes, w.subject, w.key, rec)
		}
	}
	var first, key, limited map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[4]), &key)
	json.Unmarshal([]byte(lines[10]), &limited)
	if first["subject"] != "alice" || first["request_id"] != "req-1" {
		t.Errorf("allow record: %v", first)
	}
	if key["key_id"] != "key_1" {
		t.Errorf("API-key record names no key ID: %v", key)
	}
	if limited["status"].(float64) != 429 || !strings.Contains(limited["reason"].(string), "rate_limited") {
		t.Errorf("last record is not the 429: %v", limited)
	}
	for _, secret := range []string{"tok-verified", "tok-forged-secret", "tok-unverified", "sk_key_one", "sk_forged_key_secret"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the audit log contains the credential %q", secret)
		}
	}
}

func TestAuditUnlisted(t *testing.T) {
	var got []*authrt.Decision
	var mu sync.Mutex
	h := newHandler(t, authrt.Options{OnDecision: func(_ context.Context, d *authrt.Decision) {
		mu.Lock()
		got = append(got, d)
		mu.Unlock()
	}})
	do(h, "GET", "/nope", "")
	do(h, "GET", "/open", "")
	if len(got) != 2 || got[0].Status != 404 || got[1].Reason != "public" {
		t.Fatalf("decisions %+v", got)
	}
}
