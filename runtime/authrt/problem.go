package authrt

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// RFC 6750 error codes carried in WWW-Authenticate challenges and in the
// problem+json body.
const (
	CodeInvalidRequest    = "invalid_request"
	CodeInvalidToken      = "invalid_token"
	CodeInsufficientScope = "insufficient_scope"
	// CodeClaimRule marks a 403 for a failed x-authgen-claims rule.
	CodeClaimRule = "claim_rule_failed"
	// CodeRateLimited marks a 429.
	CodeRateLimited = "rate_limited"
)

// Denial describes a refused request. The middleware passes it to
// Options.ErrorWriter (WriteProblem by default). Nothing in it is secret:
// credentials never reach it, and Cause is for logs.
type Denial struct {
	// Status is the HTTP status: 400, 401, 403, 404, 405 or 503.
	Status int
	// Operation is the operation the request matched, if any.
	Operation OperationID
	// Code is the RFC 6750 error code ("invalid_token", ...) or "".
	Code string
	// Detail is a short human-readable explanation, safe to send.
	Detail string
	// Scopes lists the scopes required by the first alternative that had
	// all its credentials but lacked scopes (403 only).
	Scopes []Scope
	// Challenges are the WWW-Authenticate values for a 401 or 403.
	Challenges []string
	// FailedRule describes the claim rule that failed (403).
	FailedRule string
	// Allow lists the methods of the path, for a 405.
	Allow []string
	// RetryAfter, when positive, is sent as Retry-After (seconds), for a 503.
	RetryAfter int
	// Cause is the verifier error behind a 401 or 503; it is for logs and is
	// never written to the response by WriteProblem.
	Cause error

	// who names the caller in the audit record of a denial: the schemes
	// whose credentials verified and their subject and key ID (a 403), or
	// the schemes that rejected or could not check the credential (a 401 or
	// 503). Never a credential.
	who caller
}

// caller is who a denied request came from, as far as the guard knows.
type caller struct {
	schemes        []string
	subject, keyID string
}

// problem is the RFC 9457 body.
type problem struct {
	Type           string   `json:"type"`
	Title          string   `json:"title"`
	Status         int      `json:"status"`
	Detail         string   `json:"detail,omitempty"`
	Error          string   `json:"error,omitempty"`
	RequiredScopes []Scope  `json:"required_scopes,omitempty"`
	FailedRule     string   `json:"failed_rule,omitempty"`
	Allow          []string `json:"allow,omitempty"`
}

// WriteProblem writes d as an application/problem+json response (RFC 9457)
// with its WWW-Authenticate, Allow and Retry-After headers. It is the
// default Options.ErrorWriter.
func WriteProblem(w http.ResponseWriter, r *http.Request, d *Denial) {
	h := w.Header()
	for _, c := range d.Challenges {
		h.Add("WWW-Authenticate", c)
	}
	if len(d.Allow) > 0 {
		h.Set("Allow", strings.Join(d.Allow, ", "))
	}
	if d.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(d.RetryAfter))
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	body, _ := json.Marshal(problem{
		Type:           "about:blank",
		Title:          http.StatusText(d.Status),
		Status:         d.Status,
		Detail:         d.Detail,
		Error:          d.Code,
		RequiredScopes: d.Scopes,
		FailedRule:     d.FailedRule,
		Allow:          d.Allow,
	})
	w.WriteHeader(d.Status)
	if r.Method != http.MethodHead {
		w.Write(append(body, '\n'))
	}
}

// challenge builds one WWW-Authenticate value: the auth-scheme word followed
// by quoted parameters, given as name, value pairs; empty values are left
// out.
func challenge(scheme string, params ...string) string {
	var b strings.Builder
	b.WriteString(scheme)
	sep := " "
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] == "" {
			continue
		}
		b.WriteString(sep)
		b.WriteString(params[i])
		b.WriteString(`="`)
		b.WriteString(quoteEscape(params[i+1]))
		b.WriteByte('"')
		sep = ", "
	}
	return b.String()
}

// quoteEscape escapes a quoted-string's content (RFC 9110 §5.6.4) and drops
// control characters, which may not appear in a header.
func quoteEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 && c != '\t', c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
