package apikey

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
)

// The key format, as GitHub's tokens have it: a prefix that says what the
// key is, an underscore, RandomLength base62 characters from crypto/rand and
// ChecksumLength base62 characters of checksum:
//
//	sk_live_2Yc9QmT4bXk7PzL0aWvN8sHq3RfJdE1u0Kq3Zx
//	└─────┘ └────────── random ─────────┘└ crc ┘
//
// The checksum is the CRC-32 (IEEE) of everything before it (prefix,
// underscore and random part), in base62, left-padded with '0'. It lets a
// verifier refuse a mistyped or truncated key without a store lookup, and
// lets secret scanners recognise keys with few false positives. It is not a
// secret and proves nothing about a key's validity: only the store does.
const (
	// RandomLength is the number of random base62 characters in a key:
	// 30 characters carry 178 bits, above the 160 the format promises.
	RandomLength = 30
	// ChecksumLength is the number of base62 characters of the checksum
	// (62^6 > 2^32).
	ChecksumLength = 6
	// MaxPrefixLength is the longest prefix a key may have.
	MaxPrefixLength = 32
)

// base62 is the alphabet of the random part and the checksum.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// bodyLength is the length of a key after its prefix and underscore.
const bodyLength = RandomLength + ChecksumLength

// NewKey returns a new random key with the given prefix (see ValidPrefix),
// in the format described at RandomLength. The key is the secret: show it
// to its owner once and store only its hash (Hasher.Record, Mint).
func NewKey(prefix string) (string, error) {
	if err := ValidPrefix(prefix); err != nil {
		return "", err
	}
	b := make([]byte, 0, len(prefix)+1+bodyLength)
	b = append(b, prefix...)
	b = append(b, '_')
	// Rejection sampling keeps every character uniform: bytes of 248 and
	// above (248 = 4*62) are dropped rather than folded onto the first
	// letters.
	var buf [64]byte
	for len(b) < len(prefix)+1+RandomLength {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", fmt.Errorf("apikey: reading random bytes: %w", err)
		}
		for _, c := range buf {
			if c < 248 && len(b) < len(prefix)+1+RandomLength {
				b = append(b, base62[c%62])
			}
		}
	}
	clear(buf[:])
	b = appendChecksum(b, crc32.ChecksumIEEE(b))
	return string(b), nil
}

// appendChecksum appends sum in base62, ChecksumLength characters.
func appendChecksum(b []byte, sum uint32) []byte {
	var c [ChecksumLength]byte
	for i := ChecksumLength - 1; i >= 0; i-- {
		c[i] = base62[sum%62]
		sum /= 62
	}
	return append(b, c[:]...)
}

// ValidPrefix reports why prefix cannot start a key, or nil. A prefix is 1
// to MaxPrefixLength characters: lowercase ASCII letters and digits in words
// joined by single underscores, starting with a letter ("sk_live",
// "acme_test", "ak1").
func ValidPrefix(prefix string) error {
	if prefix == "" || len(prefix) > MaxPrefixLength {
		return fmt.Errorf("%w: key prefix %q: must be 1 to %d characters", ErrInvalidPrefix, prefix, MaxPrefixLength)
	}
	if c := prefix[0]; c < 'a' || c > 'z' {
		return fmt.Errorf("%w: key prefix %q: must start with a lowercase letter", ErrInvalidPrefix, prefix)
	}
	for i := 0; i < len(prefix); i++ {
		c := prefix[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_' && prefix[i-1] != '_' && i != len(prefix)-1:
		default:
			return fmt.Errorf("%w: key prefix %q: only lowercase letters and digits, in words joined by single underscores",
				ErrInvalidPrefix, prefix)
		}
	}
	return nil
}

// ErrInvalidPrefix is returned (wrapped) for a key prefix that ValidPrefix
// refuses, by NewKey, Mint and the options that take prefixes.
var ErrInvalidPrefix = errors.New("apikey: invalid key prefix")

// ParseKey checks that key has the format NewKey makes (a valid prefix, an
// underscore, RandomLength base62 characters and a matching checksum) and
// returns its prefix. It does no lookup and takes time that depends only on
// the key's length and the position of its first fault, which reveals
// nothing about any stored key.
//
// A key that fails is refused with an error wrapping ErrMalformedKey (and so
// authrt.ErrInvalidCredential) whose detail never contains the key.
func ParseKey(key string) (prefix string, err error) {
	prefix, reason := parseKey(key)
	if reason != "" {
		return "", reject(ErrMalformedKey, reason)
	}
	return prefix, nil
}

// parseKey is ParseKey without the error value: it returns the prefix, or
// why the key is malformed. The reason never contains the key.
func parseKey(key string) (prefix, reason string) {
	if len(key) < 2+bodyLength || len(key) > MaxPrefixLength+1+bodyLength {
		return "", "key length " + strconv.Itoa(len(key)) + " does not fit the key format"
	}
	split := len(key) - bodyLength - 1
	if key[split] != '_' {
		return "", "no underscore before the key's random part"
	}
	prefix = key[:split]
	if ValidPrefix(prefix) != nil {
		return "", "the key's prefix is not a valid prefix"
	}
	// Every character of the body must be base62: OR the table values
	// together (a non-base62 byte is -1, which sets the sign bit) rather
	// than branch on each, and find the culprit only for the error.
	var bad int8
	for i := split + 1; i < len(key); i++ {
		bad |= base62Values[key[i]]
	}
	if bad < 0 {
		for i := split + 1; i < len(key); i++ {
			if base62Digit(key[i]) < 0 {
				return "", "character " + strconv.Itoa(i) + " of the key is not base62"
			}
		}
	}
	var sum uint64 // six base62 digits exceed 32 bits: compare them all
	for i := len(key) - ChecksumLength; i < len(key); i++ {
		sum = sum*62 + uint64(base62Values[key[i]])
	}
	if uint64(checksum(key[:len(key)-ChecksumLength])) != sum {
		return "", "the key's checksum does not match (mistyped or truncated key)"
	}
	return prefix, ""
}

// base62Digit returns the value of c in the base62 alphabet, or -1. It is a
// table lookup: branches on random characters mispredict.
func base62Digit(c byte) int { return int(base62Values[c]) }

// base62Values maps each byte to its base62 value, -1 for the others.
var base62Values = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := range len(base62) {
		t[base62[i]] = int8(i)
	}
	return t
}()

// checksum is crc32.ChecksumIEEE of s. hash/crc32 would need a []byte,
// which escapes through its function-variable dispatch and costs a heap copy
// of the key; this is the same slicing-by-8 algorithm hash/crc32 uses for
// short inputs, eight bytes per step, over the string.
func checksum(s string) uint32 {
	crc := ^uint32(0)
	t := &crcTables
	for len(s) >= 8 {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = t[0][s[7]] ^ t[1][s[6]] ^ t[2][s[5]] ^ t[3][s[4]] ^
			t[4][crc>>24] ^ t[5][crc>>16&0xff] ^ t[6][crc>>8&0xff] ^ t[7][crc&0xff]
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		crc = t[0][byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}

// crcTables are the slicing-by-8 tables of the IEEE polynomial: t[0] is
// crc32.IEEETable, t[k][i] the CRC of byte i followed by k zero bytes.
var crcTables = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return t
}()
