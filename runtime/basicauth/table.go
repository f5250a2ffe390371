package basicauth

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/authgen/authgen/runtime/authrt"
)

// DefaultIterations is the PBKDF2-SHA256 iteration count HashPassword uses
// (OWASP's 2023 recommendation).
const DefaultIterations = 600_000

// minIterations is the fewest iterations a Table accepts in a stored hash.
const minIterations = 100_000

// User is one row of a Table. PasswordHash comes from HashPassword; the
// password itself is never stored.
type User struct {
	Name         string         `json:"name"`
	PasswordHash string         `json:"password_hash"`
	Scopes       []string       `json:"scopes,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
}

// HashPassword returns "pbkdf2-sha256$<iterations>$<salt>$<hash>" for
// password, with a random 16-byte salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return hashWith(password, salt, DefaultIterations)
}

func hashWith(password string, salt []byte, iter int) (string, error) {
	dk, err := pbkdf2.Key(sha256.New, password, salt, iter, sha256.Size)
	if err != nil {
		return "", err
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", iter, enc.EncodeToString(salt), enc.EncodeToString(dk)), nil
}

type parsedHash struct {
	iter       int
	salt, hash []byte
}

func parseHash(s string) (parsedHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return parsedHash{}, fmt.Errorf("%w: password hash must read pbkdf2-sha256$<iterations>$<salt>$<hash>", ErrConfig)
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < minIterations || iter > 100_000_000 {
		return parsedHash{}, fmt.Errorf("%w: password hash iterations %q out of range (at least %d)", ErrConfig, parts[1], minIterations)
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[2])
	hash, err2 := enc.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(hash) != sha256.Size {
		return parsedHash{}, fmt.Errorf("%w: password hash has a bad salt or hash", ErrConfig)
	}
	return parsedHash{iter: iter, salt: salt, hash: hash}, nil
}

// Table checks Basic credentials against a fixed set of users.
type Table struct {
	users map[string]tableUser
	// dummies are checked for unknown users, one per iteration count the
	// table uses, chosen by a hash of the user name, so that an unknown
	// name takes as long as a known one would.
	dummies []parsedHash
	// slots bounds the PBKDF2 runs at once: each costs a CPU core for
	// ~100 ms, and a flood of guesses must not take every core.
	slots chan struct{}
}

type tableUser struct {
	User
	h parsedHash
}

// NewTable builds a Table; it fails on an empty or duplicate name, a name
// with a colon, or a malformed hash.
func NewTable(users ...User) (*Table, error) {
	t := &Table{users: make(map[string]tableUser, len(users))}
	for i, u := range users {
		if u.Name == "" || strings.Contains(u.Name, ":") {
			return nil, fmt.Errorf("%w: user %d: name must be non-empty and without ':'", ErrConfig, i)
		}
		if _, dup := t.users[u.Name]; dup {
			return nil, fmt.Errorf("%w: user %q listed twice", ErrConfig, u.Name)
		}
		h, err := parseHash(u.PasswordHash)
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", u.Name, err)
		}
		t.users[u.Name] = tableUser{User: u, h: h}
	}
	counts := map[int]bool{}
	for _, u := range t.users {
		counts[u.h.iter] = true
	}
	if len(counts) == 0 {
		counts[DefaultIterations] = true
	}
	for iter := range counts {
		salt := make([]byte, 16)
		rand.Read(salt)
		t.dummies = append(t.dummies, parsedHash{iter: iter, salt: salt, hash: make([]byte, sha256.Size)})
	}
	sort.Slice(t.dummies, func(i, j int) bool { return t.dummies[i].iter < t.dummies[j].iter })
	t.slots = make(chan struct{}, runtime.GOMAXPROCS(0))
	return t, nil
}

// Verify implements authrt.Verifier for the decoded "user-id:password". At
// most GOMAXPROCS checks run at once; the others wait, or fail with the
// context's error (a 503, not a pass) when the request is abandoned.
func (t *Table) Verify(ctx context.Context, cred string) (*authrt.Identity, error) {
	user, password, err := split(cred)
	if err != nil {
		return nil, err
	}
	u, ok := t.users[user]
	h := u.h
	if !ok {
		f := fnv.New32a()
		f.Write([]byte(user))
		h = t.dummies[int(f.Sum32()%uint32(len(t.dummies)))]
	}
	select {
	case t.slots <- struct{}{}:
		defer func() { <-t.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("basicauth: waiting to check a password: %w", ctx.Err())
	}
	dk, err := pbkdf2.Key(sha256.New, password, h.salt, h.iter, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("basicauth: hashing: %w", err)
	}
	if subtle.ConstantTimeCompare(dk, h.hash) != 1 || !ok {
		return nil, authrt.Rejectf("unknown user or wrong password", ErrBadCredentials)
	}
	return &authrt.Identity{Subject: u.Name, Scopes: u.Scopes, Claims: u.Metadata}, nil
}
