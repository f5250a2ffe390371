package jwtauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"math/big"
)

// MarshalJWKS returns the JWK Set (RFC 7517) of the public keys in keys,
// for a server that publishes the keys it signs with. Each key's ID becomes
// its kid and its Algorithm its alg; every key gets use "sig". HMAC secrets
// are refused (ErrInvalidKey): they must never be published. ParseJWKS
// reads the result back.
func MarshalJWKS(keys []Key) ([]byte, error) {
	type jwk struct {
		Kty string `json:"kty"`
		Use string `json:"use"`
		Kid string `json:"kid,omitempty"`
		Alg string `json:"alg,omitempty"`
		Crv string `json:"crv,omitempty"`
		N   string `json:"n,omitempty"`
		E   string `json:"e,omitempty"`
		X   string `json:"x,omitempty"`
		Y   string `json:"y,omitempty"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(keys))}
	for i, k := range keys {
		if _, err := prepareKey(k); err != nil {
			return nil, fmt.Errorf("key %d%s: %w", i, keyName(k.ID), err)
		}
		j := jwk{Use: "sig", Kid: k.ID, Alg: k.Algorithm}
		switch m := k.Material.(type) {
		case *rsa.PublicKey:
			j.Kty, j.N, j.E = "RSA", b64.EncodeToString(m.N.Bytes()), b64.EncodeToString(big.NewInt(int64(m.E)).Bytes())
		case *ecdsa.PublicKey:
			point, err := m.Bytes()
			if err != nil {
				return nil, fmt.Errorf("key %d%s: %w: %v", i, keyName(k.ID), ErrInvalidKey, err)
			}
			size := (len(point) - 1) / 2
			j.Kty, j.Crv = "EC", m.Curve.Params().Name
			j.X, j.Y = b64.EncodeToString(point[1:1+size]), b64.EncodeToString(point[1+size:])
		case ed25519.PublicKey:
			j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64.EncodeToString(m)
		default:
			return nil, fmt.Errorf("key %d%s: %w: an HMAC secret is never published", i, keyName(k.ID), ErrInvalidKey)
		}
		set.Keys = append(set.Keys, j)
	}
	return json.Marshal(set)
}
