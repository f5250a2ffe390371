package apikey

import (
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/authgen/authgen/runtime/authrt"
)

// keyPattern is the format, as a secret scanner would write it.
var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*_[0-9A-Za-z]{36}$`)

func TestNewKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for _, prefix := range []string{"sk_live", "sk_test", "ak", "acme2_prod_v1", strings.Repeat("a", MaxPrefixLength)} {
		for range 50 {
			key, err := NewKey(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if !keyPattern.MatchString(key) || !strings.HasPrefix(key, prefix+"_") ||
				len(key) != len(prefix)+1+RandomLength+ChecksumLength {
				t.Fatalf("NewKey(%q) = %q: not in the format", prefix, key)
			}
			if seen[key] {
				t.Fatalf("NewKey made %q twice", key)
			}
			seen[key] = true
			got, err := ParseKey(key)
			if err != nil || got != prefix {
				t.Fatalf("ParseKey(NewKey(%q)) = %q, %v", prefix, got, err)
			}
		}
	}
}

// TestNewKeyUniform checks that every base62 character turns up in the
// random part with about the same frequency (no modulo bias).
func TestNewKeyUniform(t *testing.T) {
	counts := map[byte]int{}
	const keys = 2000
	for range keys {
		key, err := NewKey("sk")
		if err != nil {
			t.Fatal(err)
		}
		for i := 3; i < 3+RandomLength; i++ {
			counts[key[i]]++
		}
	}
	want := keys * RandomLength / 62 // about 968
	for i := range len(base62) {
		if n := counts[base62[i]]; n < want*3/4 || n > want*5/4 {
			t.Errorf("character %q: %d times, want about %d", base62[i], n, want)
		}
	}
}

func TestChecksumIsCRC32OfTheRest(t *testing.T) {
	key, err := NewKey("sk_live")
	if err != nil {
		t.Fatal(err)
	}
	body, sum := key[:len(key)-ChecksumLength], key[len(key)-ChecksumLength:]
	if got := string(appendChecksum(nil, crc32.ChecksumIEEE([]byte(body)))); got != sum {
		t.Fatalf("checksum %q, want base62 CRC-32 %q", sum, got)
	}
	if checksum(body) != crc32.ChecksumIEEE([]byte(body)) {
		t.Fatal("checksum differs from crc32.ChecksumIEEE")
	}
	// A fixed vector, so the format cannot drift unnoticed.
	const fixed = "sk_live_000000000000000000000000000000"
	if got := string(appendChecksum([]byte(fixed), crc32.ChecksumIEEE([]byte(fixed)))); got != fixed+"1yMVfD" {
		t.Fatalf("checksum of the zero key = %q", got)
	}
}

func TestParseKeyRejects(t *testing.T) {
	good, err := NewKey("sk_live")
	if err != nil {
		t.Fatal(err)
	}
	swap := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	transposed := []byte(good)
	for i := 8; i < len(transposed)-1; i++ {
		if transposed[i] != transposed[i+1] {
			transposed[i], transposed[i+1] = transposed[i+1], transposed[i]
			break
		}
	}
	tests := []struct {
		name, key, detail string
	}{
		{"empty", "", "key length 0"},
		{"truncated", good[:len(good)-1], "no underscore"},
		{"extra character", good + "a", "no underscore"},
		{"typo in the random part", swap(10), "checksum does not match"},
		{"typo in the checksum", swap(len(good) - 1), "checksum does not match"},
		{"typo in the prefix", "sk_lave" + good[7:], "checksum does not match"},
		{"transposition", string(transposed), "checksum does not match"},
		{"not base62", good[:20] + "-" + good[21:], "character 20 of the key is not base62"},
		{"upper-case prefix", "SK_LIVE" + good[7:], "not a valid prefix"},
		{"prefix too long", strings.Repeat("a", MaxPrefixLength+1) + good[7:], "does not fit"},
		{"no prefix", good[7:], "does not fit"},
		{"empty prefix word", "sk__" + good[8:], "not a valid prefix"},
		{"space", " " + good[1:], "not a valid prefix"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix, err := ParseKey(tc.key)
			if err == nil || prefix != "" {
				t.Fatalf("ParseKey = %q, %v; want an error", prefix, err)
			}
			if !errors.Is(err, ErrMalformedKey) || !errors.Is(err, authrt.ErrInvalidCredential) {
				t.Errorf("error %v does not wrap ErrMalformedKey and ErrInvalidCredential", err)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q lacks %q", err, tc.detail)
			}
			assertKeyHidden(t, err, tc.key)
		})
	}
}

func TestValidPrefix(t *testing.T) {
	for _, p := range []string{"a", "sk", "sk_live", "a1_b2_c3", strings.Repeat("x", MaxPrefixLength)} {
		if err := ValidPrefix(p); err != nil {
			t.Errorf("ValidPrefix(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"", "1sk", "_sk", "sk_", "sk__live", "Sk", "sk-live", "sk live", "ск",
		strings.Repeat("x", MaxPrefixLength+1)} {
		if err := ValidPrefix(p); !errors.Is(err, ErrInvalidPrefix) {
			t.Errorf("ValidPrefix(%q) = %v, want ErrInvalidPrefix", p, err)
		}
		if _, err := NewKey(p); !errors.Is(err, ErrInvalidPrefix) {
			t.Errorf("NewKey(%q) error = %v, want ErrInvalidPrefix", p, err)
		}
	}
}

func TestParseKeyDoesNotAllocate(t *testing.T) {
	key, _ := NewKey("sk_live")
	if n := testing.AllocsPerRun(100, func() { parseKey(key) }); n != 0 {
		t.Fatalf("parseKey allocates %v times", n)
	}
}

func FuzzParseKey(f *testing.F) {
	good, _ := NewKey("sk_live")
	f.Add(good)
	f.Add("sk_live_000000000000000000000000000000")
	f.Add("")
	f.Fuzz(func(t *testing.T, key string) {
		prefix, reason := parseKey(key)
		if reason == "" {
			// Accepted: it must be in the format and its checksum right.
			if !keyPattern.MatchString(key) || !strings.HasPrefix(key, prefix+"_") {
				t.Fatalf("parseKey accepted %q", key)
			}
			body := key[:len(key)-ChecksumLength]
			if string(appendChecksum([]byte(body), crc32.ChecksumIEEE([]byte(body)))) != key {
				t.Fatalf("parseKey accepted %q with a wrong checksum", key)
			}
		} else if len(key) >= 8 && strings.Contains(reason, key) { // short keys match digits by chance
			t.Fatalf("reason %q contains the key", reason)
		}
	})
}

// TestChecksumMatchesCRC32 checks the slicing-by-8 checksum against
// hash/crc32 at every length around its 8-byte steps, on random bytes.
func TestChecksumMatchesCRC32(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		if got, want := checksum(string(b)), crc32.ChecksumIEEE(b); got != want {
			t.Fatalf("length %d: checksum %08x, crc32 %08x", n, got, want)
		}
	}
}
