// Package oidc builds a jwtauth.Verifier from an OpenID Connect discovery
// URL, the openIdConnectUrl of an OpenAPI openIdConnect security scheme:
// the discovery document (OpenID Connect Discovery 1.0) gives the issuer,
// which every token's iss must match, and the JWK Set URL, which package
// jwks keeps fresh.
//
//	v, err := oidc.NewVerifier(ctx,
//		"https://idp.example.com/.well-known/openid-configuration",
//		oidc.WithAudience("https://api.example.com"))
//
// The document's issuer must be the discovery URL without
// "/.well-known/openid-configuration" (section 4.3 of the specification),
// or, for an RFC 8414 URL, without "/.well-known/oauth-authorization-server"
// between host and path. Providers that publish another issuer (Azure AD B2C)
// are configured with WithIssuer.
package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authgen/authgen/runtime/internal/httpfetch"
	"github.com/authgen/authgen/runtime/jwks"
	"github.com/authgen/authgen/runtime/jwtauth"
)

// Limits of discovery.
const (
	// MaxDocumentSize is the largest discovery document read: 512 KiB.
	MaxDocumentSize = 512 << 10
	// DefaultTimeout bounds the discovery request.
	DefaultTimeout = 10 * time.Second
)

// Errors of Discover and NewVerifier.
var (
	// ErrDiscovery: the document could not be fetched or is not valid.
	ErrDiscovery = errors.New("oidc: discovery failed")
	// ErrIssuerMismatch: the document's issuer is not the one its URL (or
	// WithIssuer) implies.
	ErrIssuerMismatch = errors.New("oidc: issuer does not match the discovery URL")
	// ErrNoAudience: NewVerifier was given neither WithAudience nor
	// WithAnyAudience.
	ErrNoAudience = errors.New("oidc: no audience configured")
	// ErrInvalidOption: an option was given a value it cannot use.
	ErrInvalidOption = errors.New("oidc: invalid option")
)

// Metadata is what authgen reads of an OpenID Provider's metadata.
type Metadata struct {
	// Issuer is the provider's issuer identifier, the iss of its tokens.
	Issuer string `json:"issuer"`
	// JWKSURI is the URL of the provider's JWK Set.
	JWKSURI string `json:"jwks_uri"`
	// AuthorizationEndpoint and TokenEndpoint are the OAuth 2.0 endpoints.
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string `json:"token_endpoint,omitempty"`
	// ScopesSupported lists the scopes the provider supports.
	ScopesSupported []string `json:"scopes_supported,omitempty"`
	// IDTokenSigningAlgs lists the algorithms of the provider's ID tokens.
	IDTokenSigningAlgs []string `json:"id_token_signing_alg_values_supported,omitempty"`
}

// Discover fetches and checks the discovery document at discoveryURL.
// Only the options WithHTTPClient and WithIssuer apply.
func Discover(ctx context.Context, discoveryURL string, opts ...Option) (*Metadata, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return discover(ctx, discoveryURL, cfg)
}

func discover(ctx context.Context, discoveryURL string, cfg *config) (*Metadata, error) {
	u, err := httpfetch.CheckURL(discoveryURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDiscovery, err)
	}
	want := cfg.issuer
	if want == "" {
		if want = expectedIssuer(u); want == "" {
			return nil, fmt.Errorf("%w: %s is not a /.well-known/openid-configuration or oauth-authorization-server URL; give the issuer with WithIssuer", ErrDiscovery, discoveryURL)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	resp, err := httpfetch.Get(ctx, httpfetch.Client(cfg.client), discoveryURL, MaxDocumentSize)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrDiscovery, discoveryURL, err)
	}
	var md Metadata
	if err := json.Unmarshal(resp.Body, &md); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDiscovery, discoveryURL, err)
	}
	if md.Issuer == "" || md.JWKSURI == "" {
		return nil, fmt.Errorf("%w: %s: the document lacks issuer or jwks_uri", ErrDiscovery, discoveryURL)
	}
	if strings.TrimSuffix(md.Issuer, "/") != strings.TrimSuffix(want, "/") {
		return nil, fmt.Errorf("%w: %s names issuer %q, want %q", ErrIssuerMismatch, discoveryURL, md.Issuer, want)
	}
	if _, err := httpfetch.CheckURL(md.JWKSURI); err != nil {
		return nil, fmt.Errorf("%w: jwks_uri: %w", ErrDiscovery, err)
	}
	return &md, nil
}

