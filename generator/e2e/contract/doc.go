// Package contract drives code generated from openapi.yaml with real HTTP
// requests, one test per rule of authgen's security contract.
package contract

//go:generate go run ../../../cmd/authgen generate --package contract openapi.yaml
