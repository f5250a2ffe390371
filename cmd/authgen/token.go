package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/authgen/authgen/generator"
	"github.com/authgen/authgen/runtime/issuer"
)

// tokenSecretEnv names the environment variable that may hold the HMAC
// secret, so that it appears neither in the shell history nor in ps.
const tokenSecretEnv = "AUTHGEN_TOKEN_SECRET"

// tokenReserved are the claims set by runToken's own flags.
var tokenReserved = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope"}

// maxTokenTTL bounds a development token's lifetime.
const maxTokenTTL = 30 * 24 * time.Hour

func runToken(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("authgen token", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	alg := fs.String("alg", "", "signing algorithm (default: HS256 for a secret, else from the key: RS256, ES256/384/512, EdDSA)")
	secret := fs.String("secret", "", "HMAC secret, at least 32 bytes (visible in ps and shell history: prefer\n--secret-file or $"+tokenSecretEnv+")")
	secretFile := fs.String("secret-file", "", "file holding the HMAC secret (one trailing newline is dropped)")
	keyFile := fs.String("key-file", "", "PEM private key (PKCS #8, PKCS #1 or SEC 1; RSA, ECDSA or Ed25519)")
	kid := fs.String("kid", "", "key ID for the token header")
	sub := fs.String("sub", "dev-user", "subject (sub claim)")
	scopes := fs.StringSlice("scopes", nil, "granted scopes, comma-separated or repeated (scope claim)")
	claims := fs.StringArray("claim", nil, "extra claim NAME=VALUE, repeatable; VALUE is JSON if it parses\n(42, true, [\"a\"], {\"k\":1}), a string otherwise")
	ttl := fs.Duration("ttl", time.Hour, "lifetime (exp = now + ttl), at most 30 days (720h)")
	iss := fs.String("issuer", "", "issuer (iss claim)")
	aud := fs.StringArray("audience", nil, "audience (aud claim), repeatable")
	jti := fs.String("jti", "", "token ID (jti claim; default: random)")
	schemeName := fs.String("scheme", "", "with SPEC: the bearer, oauth2 or openIdConnect scheme the token is for\n(default: the spec's only one); --scopes are checked against it")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: authgen token [flags] [SPEC]\n\n"+
			"Mints a JWT for development and tests and prints it on standard output:\n"+
			"  export TOKEN=$(authgen token --secret-file dev.secret --sub alice --scopes chat,models)\n"+
			"  export TOKEN=$(authgen token --secret-file dev.secret --scheme oauth openapi.yaml --scopes pets:read)\n"+
			"  curl -H \"Authorization: Bearer $TOKEN\" http://localhost:8080/v1/chat/completions\n\n"+
			"Sign with an HMAC secret (--secret-file, $%s or --secret) or a private key\n"+
			"(--key-file); the server's verifier must hold the same secret or the public key.\n\nFlags:\n%s",
			tokenSecretEnv, fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "authgen token: %v\nRun 'authgen token --help' for usage.\n", err)
		return 2
	}
	if fs.NArg() > 1 || (*schemeName != "" && fs.NArg() == 0) {
		fmt.Fprintln(stderr, "authgen token: takes at most one SPEC, which --scheme needs; see --help")
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "authgen token: "+format+"\n", a...)
		return 2
	}
	key, err := tokenKey(*secret, *secretFile, *keyFile, os.Getenv(tokenSecretEnv))
	if err != nil {
		return usage("%v", err)
	}
	if *ttl <= 0 || *ttl > maxTokenTTL {
		return usage("--ttl must be positive and at most 720h: a development token that outlives a month is a credential nobody rotates")
	}
	body, err := tokenClaims(*claims)
	if err != nil {
		return usage("%v", err)
	}
	var granted []string
	for _, s := range *scopes {
		granted = append(granted, strings.Fields(s)...)
	}
	if fs.NArg() == 1 {
		if code := checkTokenScheme(fs.Arg(0), *schemeName, granted, stderr); code != 0 {
			return code
		}
	}
	if len(granted) > 0 {
		body["scope"] = strings.Join(granted, " ")
	}
	opts := []issuer.SignerOption{issuer.SignWithKeyID(*kid)}
	if *alg != "" {
		opts = append(opts, issuer.SignWithAlgorithm(*alg))
	}
	signer, err := issuer.NewSigner(key, opts...)
	if err != nil {
		return usage("%v", err)
	}
	now := time.Now()
	body["sub"], body["iat"], body["exp"] = *sub, now.Unix(), now.Add(*ttl).Unix()
	body["jti"] = *jti
	if *jti == "" {
		var b [16]byte
		rand.Read(b[:])
		body["jti"] = base64.RawURLEncoding.EncodeToString(b[:])
	}
	if *iss != "" {
		body["iss"] = *iss
	}
	switch len(*aud) {
	case 0:
	case 1:
		body["aud"] = (*aud)[0]
	default:
		body["aud"] = *aud
	}
	token, err := signer.Sign(body)
	if err != nil {
		fmt.Fprintf(stderr, "authgen token: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, token)
	return 0
}

// checkTokenScheme picks the spec's scheme the token is for (by name, or
// its only bearer scheme) and checks the scopes against what the scheme
// declares or its operations require, so that a typo fails here and not as
// a 403 later.
func checkTokenScheme(specPath, name string, scopes []string, stderr io.Writer) int {
	data, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintf(stderr, "authgen: %v\n", err)
		return 1
	}
	schemes, err := generator.Schemes(data, specPath, generator.Config{ReadFile: os.ReadFile, DropUnsupported: true})
	if err != nil {
		printProblems(stderr, err)
		return 1
	}
	var bearer []generator.SchemeInfo
	var chosen *generator.SchemeInfo
	for i, s := range schemes {
		if s.Bearer {
			bearer = append(bearer, s)
		}
		if s.Name == name {
			chosen = &schemes[i]
		}
	}
	names := func(list []generator.SchemeInfo) string {
		var n []string
		for _, s := range list {
			n = append(n, s.Name)
		}
		return strings.Join(n, ", ")
	}
	switch {
	case name != "" && chosen == nil:
		fmt.Fprintf(stderr, "authgen token: %s has no security scheme %q (bearer schemes: %s)\n", specPath, name, names(bearer))
		return 2
	case name != "" && !chosen.Bearer:
		fmt.Fprintf(stderr, "authgen token: scheme %q is %s, not a bearer token scheme; for API keys use authgen keys new\n", name, chosen.Type)
		return 2
	case name == "" && len(bearer) != 1:
		fmt.Fprintf(stderr, "authgen token: %s has %d bearer schemes (%s): choose one with --scheme\n", specPath, len(bearer), names(bearer))
		return 2
	case name == "":
		chosen = &bearer[0]
	}
	known := slices.Compact(slices.Sorted(slices.Values(append(append([]string{}, chosen.Declared...), chosen.Used...))))
	for _, sc := range scopes {
		if len(known) > 0 && !slices.Contains(known, sc) {
			fmt.Fprintf(stderr, "authgen token: scope %q is neither declared by scheme %q nor required by any operation (known: %s)\n", sc, chosen.Name, strings.Join(known, " "))
			return 2
		}
	}
	return 0
}

