package apikey

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddr finds the address of the client behind a request, for the
// client network rules of records (Record.Networks). authrt.Verifier gets a
// context and a credential only, so the address travels in the context:
// wrap the server in Middleware, outside the generated auth middleware,
//
//	clients, err := apikey.NewClientAddr("10.0.0.0/8") // the load balancers
//	if err != nil {
//		log.Fatal(err)
//	}
//	http.ListenAndServe(addr, clients.Middleware(auth.Middleware(mux)))
//
// and the Verifier reads it with ClientAddrFrom. A restricted key verified
// without it fails with ErrNoClientAddr (503), never passes.
//
// The address is the connection's (http.Request.RemoteAddr). Only when the
// connection comes from a trusted proxy is X-Forwarded-For read, from the
// right: each hop that is itself a trusted proxy is skipped, and the first
// one that is not is the client. Entries a client wrote to the left of that
// are never believed. With no trusted proxies X-Forwarded-For is ignored.
// The Forwarded header (RFC 7239) is not read.
//
// A ClientAddr is safe for concurrent use.
type ClientAddr struct {
	trusted []netip.Prefix
}

// NewClientAddr returns a ClientAddr that trusts X-Forwarded-For from
// connections whose address is in one of trustedProxies: CIDR prefixes
// ("10.0.0.0/8") or single addresses ("192.0.2.7"). It fails on anything
// else, so that a typo does not silently trust nobody or everybody.
func NewClientAddr(trustedProxies ...string) (*ClientAddr, error) {
	c := &ClientAddr{}
	for _, s := range trustedProxies {
		p, err := ParseNetwork(s)
		if err != nil {
			return nil, fmt.Errorf("apikey: trusted proxy: %w", err)
		}
		c.trusted = append(c.trusted, p)
	}
	return c, nil
}

// ParseNetwork parses a CIDR prefix ("10.0.0.0/8", "2001:db8::/32") or a
// single address (as a /32 or /128), returning it masked. IPv4-mapped IPv6
// forms are refused: write IPv4 networks as IPv4.
func ParseNetwork(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" || a.Is4In6() {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR prefix", s)
	}
	return p.Masked(), nil
}

// Middleware returns a handler that puts the request's client address
// (FromRequest) in its context, where ClientAddrFrom finds it, and calls
// next. Requests whose address cannot be found go on without one.
func (c *ClientAddr) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := c.FromRequest(r); ok {
			r = r.WithContext(WithClientAddr(r.Context(), a))
		}
		next.ServeHTTP(w, r)
	})
}

// FromRequest returns the client address of r, as described at ClientAddr.
// It reports false when RemoteAddr is not an IP address (a Unix socket, a
// test request without one).
func (c *ClientAddr) FromRequest(r *http.Request) (netip.Addr, bool) {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !c.isTrusted(peer) {
		return peer, true
	}
	// Walk X-Forwarded-For from the right; several headers are one list.
	client := peer
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		list := xff[i]
		for list != "" {
			var hop string
			if j := strings.LastIndexByte(list, ','); j >= 0 {
				hop, list = list[j+1:], list[:j]
			} else {
				hop, list = list, ""
			}
			hop = strings.TrimSpace(hop)
			if hop == "" {
				continue
			}
			a, ok := parseHost(hop)
			if !ok {
				// Garbage behind a trusted proxy: the last hop we could
				// read is all we know. It is a proxy's address, which a
				// client network rule does not normally allow.
				return client, true
			}
			client = a
			if !c.isTrusted(a) {
				return client, true
			}
		}
	}
	return client, true
}

func (c *ClientAddr) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHost reads an address as RemoteAddr or X-Forwarded-For write it:
// "192.0.2.1", "192.0.2.1:443", "2001:db8::1", "[2001:db8::1]:443". The
// zone is dropped and IPv4-mapped addresses are unmapped.
func parseHost(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

type clientAddrKey struct{}

// WithClientAddr returns a copy of ctx carrying addr as the client address,
// for servers that find it themselves and for tests.
func WithClientAddr(ctx context.Context, addr netip.Addr) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr.WithZone("").Unmap())
}

// ClientAddrFrom returns the client address that Middleware or
// WithClientAddr put in ctx.
func ClientAddrFrom(ctx context.Context) (netip.Addr, bool) {
	a, ok := ctx.Value(clientAddrKey{}).(netip.Addr)
	return a, ok && a.IsValid()
}
