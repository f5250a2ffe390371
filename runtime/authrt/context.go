package authrt

import (
	"context"
	"net/http"
	"net/netip"
)

// requestInfo is what the guard learns about one request: the client
// address and the principal (set once authorized). It is itself the
// request's context, wrapping the parent, and holds the principal by value,
// so that an authorized request costs one allocation for all three.
//
// The client address is resolved when the request is admitted only if the
// guard needs it (audit records, rate limits); otherwise it is worked out
// from req on each call of ClientAddrFrom (an API key's network rule, a
// handler), which most requests never make: parsing it is a tenth of the
// guard's work. Once the guard has handed the request on, info is never
// written again, so handlers may read it from any goroutine.
type requestInfo struct {
	context.Context
	req      *http.Request
	trusted  *[]netip.Prefix // the guard's, by pointer: info is allocated per request
	client   netip.Addr
	resolved bool

	principal *Principal
	p         Principal
	idBuf     [4]*Identity
}

type infoKey struct{}

// Value answers for infoKey and defers to the parent for other keys.
func (info *requestInfo) Value(key any) any {
	if key == (infoKey{}) {
		return info
	}
	return info.Context.Value(key)
}

// clientAddr returns the client address: the one resolved, or else the one
// req gives. It does not write info.
func (info *requestInfo) clientAddr() (netip.Addr, bool) {
	if info.resolved {
		return info.client, info.client.IsValid()
	}
	if info.req != nil {
		var trusted []netip.Prefix
		if info.trusted != nil {
			trusted = *info.trusted
		}
		return ClientAddr(info.req, trusted)
	}
	return netip.Addr{}, false
}

// resolveClient fixes the client address, for a request whose decision
// needs it; called by the guard before any verifier or handler sees info.
func (info *requestInfo) resolveClient() {
	if !info.resolved {
		info.client, _ = info.clientAddr()
		info.resolved = true
	}
}

// setPrincipal fills the principal of the winning alternative.
func (info *requestInfo) setPrincipal(op OperationID, schemes []string, ids []*Identity) *Principal {
	fillPrincipal(&info.p, op, schemes, ids)
	info.principal = &info.p
	return info.principal
}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// ClientAddrFrom returns the client address the guard resolved for the
// request (the connection's peer, or the X-Forwarded-For hop behind
// Options.TrustedProxies). Verifiers may read it, e.g. to check an API
// key's allowed networks.
func ClientAddrFrom(ctx context.Context) (netip.Addr, bool) {
	if info := infoFrom(ctx); info != nil {
		return info.clientAddr()
	}
	return netip.Addr{}, false
}

// WithClientAddr returns a copy of ctx carrying addr as the client address,
// for tests and for verifiers called outside the guard.
func WithClientAddr(ctx context.Context, addr netip.Addr) context.Context {
	info := &requestInfo{Context: ctx, resolved: true, client: addr.WithZone("").Unmap()}
	if prev := infoFrom(ctx); prev != nil {
		info.principal = prev.principal
	}
	return info
}
