package issuer

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/authgen/authgen/runtime/jwtauth"
)

// JWKS returns the JWK Set of Keys, for other services to verify this
// Issuer's tokens (package jwks, on the URL that serves JWKSHandler). It
// fails for an HMAC signer: a secret is never published.
func (i *Issuer) JWKS() ([]byte, error) {
	return jwtauth.MarshalJWKS(i.Keys())
}

// JWKSHandler serves JWKS, cacheable for five minutes. It fails for an HMAC
// signer.
func (i *Issuer) JWKSHandler() (http.Handler, error) {
	body, err := i.JWKS()
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(body)
	}), nil
}

// maxFormSize bounds a token request's body.
const maxFormSize = 8 << 10

// RefreshHandler is an OAuth 2.0 token endpoint for the refresh_token grant
// (RFC 6749 section 6): a POST of the form grant_type=refresh_token and
// refresh_token=..., answered with the new tokens as JSON, or with an
// error of RFC 6749 section 5.2 (invalid_grant for a bad, expired, revoked
// or reused token). Logging users in is the application's own handler,
// which calls Issue.
func (i *Issuer) RefreshHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormSize)
		if err := r.ParseForm(); err != nil {
			oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
			return
		}
		form := r.PostForm
		if len(form["grant_type"]) != 1 || len(form["refresh_token"]) > 1 {
			oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type and refresh_token must appear once")
			return
		}
		if form.Get("grant_type") != "refresh_token" {
			oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only refresh_token is supported")
			return
		}
		if form.Get("refresh_token") == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "refresh_token is missing")
			return
		}
		tokens, err := i.Refresh(r.Context(), form.Get("refresh_token"))
		switch {
		case errors.Is(err, ErrRefreshTokenReused):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token was already used; the session is revoked")
			return
		case errors.Is(err, ErrInvalidRefreshToken):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "the refresh token is invalid, expired or revoked")
			return
		case err != nil:
			w.Header().Set("Retry-After", "5")
			oauthError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "try again later")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Pragma", "no-cache")
		json.NewEncoder(w).Encode(tokens)
	})
}

func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}
