package authrt

import (
	"context"
	"net/netip"
)

// requestInfo is what the guard learns about one request: the client
// address (set before verifiers run, so that they can check networks) and
// the principal (set once authorized). It is itself the request's context,
// wrapping the parent, and holds the principal by value, so that an
// authorized request costs one allocation for all three.
type requestInfo struct {
	context.Context
	client    netip.Addr
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
	if info := infoFrom(ctx); info != nil && info.client.IsValid() {
		return info.client, true
	}
	return netip.Addr{}, false
}

// WithClientAddr returns a copy of ctx carrying addr as the client address,
// for tests and for verifiers called outside the guard.
func WithClientAddr(ctx context.Context, addr netip.Addr) context.Context {
	info := &requestInfo{Context: ctx, client: addr.WithZone("").Unmap()}
	if prev := infoFrom(ctx); prev != nil {
		info.principal = prev.principal
	}
	return info
}
