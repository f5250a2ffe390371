// Package issuer mints tokens for services that log their own users in: a
// short-lived access JWT, which any jwtauth.Verifier checks without a call,
// and an opaque refresh token, which the Issuer exchanges for a new pair.
//
// Refresh tokens rotate: each exchange returns a new refresh token and
// retires the old one. Presenting a retired token again means that it was
// stolen (or the client lost a response); the store cannot tell the thief
// from the owner, so the whole session (the family of refresh tokens from
// one login) is revoked, and with WithRevoker the access tokens it minted
// too. Stores keep the SHA-256 of refresh tokens, never the tokens.
//
//	signer, err := issuer.NewSigner(privateKey, issuer.SignWithKeyID("2026-03"))
//	iss, err := issuer.New(signer, issuer.NewMemoryStore(), // or issuerredis.New(client)
//		issuer.WithIssuer("https://api.example.com"),
//		issuer.WithAudience("https://api.example.com"))
//	tokens, err := iss.Issue(ctx, userID, []string{"chat"}, nil) // after checking the password
//	tokens, err = iss.Refresh(ctx, refreshToken)                 // at the token endpoint
//	verifier, err := iss.Verifier(jwtauth.WithCache(10000, 5*time.Minute))
package issuer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/jwtauth"
)

// Issuer mints and refreshes tokens. It is safe for concurrent use.
type Issuer struct {
	signer *Signer
	store  Store
	cfg    config
}

// New returns an Issuer that signs with signer and keeps sessions in store.
// WithIssuer is required.
func New(signer *Signer, store Store, opts ...Option) (*Issuer, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	switch {
	case signer == nil:
		return nil, fmt.Errorf("%w: nil Signer", ErrInvalidOption)
	case store == nil:
		return nil, fmt.Errorf("%w: nil Store", ErrInvalidOption)
	case cfg.issuer == "":
		return nil, fmt.Errorf("%w: WithIssuer is required", ErrInvalidOption)
	case cfg.refreshTTL > cfg.sessionTTL:
		return nil, fmt.Errorf("%w: refresh TTL %v exceeds the session lifetime %v", ErrInvalidOption, cfg.refreshTTL, cfg.sessionTTL)
	}
	return &Issuer{signer: signer, store: store, cfg: cfg}, nil
}

// Tokens is what Issue and Refresh return. Its JSON is an OAuth 2.0 token
// response (RFC 6749 section 5.1). String and LogValue hide the tokens.
type Tokens struct {
	AccessToken      string    `json:"access_token"`
	TokenType        string    `json:"token_type"`
	ExpiresIn        int64     `json:"expires_in"`
	RefreshToken     string    `json:"refresh_token"`
	Scope            string    `json:"scope,omitempty"`
	AccessExpiresAt  time.Time `json:"-"`
	RefreshExpiresAt time.Time `json:"-"`
	SessionID        string    `json:"-"`
}

// String describes the tokens without revealing them.
func (t Tokens) String() string {
	return fmt.Sprintf("issuer.Tokens{session %s, access until %s, refresh until %s, scope %q}",
		t.SessionID, t.AccessExpiresAt.Format(time.RFC3339), t.RefreshExpiresAt.Format(time.RFC3339), t.Scope)
}

// GoString is String, so that %#v does not reveal the tokens either.
func (t Tokens) GoString() string { return t.String() }

// LogValue logs the tokens' metadata, never the tokens.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(slog.String("session", t.SessionID), slog.Time("access_expires", t.AccessExpiresAt),
		slog.Time("refresh_expires", t.RefreshExpiresAt), slog.String("scope", t.Scope))
}

// reserved are the claims the Issuer sets itself.
var reserved = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp", "sid"}

