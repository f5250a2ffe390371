// Command aichat is an example AI API secured by code that authgen generated
// from openapi.yaml. Run it from the repository root:
//
//	go generate ./examples/aichat && go run ./examples/aichat
//
// Its secrets come from the environment:
//
//	AICHAT_ADDR           listen address (default localhost:8080)
//	AICHAT_JWT_SECRET     HMAC secret for HS256 bearer tokens (at least 32 bytes)
//	AICHAT_JWT_PUBLIC_KEY path to a PEM public key (RS*, PS*, ES*, EdDSA)
//	AICHAT_JWT_JWKS       path to a JWK Set file
//	AICHAT_JWT_ISSUER     required "iss" of tokens, if set
//	AICHAT_JWT_AUDIENCE   required "aud" of tokens, if set
//	AICHAT_API_KEYS       path to a key file (JSON or YAML records: hashes, never keys)
//	                      made with `authgen keys new --file`; reloaded when it changes
//	AICHAT_TRUSTED_PROXIES comma-separated proxies whose X-Forwarded-For is believed
//
// With none of the JWT and key variables set it runs in dev mode: it makes a
// random secret and key, and prints a sample token, the key and curl lines.
package main

//go:generate go run github.com/authgen/authgen/cmd/authgen generate --package aichatauth --output aichatauth/openapi_auth_gen.go openapi.yaml
//go:generate go run github.com/authgen/authgen/cmd/authgen report --output security-report.md openapi.yaml

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(0)
	if err := run(os.Getenv, os.Stdout); err != nil {
		log.Fatalf("aichat: %v", err)
	}
}

func run(getenv func(string) string, out io.Writer) error {
	cfg, dev, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	cfg.audit = slog.New(slog.NewTextHandler(os.Stderr, nil))
	if p := getenv("AICHAT_TRUSTED_PROXIES"); p != "" {
		cfg.trustedProxies = strings.Split(p, ",")
	}
	addr := getenv("AICHAT_ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	handler, err := newServer(cfg)
	if err != nil {
		return err
	}
	if dev != nil {
		printDevHelp(out, addr, dev)
	}
	srv := &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Fprintf(out, "aichat listening on http://%s/v1\n", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
