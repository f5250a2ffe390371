package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/jwtauth"
)

// config is what the server needs: the JWT keys and options, and the API-key
// records.
type config struct {
	jwtKeys    []jwtauth.Key
	jwtOptions []jwtauth.Option
	// keys are the API-key records of dev mode and tests; keysFile, the
	// key file (JSON or YAML, reloaded on change) otherwise.
	keys           []apikey.Record
	keysFile       string
	trustedProxies []string
	// audit receives one record per decision; nil for none.
	audit *slog.Logger
}

// devSecrets are made up at startup in dev mode, so the sample credentials
// work against this process only.
type devSecrets struct {
	token, freeToken, key string
}

func configFromEnv(getenv func(string) string) (config, *devSecrets, error) {
	var cfg config
	secret, pemPath, jwksPath, keysPath := getenv("AICHAT_JWT_SECRET"), getenv("AICHAT_JWT_PUBLIC_KEY"), getenv("AICHAT_JWT_JWKS"), getenv("AICHAT_API_KEYS")
	if secret == "" && pemPath == "" && jwksPath == "" && keysPath == "" {
		return devConfig()
	}
	if secret != "" {
		cfg.jwtKeys = append(cfg.jwtKeys, jwtauth.HMAC([]byte(secret)))
	}
	if pemPath != "" {
		data, err := os.ReadFile(pemPath)
		if err != nil {
			return cfg, nil, fmt.Errorf("AICHAT_JWT_PUBLIC_KEY: %w", err)
		}
		keys, err := jwtauth.ParsePEM(data)
		if err != nil {
			return cfg, nil, fmt.Errorf("AICHAT_JWT_PUBLIC_KEY: %w", err)
		}
		cfg.jwtKeys = append(cfg.jwtKeys, keys...)
	}
	if jwksPath != "" {
		keys, err := jwtauth.LoadJWKSFile(jwksPath)
		if err != nil {
			return cfg, nil, fmt.Errorf("AICHAT_JWT_JWKS: %w", err)
		}
		cfg.jwtKeys = append(cfg.jwtKeys, keys...)
	}
	if len(cfg.jwtKeys) == 0 {
		return cfg, nil, errors.New("no JWT key: set AICHAT_JWT_SECRET, AICHAT_JWT_PUBLIC_KEY or AICHAT_JWT_JWKS")
	}
	if iss := getenv("AICHAT_JWT_ISSUER"); iss != "" {
		cfg.jwtOptions = append(cfg.jwtOptions, jwtauth.WithIssuer(iss))
	}
	if aud := getenv("AICHAT_JWT_AUDIENCE"); aud != "" {
		cfg.jwtOptions = append(cfg.jwtOptions, jwtauth.WithAudience(aud))
	}
	cfg.keysFile = keysPath
	return cfg, nil, nil
}

// devConfig makes a random HMAC secret and API key, and a sample token that
// grants every scope of the example for an hour.
func devConfig() (config, *devSecrets, error) {
	secret := make([]byte, 32)
	rand.Read(secret)
	key, err := apikey.NewKey("sk_dev")
	if err != nil {
		return config{}, nil, err
	}
	now := time.Now()
	sign := func(sub, plan, scope string) (string, error) {
		return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": sub, "scope": scope, "plan": plan,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}).SignedString(secret)
	}
	token, err := sign("dev-user", "pro", "ai.chat.generate ai.inference.embedding ai.admin")
	if err != nil {
		return config{}, nil, err
	}
	freeToken, err := sign("free-user", "free", "ai.chat.generate")
	if err != nil {
		return config{}, nil, err
	}
	rec := apikey.NewRecord("key_dev", "dev-integration", key, "ai.chat.generate", "ai.inference.embedding")
	rec.CreatedAt = now
	rec.Metadata = map[string]any{"plan": "free"}
	return config{jwtKeys: []jwtauth.Key{jwtauth.HMAC(secret)}, keys: []apikey.Record{rec}},
		&devSecrets{token: token, freeToken: freeToken, key: key}, nil
}

func printDevHelp(w io.Writer, addr string, dev *devSecrets) {
	fmt.Fprintf(w, `DEV MODE: no AICHAT_JWT_* or AICHAT_API_KEYS set; using a random secret and key
valid for this process only. Do not use dev mode in production.

Sample credentials (paste into another shell):
  # bearer JWT: sub dev-user, plan pro, scopes ai.chat.generate ai.inference.embedding ai.admin, 1h
  export TOKEN=%s
  # bearer JWT: sub free-user, plan free, scope ai.chat.generate, 1h
  export FREE_TOKEN=%s
  # API key: id key_dev, plan free, scopes ai.chat.generate ai.inference.embedding
  export KEY=%s

Try:
  curl -i http://%[4]s/v1/health
  curl -i http://%[4]s/v1/models
  curl -i -X POST http://%[4]s/v1/chat/completions        # 401 with a challenge
  curl -i -X POST http://%[4]s/v1/chat/completions -H "Authorization: Bearer $TOKEN"
  curl -i -X POST http://%[4]s/v1/embeddings -H "X-API-Key: $KEY"
  curl -i -X POST http://%[4]s/v1/embeddings -H "Authorization: Bearer $FREE_TOKEN"   # 403: scope
  curl -i -X POST http://%[4]s/v1/chat/completions/premium -H "Authorization: Bearer $FREE_TOKEN"   # 403: plan
  for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%%{http_code}\n' -X POST http://%[4]s/v1/chat/completions -H "Authorization: Bearer $FREE_TOKEN"; done   # 429
  curl -i -X DELETE http://%[4]s/v1/admin/keys/key_dev -H "Authorization: Bearer $TOKEN" -H "X-API-Key: $KEY"

Every decision is logged to stderr (never a credential).

`, dev.token, dev.freeToken, dev.key, addr)
}