// Issue starts a session for subject, whom the caller has authenticated,
// and returns its first tokens. The access token carries scopes (as the
// space-separated "scope" claim), claims, and the registered claims iss,
// sub, aud, iat, exp, jti and sid (the session ID). claims may not set
// those (ErrInvalidClaims).
func (i *Issuer) Issue(ctx context.Context, subject string, scopes []string, claims map[string]any) (*Tokens, error) {
	if subject == "" {
		return nil, fmt.Errorf("%w: empty subject", ErrInvalidClaims)
	}
	for _, s := range scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			return nil, fmt.Errorf("%w: invalid scope %q", ErrInvalidClaims, s)
		}
	}
	for _, name := range reserved {
		if _, ok := claims[name]; ok {
			return nil, fmt.Errorf("%w: claim %q is set by the issuer", ErrInvalidClaims, name)
		}
	}
	var raw json.RawMessage
	if len(claims) > 0 {
		var err error
		if raw, err = json.Marshal(claims); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidClaims, err)
		}
	}
	now := i.cfg.clock()
	s := &Session{ID: randomID(), Subject: subject, Scopes: scopes, Claims: raw, CreatedAt: now, ExpiresAt: now.Add(i.cfg.sessionTTL)}
	refresh, h := newRefreshToken()
	refreshExp := minTime(now.Add(i.cfg.refreshTTL), s.ExpiresAt)
	t, ref, err := i.mintWith(s, now, randomID(), minTime(now.Add(i.cfg.accessTTL), s.ExpiresAt))
	if err != nil {
		return nil, err
	}
	if err := i.store.Create(ctx, s, h, refreshExp, ref); err != nil {
		return nil, fmt.Errorf("issuer: store: %w", err)
	}
	t.RefreshToken, t.RefreshExpiresAt = refresh, refreshExp
	return t, nil
}

// Refresh exchanges refreshToken for new tokens of the same session: the
// refresh token rotates. It fails with ErrInvalidRefreshToken for a token
// that is unknown, expired, or of an ended session, and with
// ErrRefreshTokenReused (which matches ErrInvalidRefreshToken) for one
// already exchanged: the session is then revoked, and with WithRevoker its
// live access tokens too.
func (i *Issuer) Refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	h, ok := parseRefreshToken(refreshToken)
	if !ok {
		return nil, ErrInvalidRefreshToken
	}
	now := i.cfg.clock()
	next, nh := newRefreshToken()
	jti, accessExp := randomID(), now.Add(i.cfg.accessTTL)
	s, refs, err := i.store.Rotate(ctx, h, nh, now.Add(i.cfg.refreshTTL), AccessRef{JTI: jti, ExpiresAt: accessExp}, now)
	if errors.Is(err, ErrRefreshTokenReused) {
		return nil, errors.Join(err, i.revokeAccess(ctx, refs))
	}
	if errors.Is(err, ErrBacklog) && s != nil {
		// The session waits on revocations that failed: work off the
		// oldest now, so that a retry can succeed.
		if rerr := i.revokeAccess(ctx, refs); rerr == nil {
			i.store.Forget(ctx, s.ID, refs)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("issuer: store: %w", err)
	}
	// Access tokens beyond MaxAccessRefs (a client refreshing that fast
	// holds newer ones) are revoked now, and only then forgotten: if the
	// revocation fails, the store still has them, and the next refresh or
	// the session's end revokes them.
	if len(refs) > 0 && i.revokeAccess(ctx, refs) == nil {
		i.store.Forget(ctx, s.ID, refs) // if this fails, they are revoked again: harmless
	}
	// No access token outlives its session: once the session's keys are
	// gone, it could no longer be revoked with it. (The store recorded the
	// uncapped expiry, which only keeps its revocation longer.)
	accessExp = minTime(accessExp, s.ExpiresAt)
	t, _, err := i.mintWith(s, now, jti, accessExp)
	if err != nil {
		return nil, err
	}
	t.RefreshToken, t.RefreshExpiresAt = next, minTime(now.Add(i.cfg.refreshTTL), s.ExpiresAt)
	return t, nil
}

// Revoke ends the session of refreshToken (a logout): none of its refresh
// tokens is accepted again, and with WithRevoker its live access tokens are
// revoked too.
func (i *Issuer) Revoke(ctx context.Context, refreshToken string) error {
	h, ok := parseRefreshToken(refreshToken)
	if !ok {
		return ErrInvalidRefreshToken
	}
	refs, err := i.store.Revoke(ctx, h, i.cfg.clock())
	if err != nil {
		return fmt.Errorf("issuer: store: %w", err)
	}
	return i.revokeAccess(ctx, refs)
}

