// Package idptest runs a fake identity provider for tests: an httptest
// server that publishes an OpenID Connect discovery document and a JWK Set
// whose keys tests add, remove and sign with, and whose failures (status,
// body, headers) tests choose. It counts the requests it serves.
package idptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgen/authgen/runtime/jwtauth"
)

// Paths the server answers.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/jwks"
)

// IdP is a fake identity provider.
type IdP struct {
	Server *httptest.Server

	mu        sync.Mutex
	keys      map[string]signingKey
	published []string          // kids in the set, in order
	status    int               // when not 0, every response has this status
	body      []byte            // when set, the JWKS body
	extra     []json.RawMessage // raw JWKs published after the keys
	header    http.Header
	discovery map[string]any // when set, the discovery document

	JWKSHits      atomic.Int64
	DiscoveryHits atomic.Int64
}

type signingKey struct {
	alg    string
	signer crypto.Signer
}

// New starts an IdP, closed when tb ends.
func New(tb testing.TB) *IdP {
	p := &IdP{keys: map[string]signingKey{}, header: http.Header{}}
	mux := http.NewServeMux()
	mux.HandleFunc(DiscoveryPath, p.serveDiscovery)
	mux.HandleFunc(JWKSPath, p.serveJWKS)
	p.Server = httptest.NewServer(mux)
	tb.Cleanup(p.Server.Close)
	return p
}

// Issuer is the IdP's issuer URL (its server URL).
func (p *IdP) Issuer() string { return p.Server.URL }

// JWKSURL is the URL of the JWK Set.
func (p *IdP) JWKSURL() string { return p.Server.URL + JWKSPath }

// DiscoveryURL is the URL of the discovery document.
func (p *IdP) DiscoveryURL() string { return p.Server.URL + DiscoveryPath }

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// AddKey makes a key for alg (RS256, ES256, EdDSA; the RSA key is the same
// for every kid, generated once) and publishes it under kid.
func (p *IdP) AddKey(kid, alg string) {
	var s crypto.Signer
	var err error
	switch alg {
	case "RS256", "PS256":
		s = rsaKey()
	case "ES256":
		s, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, s, err = ed25519.GenerateKey(rand.Reader)
	default:
		panic("idptest: no key for " + alg)
	}
	if err != nil {
		panic(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[kid] = signingKey{alg: alg, signer: s}
	p.published = append(p.published, kid)
}

// Unpublish removes kid from the set; Sign still signs with it.
func (p *IdP) Unpublish(kid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = slices.DeleteFunc(p.published, func(k string) bool { return k == kid })
}

// AddRawJWK publishes jwk, a JSON object, after the keys of the set.
func (p *IdP) AddRawJWK(jwk string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.extra = append(p.extra, json.RawMessage(jwk))
}

// Sign signs claims with the key kid, naming it in the header.
func (p *IdP) Sign(tb testing.TB, kid string, claims jwt.MapClaims) string {
	tb.Helper()
	p.mu.Lock()
	k, ok := p.keys[kid]
	p.mu.Unlock()
	if !ok {
		k = signingKey{alg: "ES256"}
		k.signer, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k.signer)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Fail makes every response have status (0 to serve normally again).
func (p *IdP) Fail(status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = status
}

// SetBody serves body as the JWK Set instead of the keys (nil to stop).
func (p *IdP) SetBody(body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.body = body
}

// SetHeader sets a header of the JWK Set responses, such as Cache-Control.
func (p *IdP) SetHeader(name, value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.header.Set(name, value)
}

// SetDiscovery serves doc as the discovery document instead of the
// default (issuer and jwks_uri of this IdP).
func (p *IdP) SetDiscovery(doc map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discovery = doc
}

func (p *IdP) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	p.DiscoveryHits.Add(1)
	p.mu.Lock()
	status, doc := p.status, p.discovery
	p.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if doc == nil {
		doc = map[string]any{"issuer": p.Issuer(), "jwks_uri": p.JWKSURL(),
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "EdDSA"}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
}

func (p *IdP) serveJWKS(w http.ResponseWriter, r *http.Request) {
	p.JWKSHits.Add(1)
	p.mu.Lock()
	status, body := p.status, p.body
	for name, v := range p.header {
		w.Header()[name] = v
	}
	var keys []jwtauth.Key
	for _, kid := range p.published {
		k := p.keys[kid]
		keys = append(keys, jwtauth.PublicKey(k.signer.Public(), jwtauth.WithKeyID(kid), jwtauth.WithKeyAlgorithm(k.alg)))
	}
	extra := slices.Clone(p.extra)
	p.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if body == nil {
		var err error
		if body, err = jwtauth.MarshalJWKS(keys); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if len(extra) > 0 {
			var set struct {
				Keys []json.RawMessage `json:"keys"`
			}
			json.Unmarshal(body, &set)
			set.Keys = append(set.Keys, extra...)
			body, _ = json.Marshal(set)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}
