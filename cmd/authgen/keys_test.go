package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/filestore"
)

func TestKeysUsage(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.yaml")
	t.Setenv("SHORT_PEPPER", "short")
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"no subcommand", []string{"keys"}, 2, "Commands:"},
		{"help", []string{"keys", "--help"}, 0, "rotate"},
		{"help via authgen help", []string{"help", "keys"}, 0, "revoke"},
		{"unknown subcommand", []string{"keys", "mint"}, 2, `unknown command "mint"`},
		{"subcommand help", []string{"keys", "new", "--help"}, 0, "--expires"},
		{"new without prefix", []string{"keys", "new"}, 2, "--prefix is required"},
		{"new with a bad prefix", []string{"keys", "new", "--prefix", "SK-Live"}, 1, "invalid key prefix"},
		{"two stores", []string{"keys", "new", "--prefix", "sk", "-f", file, "--redis", "redis://127.0.0.1:1"}, 2, "give one store"},
		{"bad expiry", []string{"keys", "new", "--prefix", "sk", "--expires", "soon"}, 2, "--expires"},
		{"negative expiry", []string{"keys", "new", "--prefix", "sk", "--expires", "-1h"}, 2, "must be positive"},
		{"expiry before start", []string{"keys", "new", "--prefix", "sk", "--not-before", "2d", "--expires", "1d"}, 1, "not after not-before"},
		{"bad network", []string{"keys", "new", "--prefix", "sk", "--networks", "10.0.0.0/33"}, 2, "--networks"},
		{"bad meta", []string{"keys", "new", "--prefix", "sk", "--meta", "plan"}, 2, "want key=value"},
		{"bad meta JSON", []string{"keys", "new", "--prefix", "sk", "--meta-json", "[1]"}, 2, "want a JSON object"},
		{"bad output", []string{"keys", "new", "--prefix", "sk", "-o", "xml"}, 2, "want text or json"},
		{"extra argument", []string{"keys", "new", "--prefix", "sk", "oops"}, 2, "want 0 argument"},
		{"short pepper", []string{"keys", "new", "--prefix", "sk", "--pepper-env", "SHORT_PEPPER"}, 1, "want at least 16"},
		{"rotate without ID", []string{"keys", "rotate", "-f", file}, 2, "want 1 argument"},
		{"rotate bad overlap", []string{"keys", "rotate", "k1", "-f", file, "--overlap", "-1h"}, 2, "--overlap"},
		{"rotate without store", []string{"keys", "rotate", "k1"}, 1, "no store"},
		{"revoke in a missing file", []string{"keys", "revoke", "k1", "-f", file}, 1, "no such file"},
		{"list with a bad extension", []string{"keys", "list", "-f", filepath.Join(dir, "keys.txt")}, 1, "cannot tell the format"},
		{"bad Redis URL", []string{"keys", "list", "--redis", "http://x"}, 1, "--redis"},
		{"Redis down", []string{"keys", "list", "--redis", "redis://127.0.0.1:1"}, 1, "Redis 127.0.0.1:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.contains) {
				t.Errorf("authgen %v: exit %d, output %q; want exit %d containing %q", tc.args, code, out+errs, tc.code, tc.contains)
			}
		})
	}
}

// keyIn returns the key printed in text output: the indented line after
// "shown once".
func keyIn(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if k, ok := strings.CutPrefix(line, "    "); ok {
			if _, err := apikey.ParseKey(k); err != nil {
				t.Fatalf("printed key %q does not parse: %v", k, err)
			}
			return k
		}
	}
	t.Fatalf("no key in output:\n%s", out)
	return ""
}

// cliOut is the JSON output of keys new and rotate.
type cliOut struct {
	Key    string         `json:"key"`
	Record *apikey.Record `json:"record"`
	Old    *apikey.Record `json:"old"`
}

func decodeOut(t *testing.T, out string) cliOut {
	t.Helper()
	var o cliOut
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return o
}

// storeArgs is how a test names a store on the command line, and how it
// opens the same store to check what the CLI did.
type storeArgs struct {
	name string
	args []string
	open func(t *testing.T) apikey.Admin
	// dump returns everything the store holds, to check that no key is in
	// it.
	dump func(t *testing.T) string
}

func fileStore(path string) storeArgs {
	return storeArgs{
		name: filepath.Ext(path) + " file",
		args: []string{"--file", path},
		open: func(t *testing.T) apikey.Admin {
			s, err := filestore.Open(path, filestore.WithReloadInterval(0))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		dump: func(t *testing.T) string { b, _ := os.ReadFile(path); return string(b) },
	}
}

func TestKeysLifecycle(t *testing.T) {
	dir := t.TempDir()
	stores := []storeArgs{fileStore(filepath.Join(dir, "keys.yaml")), fileStore(filepath.Join(dir, "keys.json"))}
	if s, ok := redisStoreArgs(t); ok {
		stores = append(stores, s)
	}
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { testKeysLifecycle(t, s) })
	}
}