// expectedIssuer is the issuer a discovery URL implies, or "" when the URL
// has neither well-known form.
func expectedIssuer(u *url.URL) string {
	const (
		oidcSuffix  = "/.well-known/openid-configuration"
		oauthPrefix = "/.well-known/oauth-authorization-server"
	)
	origin := u.Scheme + "://" + u.Host
	switch {
	case strings.HasSuffix(u.Path, oidcSuffix):
		return origin + strings.TrimSuffix(u.Path, oidcSuffix)
	case u.Path == oauthPrefix || strings.HasPrefix(u.Path, oauthPrefix+"/"):
		return origin + strings.TrimPrefix(u.Path, oauthPrefix)
	}
	return ""
}

// NewVerifier discovers the provider at discoveryURL and returns a Verifier
// of its tokens: signed by a key of its JWK Set (kept fresh by package
// jwks until ctx is done or the Verifier is closed), issued by its issuer,
// for one of the audiences of WithAudience. It fails when discovery or the
// first JWK Set fetch fails, or when no audience is configured: a verifier
// that accepts tokens the provider issued to any other application is
// asked for explicitly, with WithAnyAudience.
func NewVerifier(ctx context.Context, discoveryURL string, opts ...Option) (*jwtauth.Verifier, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if len(cfg.audiences) == 0 && !cfg.anyAudience {
		return nil, ErrNoAudience
	}
	md, err := discover(ctx, discoveryURL, cfg)
	if err != nil {
		return nil, err
	}
	jwksOpts := cfg.jwksOptions
	if cfg.client != nil {
		jwksOpts = append([]jwks.Option{jwks.WithHTTPClient(cfg.client)}, jwksOpts...)
	}
	src, err := jwks.New(ctx, md.JWKSURI, jwksOpts...)
	if err != nil {
		return nil, err
	}
	vopts := []jwtauth.Option{jwtauth.WithIssuer(md.Issuer)}
	if len(cfg.audiences) > 0 {
		vopts = append(vopts, jwtauth.WithAudience(cfg.audiences...))
	}
	v, err := jwtauth.NewFromSource(src, append(vopts, cfg.verifierOptions...)...)
	if err != nil {
		src.Close()
		return nil, err
	}
	return v, nil
}

// Option configures Discover and NewVerifier.
type Option func(*config) error

type config struct {
	client          *http.Client
	issuer          string
	audiences       []string
	anyAudience     bool
	jwksOptions     []jwks.Option
	verifierOptions []jwtauth.Option
}

func newConfig(opts []Option) (*config, error) {
	cfg := &config{}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// WithAudience requires each token's aud to hold one of aud: the
// identifier the provider knows this API (or its client) by.
func WithAudience(aud ...string) Option {
	return func(c *config) error {
		if len(aud) == 0 {
			return fmt.Errorf("%w: WithAudience needs an audience", ErrInvalidOption)
		}
		for _, a := range aud {
			if a == "" {
				return fmt.Errorf("%w: WithAudience with an empty audience", ErrInvalidOption)
			}
		}
		c.audiences = append(c.audiences, aud...)
		return nil
	}
}

// WithAnyAudience accepts tokens whatever their aud: any token the provider
// issued, to any application, is accepted. Use it only with a provider that
// serves this API alone.
func WithAnyAudience() Option {
	return func(c *config) error {
		c.anyAudience = true
		return nil
	}
}

// WithIssuer sets the issuer the document must name, for providers whose
// issuer is not the discovery URL's prefix.
func WithIssuer(iss string) Option {
	return func(c *config) error {
		if iss == "" {
			return fmt.Errorf("%w: empty issuer", ErrInvalidOption)
		}
		c.issuer = iss
		return nil
	}
}

// WithHTTPClient fetches the document and the JWK Set with client.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) error {
		if client == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrInvalidOption)
		}
		c.client = client
		return nil
	}
}

// WithJWKSOptions passes options to jwks.New (refresh bounds, staleness,
// rate limit, logger).
func WithJWKSOptions(opts ...jwks.Option) Option {
	return func(c *config) error {
		c.jwksOptions = append(c.jwksOptions, opts...)
		return nil
	}
}

// WithVerifierOptions passes options to jwtauth.NewFromSource (cache,
// revocation, leeway, algorithms). The issuer and audience are set by
// NewVerifier.
func WithVerifierOptions(opts ...jwtauth.Option) Option {
	return func(c *config) error {
		c.verifierOptions = append(c.verifierOptions, opts...)
		return nil
	}
}