// tokenKey returns the signing key from exactly one of the sources. Errors
// never contain the secret.
func tokenKey(secret, secretFile, keyFile, envSecret string) (any, error) {
	given := 0
	for _, s := range []string{secret, secretFile, keyFile} {
		if s != "" {
			given++
		}
	}
	if given == 0 && envSecret != "" {
		return []byte(envSecret), nil
	}
	switch {
	case given != 1:
		return nil, fmt.Errorf("give exactly one of --secret, --secret-file, --key-file (or $%s)", tokenSecretEnv)
	case secret != "":
		return []byte(secret), nil
	case secretFile != "":
		data, err := os.ReadFile(secretFile)
		if err != nil {
			return nil, err
		}
		data = bytes.TrimSuffix(bytes.TrimSuffix(data, []byte("\n")), []byte("\r"))
		return data, nil
	}
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	key, err := issuer.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	return key, nil
}

// tokenClaims parses NAME=VALUE pairs.
func tokenClaims(pairs []string) (map[string]any, error) {
	claims := map[string]any{}
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--claim %q: want NAME=VALUE", p)
		}
		if slices.Contains(tokenReserved, name) {
			return nil, fmt.Errorf("--claim %s: set it with its own flag", name)
		}
		if _, dup := claims[name]; dup {
			return nil, fmt.Errorf("--claim %s given twice", name)
		}
		var v any = value
		if json.Valid([]byte(value)) {
			dec := json.NewDecoder(strings.NewReader(value))
			dec.UseNumber()
			dec.Decode(&v)
		}
		claims[name] = v
	}
	return claims, nil
}