func (i *Issuer) revokeAccess(ctx context.Context, refs []AccessRef) error {
	if i.cfg.revoker == nil {
		return nil
	}
	var errs []error
	for _, r := range refs {
		if err := i.cfg.revoker.Revoke(ctx, r.JTI, r.ExpiresAt); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// mint signs a new access token of session s.
func (i *Issuer) mintWith(s *Session, now time.Time, jti string, exp time.Time) (*Tokens, AccessRef, error) {
	claims := jwt.MapClaims{}
	if len(s.Claims) > 0 {
		dec := json.NewDecoder(bytes.NewReader(s.Claims))
		dec.UseNumber()
		if err := dec.Decode(&claims); err != nil {
			return nil, AccessRef{}, fmt.Errorf("%w: stored claims: %v", ErrInvalidClaims, err)
		}
	}
	claims["iss"], claims["sub"], claims["sid"] = i.cfg.issuer, s.Subject, s.ID
	claims["iat"], claims["exp"], claims["jti"] = now.Unix(), exp.Unix(), jti
	switch len(i.cfg.audience) {
	case 0:
	case 1:
		claims["aud"] = i.cfg.audience[0]
	default:
		claims["aud"] = i.cfg.audience
	}
	scope := strings.Join(s.Scopes, " ")
	if scope != "" {
		claims["scope"] = scope
	}
	token, err := i.signer.sign("at+jwt", claims)
	if err != nil {
		return nil, AccessRef{}, fmt.Errorf("issuer: signing: %w", err)
	}
	return &Tokens{
		AccessToken: token, TokenType: "Bearer", ExpiresIn: int64(exp.Sub(now) / time.Second),
		Scope: scope, AccessExpiresAt: exp, SessionID: s.ID,
	}, AccessRef{JTI: jti, ExpiresAt: exp}, nil
}

// Keys returns the keys that verify this Issuer's tokens: the signer's and
// those of WithVerificationKeys.
func (i *Issuer) Keys() []jwtauth.Key {
	return append([]jwtauth.Key{i.signer.VerificationKey()}, i.cfg.extraKeys...)
}

// Verifier returns a jwtauth.Verifier of this Issuer's access tokens: its
// keys, its issuer and, if set, its audience. opts add to those (a cache, a
// revocation list).
func (i *Issuer) Verifier(opts ...jwtauth.Option) (*jwtauth.Verifier, error) {
	// typ at+jwt: another JWT the same key signs is no access token.
	base := []jwtauth.Option{jwtauth.WithIssuer(i.cfg.issuer), jwtauth.WithClock(i.cfg.clock), jwtauth.WithTypes("at+jwt")}
	if len(i.cfg.audience) > 0 {
		base = append(base, jwtauth.WithAudience(i.cfg.audience...))
	}
	return jwtauth.New(i.Keys(), append(base, opts...)...)
}

// refreshPrefix starts every refresh token, so that one is recognized in a
// log or a secret scanner.
const refreshPrefix = "rt_"

// refreshLen is the length of a refresh token: the prefix and 32 random
// bytes in base64url.
var refreshLen = len(refreshPrefix) + base64.RawURLEncoding.EncodedLen(32)

func newRefreshToken() (string, Hash) {
	var b [32]byte
	rand.Read(b[:])
	t := refreshPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return t, sha256.Sum256([]byte(t))
}

// parseRefreshToken checks the form of t and hashes it.
func parseRefreshToken(t string) (Hash, bool) {
	if len(t) != refreshLen || !strings.HasPrefix(t, refreshPrefix) {
		return Hash{}, false
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(t[len(refreshPrefix):]); err != nil {
		return Hash{}, false
	}
	return sha256.Sum256([]byte(t)), true
}

// randomID returns 128 random bits in base64url: session IDs and jti.
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
