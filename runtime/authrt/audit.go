package authrt

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Decision is the audit record of one request: what the guard decided and
// why, who the caller was (by subject and key ID, never by credential), and
// how long authentication took.
type Decision struct {
	Time      time.Time
	Operation OperationID
	Method    string
	// Path is the operation's path template, or the request path for
	// requests that matched no operation.
	Path string
	// Outcome is "allow" or "deny"; Status the response status of a denial
	// (0 for allow).
	Outcome string
	Status  int
	// Reason says why: "public", "anonymous", "authenticated", or the
	// denial's code and detail.
	Reason string
	// Schemes, Subject and KeyID name the caller: for an allow, the
	// principal's; for a 403, the schemes of the alternative whose
	// credentials verified but whose scopes or claim rules failed, and
	// their subject and key ID; for a 401 or 503 over a presented
	// credential, the schemes that rejected (or could not check) it. They
	// are empty when nothing was presented.
	Schemes    []string
	Subject    string
	KeyID      string
	ClientAddr string
	RequestID  string
	// Latency is the time spent authenticating, authorizing and rate
	// limiting, before the handler.
	Latency time.Duration
}

// decisionFor builds the record of one request.
func (g *Guard) decisionFor(r *http.Request, op *compiledOp, info *requestInfo, p *Principal, d *Denial, start time.Time) *Decision {
	rec := &Decision{
		Time:    start,
		Method:  r.Method,
		Path:    r.URL.Path,
		Outcome: "allow",
		Latency: time.Since(start),
	}
	if op != nil {
		rec.Operation, rec.Path = op.id, op.path
	}
	if info != nil {
		if a, ok := info.clientAddr(); ok {
			rec.ClientAddr = a.String()
		}
	}
	if g.requestIDHeader != "" {
		rec.RequestID = r.Header.Get(g.requestIDHeader)
		if len(rec.RequestID) > 128 {
			rec.RequestID = rec.RequestID[:128]
		}
	}
	switch {
	case p != nil:
		rec.Schemes, rec.Subject, rec.KeyID = p.Schemes, p.Subject, p.KeyID
	case d != nil:
		rec.Schemes, rec.Subject, rec.KeyID = d.who.schemes, d.who.subject, d.who.keyID
	}
	switch {
	case d != nil:
		rec.Outcome, rec.Status = "deny", d.Status
		rec.Reason = d.Detail
		if d.Code != "" {
			rec.Reason = d.Code + ": " + d.Detail
		}
	case op == nil:
		rec.Reason = "unlisted route allowed"
	case op.public:
		rec.Reason = "public"
	case p == nil:
		rec.Reason = "anonymous"
	default:
		rec.Reason = "authenticated"
	}
	return rec
}

// audit hands a decision to the configured hook and logger.
func (g *Guard) audit(ctx context.Context, rec *Decision) {
	if g.onDecision != nil {
		g.onDecision(ctx, rec)
	}
	if g.auditLog == nil {
		return
	}
	level := slog.LevelInfo
	if rec.Outcome == "deny" {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("decision", rec.Outcome),
		slog.Int("status", rec.Status),
		slog.String("reason", rec.Reason),
		slog.String("operation", string(rec.Operation)),
		slog.String("method", rec.Method),
		slog.String("path", rec.Path),
		slog.Duration("latency", rec.Latency),
	}
	if len(rec.Schemes) > 0 {
		attrs = append(attrs, slog.Any("schemes", rec.Schemes))
	}
	if rec.Subject != "" {
		attrs = append(attrs, slog.String("subject", rec.Subject))
	}
	if rec.KeyID != "" {
		attrs = append(attrs, slog.String("key_id", rec.KeyID))
	}
	if rec.ClientAddr != "" {
		attrs = append(attrs, slog.String("client", rec.ClientAddr))
	}
	if rec.RequestID != "" {
		attrs = append(attrs, slog.String("request_id", rec.RequestID))
	}
	g.auditLog.LogAttrs(ctx, level, "authgen decision", attrs...)
}
