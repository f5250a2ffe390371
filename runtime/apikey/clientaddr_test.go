package apikey

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddrFromRequest(t *testing.T) {
	proxies, err := NewClientAddr("10.0.0.0/8", "192.0.2.7", "2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	none, err := NewClientAddr()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		c      *ClientAddr
		remote string
		xff    []string
		want   string // "" for none
	}{
		{"direct", proxies, "203.0.113.5:4711", nil, "203.0.113.5"},
		{"direct ignores XFF", proxies, "203.0.113.5:4711", []string{"10.1.1.1"}, "203.0.113.5"},
		{"no trusted proxies ignores XFF", none, "10.0.0.1:80", []string{"198.51.100.1"}, "10.0.0.1"},
		{"trusted proxy, one hop", proxies, "10.0.0.1:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy, no XFF", proxies, "10.0.0.1:80", nil, "10.0.0.1"},
		{"spoofed entries left of the client are ignored", proxies, "10.0.0.1:80",
			[]string{"1.2.3.4, 198.51.100.1, 10.2.2.2"}, "198.51.100.1"},
		{"several headers are one list", proxies, "10.0.0.1:80",
			[]string{"1.2.3.4, 198.51.100.1", "192.0.2.7"}, "198.51.100.1"},
		{"all hops trusted: the leftmost", proxies, "10.0.0.1:80", []string{"10.9.9.9, 10.8.8.8"}, "10.9.9.9"},
		{"garbage behind a proxy: the last readable hop", proxies, "10.0.0.1:80",
			[]string{"198.51.100.1, not-an-ip, 10.3.3.3"}, "10.3.3.3"},
		{"empty entries skipped", proxies, "10.0.0.1:80", []string{"198.51.100.1,, "}, "198.51.100.1"},
		{"XFF entry with a port", proxies, "10.0.0.1:80", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"IPv6 peer", proxies, "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"IPv6 peer with zone", proxies, "[fe80::1%eth0]:443", nil, "fe80::1"},
		{"IPv6 proxy and client", proxies, "[2001:db8:ffff::1]:443", []string{"[2001:db8:1::5]:9"}, "2001:db8:1::5"},
		{"IPv4-mapped peer is unmapped", proxies, "[::ffff:203.0.113.5]:80", nil, "203.0.113.5"},
		{"unix socket", proxies, "@", nil, ""},
		{"no remote address", proxies, "", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			got, ok := tc.c.FromRequest(r)
			if tc.want == "" {
				if ok {
					t.Fatalf("FromRequest = %v, want none", got)
				}
				return
			}
			if !ok || got != netip.MustParseAddr(tc.want) {
				t.Fatalf("FromRequest = %v, %v; want %s", got, ok, tc.want)
			}
		})
	}
}

func TestNewClientAddrRejects(t *testing.T) {
	for _, s := range []string{"", "10.0.0.0/33", "proxy.internal", "10.0.0.1/8/1", "::ffff:10.0.0.1", "fe80::1%eth0"} {
		if _, err := NewClientAddr(s); err == nil {
			t.Errorf("NewClientAddr(%q) accepted", s)
		}
	}
}

func TestParseNetwork(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3/8":    "10.0.0.0/8",
		"192.0.2.7":     "192.0.2.7/32",
		"2001:db8::1":   "2001:db8::1/128",
		"2001:db8::/32": "2001:db8::/32",
	} {
		got, err := ParseNetwork(in)
		if err != nil || got.String() != want {
			t.Errorf("ParseNetwork(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
}

func TestClientAddrMiddleware(t *testing.T) {
	c, _ := NewClientAddr("10.0.0.0/8")
	var got netip.Addr
	var ok bool
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok = ClientAddrFrom(r.Context())
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "198.51.100.9")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if !ok || got.String() != "198.51.100.9" {
		t.Fatalf("handler saw %v, %v", got, ok)
	}
	r.RemoteAddr = "not an address"
	h.ServeHTTP(httptest.NewRecorder(), r)
	if ok {
		t.Fatalf("handler saw %v for a request without an address", got)
	}
	if _, ok := ClientAddrFrom(context.Background()); ok {
		t.Fatal("ClientAddrFrom(empty context) reported an address")
	}
}
