package apikey

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/authgen/authgen/runtime/authrt"
)

// TestVerifyNetworks checks the client network rules of records against the
// address in the context.
func TestVerifyNetworks(t *testing.T) {
	const (
		keyV4   = "sk_test_NET_V4_0123456789abcdef"
		keyV6   = "sk_test_NET_V6_0123456789abcdef"
		keyOpen = "sk_test_NET_ANY_0123456789abcde"
	)
	v4 := NewRecord("k-v4", "", keyV4)
	v4.Networks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32")}
	v6 := NewRecord("k-v6", "", keyV6)
	v6.Networks = []netip.Prefix{netip.MustParsePrefix("2001:db8::/32")}
	store, err := NewMemoryStore(v4, v6, NewRecord("k-open", "", keyOpen))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(store)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     string
		addr    string // "" for none in the context
		wantErr error
	}{
		{"inside", keyV4, "10.20.30.40", nil},
		{"single address", keyV4, "192.0.2.7", nil},
		{"outside", keyV4, "192.0.2.8", ErrNetworkNotAllowed},
		{"IPv6 client, IPv4 rules", keyV4, "2001:db8::1", ErrNetworkNotAllowed},
		{"IPv6 inside", keyV6, "2001:db8:1::1", nil},
		{"IPv6 outside", keyV6, "2001:db9::1", ErrNetworkNotAllowed},
		{"no address in the context", keyV4, "", ErrNoClientAddr},
		{"no rules, no address", keyOpen, "", nil},
		{"no rules, any address", keyOpen, "203.0.113.1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.addr != "" {
				ctx = WithClientAddr(ctx, netip.MustParseAddr(tc.addr))
			}
			id, err := v.Verify(ctx, tc.key)
			if tc.wantErr == nil {
				if err != nil || id == nil {
					t.Fatalf("Verify = %v, %v; want accepted", id, err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tc.wantErr)
			}
			// Outside the networks is a bad credential (401); no address is
			// the server's fault (503), never a pass.
			if got, want := errors.Is(err, authrt.ErrInvalidCredential), tc.wantErr == ErrNetworkNotAllowed; got != want {
				t.Errorf("errors.Is(%v, ErrInvalidCredential) = %v, want %v", err, got, want)
			}
			assertKeyHidden(t, err, tc.key)
		})
	}
}

func TestWithClientAddrFrom(t *testing.T) {
	const key = "sk_test_NET_FROM_0123456789abcd"
	r := NewRecord("k1", "", key)
	r.Networks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	store, _ := NewMemoryStore(r)
	type otherKey struct{}
	from := func(ctx context.Context) (netip.Addr, bool) {
		a, ok := ctx.Value(otherKey{}).(netip.Addr)
		return a, ok
	}
	v, err := NewVerifier(store, WithClientAddrFrom(from))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), otherKey{}, netip.MustParseAddr("10.1.2.3"))
	if _, err := v.Verify(ctx, key); err != nil {
		t.Fatalf("Verify with the address from the custom source: %v", err)
	}
	if _, err := NewVerifier(store, WithClientAddrFrom(nil)); err == nil {
		t.Fatal("WithClientAddrFrom(nil) accepted")
	}
}

func TestRecordRejectsBadNetwork(t *testing.T) {
	r := NewRecord("k1", "", "sk_test_bad_network_0123456")
	r.Networks = []netip.Prefix{{}}
	if _, err := NewMemoryStore(r); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("NewMemoryStore(zero network) error = %v, want ErrInvalidRecord", err)
	}
	r.Networks, r.Prefix = nil, "Bad-Prefix"
	if _, err := NewMemoryStore(r); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("NewMemoryStore(bad prefix) error = %v, want ErrInvalidRecord", err)
	}
}

// TestVerifyWithPrefixes checks that with WithPrefixes, keys out of format,
// with another prefix or a bad checksum are refused before any lookup.
func TestVerifyWithPrefixes(t *testing.T) {
	live, rec, err := Mint(nil, KeySpec{Prefix: "sk_live", ID: "k-live"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	test, recTest, err := Mint(nil, KeySpec{Prefix: "sk_test", ID: "k-test"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	other, recOther, err := Mint(nil, KeySpec{Prefix: "other", ID: "k-other"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	mem, err := NewMemoryStore(rec, recTest, recOther)
	if err != nil {
		t.Fatal(err)
	}
	var lookups int
	counting := storeFunc(func(ctx context.Context, h Hash) (*Record, error) {
		lookups++
		return mem.Lookup(ctx, h)
	})
	v, err := NewVerifier(counting, WithPrefixes("sk_live", "sk_test"))
	if err != nil {
		t.Fatal(err)
	}
	typo := []byte(live)
	typo[12] ^= 0x01 // a digit or letter next to it
	tests := []struct {
		name    string
		key     string
		wantErr error
		lookup  bool
	}{
		{"live", live, nil, true},
		{"test", test, nil, true},
		{"other prefix", other, ErrMalformedKey, false},
		{"typo", string(typo), ErrMalformedKey, false},
		{"legacy format", "sk_live_legacy_key_0123456789", ErrMalformedKey, false},
	}
	for _, tc := range tests {
		lookups = 0
		_, err := v.Verify(context.Background(), tc.key)
		if !errors.Is(err, tc.wantErr) && !(err == nil && tc.wantErr == nil) {
			t.Errorf("%s: Verify error = %v, want %v", tc.name, err, tc.wantErr)
		}
		if (lookups > 0) != tc.lookup {
			t.Errorf("%s: %d lookups, want lookup=%v", tc.name, lookups, tc.lookup)
		}
		assertKeyHidden(t, err, tc.key)
	}
	for _, bad := range [][]string{{}, {"SK"}, {"sk_live", "bad-one"}} {
		if _, err := NewVerifier(mem, WithPrefixes(bad...)); err == nil {
			t.Errorf("NewVerifier(WithPrefixes(%q)) accepted", bad)
		}
	}
}
