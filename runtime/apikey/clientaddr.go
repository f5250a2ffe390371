package apikey

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/authgen/authgen/runtime/authrt"
)

// ClientAddr finds the address of the client behind a request, for the
// client network rules of records (Record.Networks). authrt.Verifier gets a
// context and a credential only, so the address travels in the context.
//
// Behind the generated middleware there is nothing to do: the guard
// resolves the address (with authrt.Options.TrustedProxies) before any
// verifier runs. ClientAddr is for using the Verifier without the guard,
// or for resolving the address in an outer middleware, which the guard
// then keeps:
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
	return authrt.ParseNetwork(s)
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
	return authrt.ClientAddr(r, c.trusted)
}

// WithClientAddr returns a copy of ctx carrying addr as the client address,
// for servers that find it themselves and for tests. It is
// authrt.WithClientAddr: the guard and the Verifier share one place.
func WithClientAddr(ctx context.Context, addr netip.Addr) context.Context {
	return authrt.WithClientAddr(ctx, addr)
}

// ClientAddrFrom returns the client address that the guard, Middleware or
// WithClientAddr put in ctx.
func ClientAddrFrom(ctx context.Context) (netip.Addr, bool) {
	return authrt.ClientAddrFrom(ctx)
}
