package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/authgen/authgen/examples/aichat/aichatauth"
	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/filestore"
	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/jwtauth"
)

// newServer wires the generated middleware in front of the API's handlers.
func newServer(cfg config) (http.Handler, error) {
	jwtVerifier, err := jwtauth.New(cfg.jwtKeys, cfg.jwtOptions...)
	if err != nil {
		return nil, fmt.Errorf("JWT verifier: %w", err)
	}
	var store apikey.Admin
	if cfg.keysFile != "" {
		// Reloaded when `authgen keys ...` changes it; a bad edit keeps the
		// last good set.
		fs, err := filestore.Open(cfg.keysFile)
		if err != nil {
			return nil, fmt.Errorf("AICHAT_API_KEYS: %w", err)
		}
		store = fs
	} else {
		ms, err := apikey.NewMemoryStore(cfg.keys...)
		if err != nil {
			return nil, fmt.Errorf("API keys: %w", err)
		}
		store = ms
	}
	keyVerifier, err := apikey.NewVerifier(store)
	if err != nil {
		return nil, fmt.Errorf("API keys: %w", err)
	}
	auth, err := aichatauth.New(aichatauth.Config{
		BearerAuth: jwtVerifier,
		APIKeyAuth: keyVerifier,
		Options: authrt.Options{
			TrustedProxies: cfg.trustedProxies,
			AuditLogger:    cfg.audit,
		},
	})
	if err != nil {
		return nil, err
	}
	api := &api{store: store}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", api.chat)
	mux.HandleFunc("POST /v1/chat/completions/premium", api.premium)
	mux.HandleFunc("POST /v1/embeddings", api.embed)
	mux.HandleFunc("GET /v1/models", api.models)
	mux.HandleFunc("GET /v1/health", api.health)
	mux.HandleFunc("DELETE /v1/admin/keys/{keyId}", api.revokeKey)
	return auth.Middleware(mux), nil
}

type api struct {
	store apikey.Admin
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// caller names who called, by subject and key ID: never by credential.
func caller(r *http.Request) map[string]any {
	p, ok := authrt.PrincipalFrom(r.Context())
	if !ok {
		return nil
	}
	return map[string]any{"subject": p.Subject, "key_id": p.KeyID, "schemes": p.Schemes, "scopes": p.Scopes}
}

func (a *api) chat(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"object":  "chat.completion",
		"model":   "example-small",
		"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": "Hello from aichat."}}},
		"caller":  caller(r),
	})
}

// premium serves the large model; the middleware has checked the plan claim.
func (a *api) premium(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"object":  "chat.completion",
		"model":   "example-large",
		"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": "Hello from the large model."}}},
		"caller":  caller(r),
	})
}

func (a *api) embed(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{map[string]any{"embedding": []float64{0.1, 0.2, 0.3}}}, "caller": caller(r)})
}

// models answers anyone; an authenticated caller also sees the private model.
func (a *api) models(w http.ResponseWriter, r *http.Request) {
	models := []string{"example-small"}
	if _, ok := authrt.PrincipalFrom(r.Context()); ok {
		models = append(models, "example-large-private")
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "models": models, "caller": caller(r)})
}

func (a *api) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// revokeKey revokes an API key by ID. The middleware has already required
// a bearer token with ai.admin AND a valid API key.
func (a *api) revokeKey(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("keyId")
	if _, err := apikey.Revoke(r.Context(), a.store, id); err != nil {
		if errors.Is(err, apikey.ErrNotFound) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such key"})
			return
		}
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the key store failed"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