func testKeysLifecycle(t *testing.T, s storeArgs) {
	t.Setenv("TEST_PEPPER", "cli-test-pepper-0123456789")
	cli := func(args ...string) (string, string) {
		t.Helper()
		code, out, errs := runCLI(t, append(append([]string{"keys"}, args...), append(s.args, "--pepper-env", "TEST_PEPPER")...)...)
		if code != 0 {
			t.Fatalf("authgen keys %v: exit %d\n%s%s", args, code, out, errs)
		}
		return out, errs
	}
	ctx := context.Background()

	// new, in both output forms.
	out, errs := cli("new", "--prefix", "sk_live", "--name", "billing", "--scopes", "chat:generate,models:read",
		"--expires", "90d", "--networks", "10.0.0.0/8,192.0.2.7", "--meta", "plan=pro", "--meta-json", `{"rpm":600}`)
	key1 := keyIn(t, out)
	if !strings.Contains(out, "Stored in ") || strings.Contains(errs, key1) {
		t.Errorf("new: stdout %q stderr %q", out, errs)
	}
	out, _ = cli("new", "--prefix", "sk_live", "--name", "search", "--id", "key_search", "-o", "json")
	o := decodeOut(t, out)
	if o.Record.ID != "key_search" || o.Key == "" {
		t.Fatalf("new -o json = %+v", o)
	}
	key2 := o.Key

	h := apikey.NewHasher([]byte("cli-test-pepper-0123456789"))
	now := time.Now()
	clock := now
	var v *apikey.Verifier
	// reopen makes v read the store afresh, as a server would after the
	// store's reload or change message.
	reopen := func() {
		var err error
		v, err = apikey.NewVerifier(s.open(t), apikey.WithHasher(h), apikey.WithPrefixes("sk_live"),
			apikey.WithClock(func() time.Time { return clock }))
		if err != nil {
			t.Fatal(err)
		}
	}
	reopen()
	inside := apikey.WithClientAddr(ctx, mustAddr(t, "10.1.2.3"))
	id, err := v.Verify(inside, key1)
	if err != nil {
		t.Fatalf("the key printed by new does not verify against the store: %v", err)
	}
	if id.Subject != "billing" || !id.HasScope("models:read") || id.Claims["plan"] != "pro" || id.Claims["rpm"] != 600.0 ||
		id.ExpiresAt.Sub(now) < 89*24*time.Hour {
		t.Errorf("identity = %+v", id)
	}
	if _, err := v.Verify(apikey.WithClientAddr(ctx, mustAddr(t, "203.0.113.1")), key1); !errors.Is(err, apikey.ErrNetworkNotAllowed) {
		t.Errorf("key from outside its networks: %v", err)
	}

	// rotate: a successor, and the old key works for the overlap only.
	out, _ = cli("rotate", "key_search", "--overlap", "2h", "--new-id", "key_search2")
	key3 := keyIn(t, out)
	if !strings.Contains(out, "Old key key_search works until") {
		t.Errorf("rotate output:\n%s", out)
	}
	reopen()
	for _, k := range []string{key2, key3} {
		if _, err := v.Verify(ctx, k); err != nil {
			t.Errorf("during the overlap: %v", err)
		}
	}
	clock = now.Add(2*time.Hour + time.Minute)
	if _, err := v.Verify(ctx, key2); !errors.Is(err, apikey.ErrKeyExpired) {
		t.Errorf("old key after the overlap: %v, want expired", err)
	}
	if id, err := v.Verify(ctx, key3); err != nil || id.Subject != "search" || id.KeyID != "key_search2" {
		t.Errorf("successor after the overlap: %+v, %v", id, err)
	}
	clock = now

	// The pepper forgotten (or another one): refused, the store unchanged,
	// instead of a successor or a new key that the server cannot find.
	before := s.dump(t)
	t.Setenv("OTHER_PEPPER", "another-pepper-0123456789")
	for _, args := range [][]string{
		{"keys", "rotate", "key_search2"},
		{"keys", "new", "--prefix", "sk_live", "--name", "forgot"},
		{"keys", "new", "--prefix", "sk_live", "--name", "other", "--pepper-env", "OTHER_PEPPER"},
	} {
		code, out, errs := runCLI(t, append(args, s.args...)...)
		if code != 1 || !strings.Contains(errs, "was hashed with pepper ") || !strings.Contains(errs, "--pepper-env") ||
			strings.Contains(out, "sk_live_") {
			t.Errorf("%v with the wrong pepper: exit %d\nstdout %s\nstderr %s", args, code, out, errs)
		}
	}
	if s.dump(t) != before {
		t.Error("a refused command with the wrong pepper changed the store")
	}

	// revoke.
	out, _ = cli("revoke", "key_search2")
	if !strings.Contains(out, "Revoked in ") || !strings.Contains(out, "(revoked)") {
		t.Errorf("revoke output: %s", out)
	}
	reopen()
	if _, err := v.Verify(ctx, key3); !errors.Is(err, apikey.ErrKeyRevoked) {
		t.Errorf("revoked key: %v", err)
	}
	if code, _, errs := runCLI(t, append([]string{"keys", "revoke", "nope"}, s.args...)...); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("revoke unknown: exit %d, %s", code, errs)
	}
	if code, _, errs := runCLI(t, append([]string{"keys", "rotate", "key_search2"}, s.args...)...); code != 1 || !strings.Contains(errs, "revoked") {
		t.Errorf("rotate revoked: exit %d, %s", code, errs)
	}

	// list, in both forms: IDs and states, never hashes or keys in text.
	out, _ = cli("list")
	for _, want := range []string{"ID", "key_search ", "key_search2", "revoked", "billing", "sk_live"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "sha256:") {
		t.Errorf("list shows hashes:\n%s", out)
	}
	out, _ = cli("list", "-o", "json")
	var list []apikey.Record
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 3 {
		t.Fatalf("list -o json: %v, %d records", err, len(list))
	}

	dump := s.dump(t)
	for _, k := range []string{key1, key2, key3} {
		if strings.Contains(dump, k) {
			t.Errorf("the store holds a key")
		}
	}
}

