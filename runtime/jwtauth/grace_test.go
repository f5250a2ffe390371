package jwtauth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/revoke"
)

// plainList is a RevocationList that does not say its grace.
type plainList struct{}

func (plainList) Revoked(string) (bool, error) { return false, nil }

// TestLeewayWithinRevocationGrace: a leeway longer than the revocation
// list keeps its entries would accept a revoked token again after its entry
// is dropped, so New and NewFromSource refuse it, in either option order.
func TestLeewayWithinRevocationGrace(t *testing.T) {
	key := HMAC(keys(t).secret)
	list, err := revoke.NewMemory() // grace: revoke.DefaultGrace, 1 min
	if err != nil {
		t.Fatal(err)
	}
	short, err := revoke.NewMemory(revoke.WithGrace(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{current: mustKeySet(t, key)}
	tests := []struct {
		name string
		opts []Option
		ok   bool
	}{
		{"default leeway, default grace", []Option{WithRevocation(list)}, true},
		{"leeway equal to the grace", []Option{WithRevocation(list), WithLeeway(time.Minute)}, true},
		{"leeway above the grace", []Option{WithRevocation(list), WithLeeway(2 * time.Minute)}, false},
		{"leeway first", []Option{WithLeeway(2 * time.Minute), WithRevocation(list)}, false},
		{"default leeway above a short grace", []Option{WithRevocation(short)}, false},
		{"no revocation list", []Option{WithLeeway(2 * time.Minute)}, true},
		{"a list without Grace", []Option{WithRevocation(plainList{}), WithLeeway(2 * time.Minute)}, true},
	}
	for _, tt := range tests {
		_, err1 := New([]Key{key}, tt.opts...)
		_, err2 := NewFromSource(src, tt.opts...)
		for _, err := range []error{err1, err2} {
			switch {
			case tt.ok && err != nil:
				t.Errorf("%s: %v", tt.name, err)
			case !tt.ok && (!errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), "grace")):
				t.Errorf("%s: error %v, want ErrInvalidOption naming the grace", tt.name, err)
			}
		}
	}
}

var _ GracefulList = (*revoke.Memory)(nil)
