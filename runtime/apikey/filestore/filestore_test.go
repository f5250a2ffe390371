package filestore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/apikey/internal/admintest"
)

func TestAdmin(t *testing.T) {
	for _, ext := range []string{".json", ".yaml"} {
		t.Run(ext, func(t *testing.T) {
			admintest.Run(t, func(t *testing.T) apikey.Admin {
				s, err := Open(filepath.Join(t.TempDir(), "keys"+ext), CreateIfMissing(), WithReloadInterval(0))
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

// syncBuffer is a bytes.Buffer for a logger written from the watcher.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// keyFile writes records for keys to path, as authgen would, and returns
// the keys by ID.
func writeKeys(t *testing.T, path string, ids ...string) map[string]string {
	t.Helper()
	f, err := FormatOf(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	var records []apikey.Record
	for _, id := range ids {
		key, rec, err := apikey.Mint(nil, apikey.KeySpec{ID: id, Prefix: "sk_test", Scopes: []string{"read"}}, admintest.T0)
		if err != nil {
			t.Fatal(err)
		}
		keys[id] = key
		records = append(records, rec)
	}
	data, err := Encode(records, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(path, data); err != nil {
		t.Fatal(err)
	}
	return keys
}

// waitFor polls cond every few milliseconds for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

// TestReload edits the file under a running store: good edits are served,
// a corrupt edit keeps the last good set and is logged, and requests for a
// stable key never fail meanwhile.
func TestReload(t *testing.T) {
	for _, ext := range []string{".json", ".yaml"} {
		t.Run(ext, func(t *testing.T) { testReload(t, ext) })
	}
}

func testReload(t *testing.T, ext string) {
	path := filepath.Join(t.TempDir(), "keys"+ext)
	keys := writeKeys(t, path, "k-stable")
	var logs syncBuffer
	s, err := Open(path, WithReloadInterval(5*time.Millisecond),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := apikey.NewVerifier(s, apikey.WithPrefixes("sk_test"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Readers verify the stable key the whole time: not one may fail.
	var stop atomic.Bool
	var failures, verified atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				if _, err := v.Verify(ctx, keys["k-stable"]); err != nil {
					failures.Add(1)
				} else {
					verified.Add(1)
				}
			}
		})
	}

	// A good edit adds a key.
	more := writeKeysKeeping(t, path, keys, "k-new")
	waitFor(t, "the new key", func() bool { _, err := v.Verify(ctx, more["k-new"]); return err == nil })

	// Corrupt edits: each is refused whole, the last good set stays, and
	// the reason is kept (Err) and logged.
	good, _ := os.ReadFile(path)
	corrupt := []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", good[:len(good)/2], ""},
		{"empty", nil, "is empty"},
		{"unknown field", bytes.Replace(good, []byte(`scopes`), []byte(`scopez`), 1), `unknown field "scopez"`},
		{"duplicate ID", duplicateFirst(t, path), "duplicate record ID"},
	}
	if ext == ".json" {
		corrupt = append(corrupt, struct {
			name string
			data []byte
			want string
		}{"duplicate member", bytes.Replace(good, []byte(`"scopes"`), []byte(`"revoked": true, "revoked": false, "scopes"`), 1),
			`member "revoked" appears twice`})
	}
	for _, c := range corrupt {
		if err := writeAtomic(path, c.data); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the refusal of "+c.name, func() bool {
			err := s.Err()
			return err != nil && strings.Contains(err.Error(), c.want)
		})
		if _, err := v.Verify(ctx, more["k-new"]); err != nil {
			t.Errorf("%s: a key of the last good set failed: %v", c.name, err)
		}
		if s.Len() != 2 {
			t.Errorf("%s: serving %d keys, want the last good 2", c.name, s.Len())
		}
		writeAtomic(path, good)
		waitFor(t, "recovery from "+c.name, func() bool { return s.Err() == nil })
	}

	// Written in place, as some editors do: a reader may see the file
	// half-written, and refuses that too.
	for range 5 {
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Millisecond)
	}
	waitFor(t, "the in-place write", func() bool { return s.Err() == nil })

	// A deleted file is an error too; the set stays.
	os.Remove(path)
	waitFor(t, "the refusal of a missing file", func() bool { return s.Err() != nil })
	if _, err := v.Verify(ctx, more["k-new"]); err != nil {
		t.Errorf("missing file: %v", err)
	}

	// A good edit after all that is served, and drops the removed key.
	writeKeysKeeping(t, path, map[string]string{"k-stable": keys["k-stable"]})
	waitFor(t, "the removal of k-new", func() bool {
		_, err := v.Verify(ctx, more["k-new"])
		return errors.Is(err, apikey.ErrUnknownKey)
	})

	stop.Store(true)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d verifications of the stable key failed during edits", n, n+verified.Load())
	}
	log := logs.String()
	wants := []string{"API-key file refused; still serving the last good set", `scopez`,
		"duplicate record ID", "is empty", "no such file", "API-key file reloaded"}
	if ext == ".json" {
		wants = append(wants, `member \"revoked\" appears twice`)
	}
	for _, want := range wants {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	for _, key := range more {
		if strings.Contains(log, key) {
			t.Errorf("log contains a key")
		}
	}
}

// writeKeysKeeping rewrites path with the records of keys (re-hashed:
// records are a function of the key) plus new ones, and returns all keys.
func writeKeysKeeping(t *testing.T, path string, keys map[string]string, newIDs ...string) map[string]string {
	t.Helper()
	f, _ := FormatOf(path)
	all := map[string]string{}
	var records []apikey.Record
	for id, key := range keys {
		rec, err := apikey.Import(nil, key, apikey.KeySpec{ID: id, Scopes: []string{"read"}}, admintest.T0)
		if err != nil {
			t.Fatal(err)
		}
		records, all[id] = append(records, rec), key
	}
	for _, id := range newIDs {
		key, rec, err := apikey.Mint(nil, apikey.KeySpec{ID: id, Prefix: "sk_test"}, admintest.T0)
		if err != nil {
			t.Fatal(err)
		}
		records, all[id] = append(records, rec), key
	}
	data, err := Encode(records, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(path, data); err != nil {
		t.Fatal(err)
	}
	return all
}

// duplicateFirst returns path's records with the first one's ID given to
// the second.
func duplicateFirst(t *testing.T, path string) []byte {
	f, _ := FormatOf(path)
	data, _ := os.ReadFile(path)
	records, err := Decode(data, f)
	if err != nil || len(records) < 2 {
		t.Fatalf("duplicateFirst: %v", err)
	}
	records[1].ID = records[0].ID
	out, err := Encode(records, f)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReloadWaitsForTheWriter: a version of the file younger than the
// settle time is not read yet (a writer may be half way); once it has stood
// unchanged, it is.
func TestReloadWaitsForTheWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.yaml")
	keys := writeKeys(t, path, "k-stable")
	s, err := Open(path, WithReloadInterval(time.Hour), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	writeKeysKeeping(t, path, keys, "k-new")
	now := time.Now()
	if err := os.Chtimes(path, now, now); err != nil {
		t.Fatal(err)
	}
	s.check()
	if s.Len() != 1 {
		t.Fatalf("a version written just now was read: %d records, want 1", s.Len())
	}
	past := now.Add(-time.Second)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	s.check()
	if s.Len() != 2 {
		t.Fatalf("a settled version was not read: %d records, want 2", s.Len())
	}
}

func TestOpenRejects(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`[{"id":"k1","hash":"sha256:00"}]`), 0o600)
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`[]`), 0o600)
	tests := []struct {
		name string
		path string
		opts []Option
		want string
	}{
		{"missing file", filepath.Join(dir, "none.json"), nil, "no such file"},
		{"unknown extension", filepath.Join(dir, "keys.txt"), nil, "cannot tell the format"},
		{"invalid records", bad, nil, "record 1 (id k1)"},
		{"negative interval", good, []Option{WithReloadInterval(-time.Second)}, "negative reload interval"},
		{"nil logger", good, []Option{WithLogger(nil)}, "WithLogger(nil)"},
		{"nil option", good, []Option{nil}, "nil Option"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(tc.path, tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, %v; want an error containing %q", s, err, tc.want)
			}
		})
	}
	s, err := Open(filepath.Join(dir, "keys.conf"), WithFormat(JSON), CreateIfMissing(), WithReloadInterval(0))
	if err != nil || s.Len() != 0 {
		t.Fatalf("Open(WithFormat, CreateIfMissing) = %v, %v", s, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "keys.conf")); fi.Mode().Perm() != 0o600 {
		t.Errorf("new key file has mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestEditsFromTwoProcesses edits one file through two stores (as the CLI
// and a server, or two CLI runs, would): the lock file keeps every change.
func TestEditsFromTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.yaml")
	a, err := Open(path, CreateIfMissing(), WithReloadInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(path, WithReloadInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i, s := range []*Store{a, b, a, b, a, b} {
		wg.Go(func() {
			_, _, err := apikey.Mint(nil, apikey.KeySpec{Prefix: "sk"}, admintest.T0)
			if err != nil {
				t.Error(err)
				return
			}
			if _, _, err := apikey.Issue(ctx, s, nil, apikey.KeySpec{Prefix: "sk", Name: string(rune('a' + i))}, admintest.T0); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if a.Len() != 6 {
		t.Fatalf("%d records after 6 concurrent creates from two stores, want 6", a.Len())
	}
}

func TestEditRefusesCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	s, err := Open(path, CreateIfMissing(), WithReloadInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte(`[{"id": "k1",`), 0o600)
	_, _, err = apikey.Issue(context.Background(), s, nil, apikey.KeySpec{Prefix: "sk"}, admintest.T0)
	if err == nil || !strings.Contains(err.Error(), "not edited until it is fixed") {
		t.Fatalf("Issue on a corrupt file: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != `[{"id": "k1",` {
		t.Fatalf("the corrupt file was overwritten: %s", data)
	}
}
