// Package policy drives code generated from openapi.yaml to test claim
// rules, rate limits and audit records through the real middleware.
package policy

//go:generate go run ../../../cmd/authgen generate --package policy openapi.yaml