func TestKeysNewWithoutStore(t *testing.T) {
	code, out, _ := runCLI(t, "keys", "new", "--prefix", "sk_test", "--name", "x", "--scopes", "a")
	if code != 0 || !strings.Contains(out, "Record to add to your key store") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	key := keyIn(t, out)
	var rec apikey.Record
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Hash != apikey.HashKey(key) || rec.Name != "x" || rec.Prefix != "sk_test" || strings.Contains(out[strings.Index(out, "{"):], key) {
		t.Errorf("record = %+v", rec)
	}
}

func TestKeysHash(t *testing.T) {
	minted, _ := apikey.NewKey("sk_live")
	file := filepath.Join(t.TempDir(), "keys.json")
	t.Setenv("TEST_PEPPER", "cli-test-pepper-0123456789")
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		wantHash apikey.Hash
		contains string
	}{
		{"authgen key", minted + "\n", []string{"--name", "imported", "-o", "json"}, 0, apikey.HashKey(minted), `"prefix": "sk_live"`},
		{"peppered", minted, []string{"--pepper-env", "TEST_PEPPER", "-o", "json"}, 0,
			apikey.NewHasher([]byte("cli-test-pepper-0123456789")).Hash(minted), `"hash"`},
		{"legacy key", "legacy-key-0123456789abcdef\r\n", []string{"-o", "json"}, 0, apikey.HashKey("legacy-key-0123456789abcdef"), "not in authgen's format"},
		{"stored", minted, []string{"-f", file, "--id", "k-imported"}, 0, apikey.Hash{}, "Stored in " + file},
		{"stored twice", minted, []string{"-f", file, "--id", "k-again"}, 1, apikey.Hash{}, "duplicate key hash"},
		{"wrong prefix", minted, []string{"--prefix", "sk_test"}, 1, apikey.Hash{}, `not "sk_test"`},
		{"empty", "\n", nil, 1, apikey.Hash{}, "no key on standard input"},
		{"too short", "abc", nil, 1, apikey.Hash{}, "malformed API key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := runKeysHashFrom(strings.NewReader(tc.stdin), tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.contains) {
				t.Fatalf("exit %d, output %q; want exit %d containing %q", code, out.String()+errb.String(), tc.code, tc.contains)
			}
			if strings.Contains(out.String()+errb.String(), strings.TrimSpace(tc.stdin)) && strings.TrimSpace(tc.stdin) != "" {
				t.Errorf("the key was printed")
			}
			if !tc.wantHash.IsZero() {
				if o := decodeOut(t, out.String()); o.Record.Hash != tc.wantHash {
					t.Errorf("hash %v, want %v", o.Record.Hash, tc.wantHash)
				}
			}
		})
	}
}

func TestParseKeyTime(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 123, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"never", time.Time{}},
		{"90d", time.Date(2025, 8, 30, 12, 0, 0, 0, time.UTC)},
		{"2w", time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)},
		{"36h", time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)},
		{"1h30m", time.Date(2025, 6, 1, 13, 30, 0, 0, time.UTC)},
		{"2026-01-31", time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"2026-01-31T10:00:00+02:00", time.Date(2026, 1, 31, 8, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		got, err := parseKeyTime(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseKeyTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"soon", "0d", "-2h", "2026-13-01", "d"} {
		if _, err := parseKeyTime(bad, now); err == nil {
			t.Errorf("parseKeyTime(%q) accepted", bad)
		}
	}
}
