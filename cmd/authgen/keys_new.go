package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
)

// keyFlags are the flags that describe a key's record.
type keyFlags struct {
	id, prefix, name   string
	scopes, networks   []string
	expires, notBefore string
	meta               []string
	metaJSON           string
}

func (f *keyFlags) add(e *keysEnv) {
	e.fs.StringVar(&f.id, "id", "", "record ID (default: key_<random>)")
	e.fs.StringVar(&f.name, "name", "", "the key's owner: a service, team or customer (the principal's subject)")
	e.fs.StringSliceVar(&f.scopes, "scopes", nil, "scopes the key grants, comma-separated")
	e.fs.StringVar(&f.expires, "expires", "", "when the key expires: 90d, 2w, 36h, 2026-01-31 or an RFC 3339 time (default: never)")
	e.fs.StringVar(&f.notBefore, "not-before", "", "when the key starts working (same forms as --expires; default: now)")
	e.fs.StringSliceVar(&f.networks, "networks", nil, "client networks the key may be used from: CIDRs or addresses, comma-separated (default: any)")
	e.fs.StringArrayVar(&f.meta, "meta", nil, "metadata handed to handlers as a claim, key=value (repeatable; the value is a string)")
	e.fs.StringVar(&f.metaJSON, "meta-json", "", "metadata as a JSON object, e.g. '{\"models\":[\"small\"],\"rpm\":600}'")
}

// spec builds the key spec from the flags.
func (f *keyFlags) spec(now time.Time) (apikey.KeySpec, error) {
	s := apikey.KeySpec{ID: f.id, Prefix: f.prefix, Name: f.name, Scopes: f.scopes}
	var err error
	if s.ExpiresAt, err = parseKeyTime(f.expires, now); err != nil {
		return s, fmt.Errorf("--expires %w", err)
	}
	if s.NotBefore, err = parseKeyTime(f.notBefore, now); err != nil {
		return s, fmt.Errorf("--not-before %w", err)
	}
	for _, n := range f.networks {
		p, err := apikey.ParseNetwork(strings.TrimSpace(n))
		if err != nil {
			return s, fmt.Errorf("--networks: %w", err)
		}
		s.Networks = append(s.Networks, p)
	}
	if f.metaJSON != "" {
		if err := json.Unmarshal([]byte(f.metaJSON), &s.Metadata); err != nil || s.Metadata == nil {
			return s, fmt.Errorf("--meta-json: want a JSON object: %v", err)
		}
	}
	for _, kv := range f.meta {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return s, fmt.Errorf("--meta %q: want key=value", kv)
		}
		if s.Metadata == nil {
			s.Metadata = map[string]any{}
		}
		s.Metadata[k] = v
	}
	return s, nil
}

func runKeysNew(args []string, stdout, stderr io.Writer) int {
	e := newKeysEnv("new", "new --prefix PREFIX [--name NAME] [--scopes A,B] [--expires 90d] [--file F | --redis URL]", stdout, stderr)
	var f keyFlags
	e.fs.StringVar(&f.prefix, "prefix", "", "the key's prefix, e.g. sk_live (required): lowercase words joined by _")
	f.add(e)
	if code := e.parse(args, 0); code >= 0 {
		return code
	}
	if f.prefix == "" {
		e.usageError("--prefix is required")
		return 2
	}
	now := time.Now()
	spec, err := f.spec(now)
	if err != nil {
		e.usageError("%v", err)
		return 2
	}
	h, err := e.hasher()
	if err != nil {
		return e.fail(err)
	}
	key, rec, err := apikey.Mint(h, spec, now)
	if err != nil {
		return e.fail(err)
	}
	return e.store(&rec, key)
}

func runKeysHash(args []string, stdout, stderr io.Writer) int {
	return runKeysHashFrom(os.Stdin, args, stdout, stderr)
}

// runKeysHashFrom is "keys hash" reading the key from stdin.
func runKeysHashFrom(stdin io.Reader, args []string, stdout, stderr io.Writer) int {
	e := newKeysEnv("hash", "hash [--name NAME] [--scopes A,B] [--file F | --redis URL] < key", stdout, stderr)
	var f keyFlags
	e.fs.StringVar(&f.prefix, "prefix", "", "require the key to be in authgen's format with this prefix")
	f.add(e)
	if code := e.parse(args, 0); code >= 0 {
		return code
	}
	now := time.Now()
	spec, err := f.spec(now)
	if err != nil {
		e.usageError("%v", err)
		return 2
	}
	key, err := readKeyLine(stdin)
	if err != nil {
		return e.fail(err)
	}
	h, err := e.hasher()
	if err != nil {
		return e.fail(err)
	}
	rec, err := apikey.Import(h, key, spec, now)
	if err != nil {
		return e.fail(err)
	}
	if rec.Prefix == "" {
		fmt.Fprintf(stderr, "note: the key is not in authgen's format: verifiers with apikey.WithPrefixes refuse it, and it cannot be rotated\n")
	}
	return e.store(&rec, "")
}

// readKeyLine reads one key, the first line of r, never echoing it.
func readKeyLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the key from standard input: %w", err)
	}
	key := strings.TrimSpace(line)
	if key == "" {
		return "", errors.New("no key on standard input (authgen keys hash < file, or echo \"$KEY\" | authgen keys hash)")
	}
	return key, nil
}

// checkStorePepper refuses rec when the store's records were hashed with
// another pepper (a missing or wrong --pepper-env): its key would be
// refused by the server that verifies the others.
func checkStorePepper(ctx context.Context, a apikey.Admin, rec *apikey.Record) error {
	records, err := a.List(ctx)
	if err != nil {
		return err
	}
	for _, r := range records {
		if err := apikey.CheckPepper(r, rec.PepperID); err != nil {
			return fmt.Errorf("%w (check --pepper-env)", err)
		}
	}
	return nil
}

// store adds rec to the store if one was given, and prints the key (if
// any) once and the record.
func (e *keysEnv) store(rec *apikey.Record, key string) int {
	stored := ""
	if e.hasStore() {
		ctx := context.Background()
		a, closeStore, err := e.open(ctx, true)
		if err != nil {
			return e.fail(err)
		}
		defer closeStore()
		if err := checkStorePepper(ctx, a, rec); err != nil {
			return e.fail(err)
		}
		if err := a.Create(ctx, *rec); err != nil {
			return e.fail(err)
		}
		stored = e.where()
	}
	if e.output == "json" {
		e.writeJSON(struct {
			Key      string         `json:"key,omitempty"`
			Record   *apikey.Record `json:"record"`
			StoredIn string         `json:"stored_in,omitempty"`
		}{key, rec, stored})
		return 0
	}
	if key != "" {
		fmt.Fprintf(e.stdout, "API key (shown once; authgen keeps only its hash, so hand it over now):\n\n    %s\n\n", key)
	}
	if stored != "" {
		fmt.Fprintf(e.stdout, "Stored in %s: %s\n", stored, describeRecord(rec, time.Now()))
		return 0
	}
	b, _ := json.MarshalIndent(rec, "", "  ")
	fmt.Fprintf(e.stdout, "Record to add to your key store (no --file or --redis given):\n%s\n", b)
	return 0
}
