package authrt

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// addrVerifier accepts any credential and records the client address it
// finds in the context, as an API key's network rule reads it.
type addrVerifier struct {
	mu  sync.Mutex
	got []string
}

func (v *addrVerifier) Verify(ctx context.Context, _ string) (*Identity, error) {
	a, ok := ClientAddrFrom(ctx)
	v.mu.Lock()
	defer v.mu.Unlock()
	if ok {
		v.got = append(v.got, a.String())
	} else {
		v.got = append(v.got, "none")
	}
	return ident("alice"), nil
}

// TestClientAddrInContext checks the client address that verifiers and
// handlers read, whether the guard resolved it up front (audit on) or it is
// worked out on demand (neither audit nor rate limits), behind a trusted
// proxy or not, and under an outer WithClientAddr; handlers read it from
// several goroutines (go test -race).
func TestClientAddrInContext(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		remote  string
		xff     string
		outer   string
		want    string
		auditOn bool
	}{
		{name: "peer", remote: "192.0.2.7:5555", want: "192.0.2.7"},
		{name: "peer audited", remote: "192.0.2.7:5555", want: "192.0.2.7", auditOn: true},
		{name: "mapped peer", remote: "[::ffff:192.0.2.7]:5555", want: "192.0.2.7"},
		{name: "xff ignored", remote: "192.0.2.7:5555", xff: "198.51.100.1", want: "192.0.2.7"},
		{name: "trusted proxy", opts: Options{TrustedProxies: []string{"10.0.0.0/8"}},
			remote: "10.1.2.3:80", xff: "198.51.100.1, 10.9.9.9", want: "198.51.100.1"},
		{name: "trusted proxy audited", opts: Options{TrustedProxies: []string{"10.0.0.0/8"}},
			remote: "10.1.2.3:80", xff: "198.51.100.1", want: "198.51.100.1", auditOn: true},
		{name: "outer wins", remote: "192.0.2.7:5555", outer: "203.0.113.9", want: "203.0.113.9"},
		{name: "outer wins audited", remote: "192.0.2.7:5555", outer: "203.0.113.9", want: "203.0.113.9", auditOn: true},
		{name: "no address", remote: "pipe", want: "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			var records []Decision
			if tt.auditOn {
				opts.OnDecision = func(_ context.Context, d *Decision) { records = append(records, *d) }
			}
			v := &addrVerifier{}
			g := mustGuard(t, routeSpec(), []Verifier{v}, opts)
			var handlerAddrs [4]string
			h := g.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var wg sync.WaitGroup
				for i := range handlerAddrs {
					wg.Go(func() {
						a, ok := ClientAddrFrom(r.Context())
						handlerAddrs[i] = "none"
						if ok {
							handlerAddrs[i] = a.String()
						}
					})
				}
				wg.Wait()
			}))
			r := newRequest("GET", "/api/items/42", "Authorization", "Bearer t")
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if tt.outer != "" {
				r = r.WithContext(WithClientAddr(r.Context(), netip.MustParseAddr(tt.outer)))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if len(v.got) != 1 || v.got[0] != tt.want {
				t.Errorf("verifier saw %q, want %q", v.got, tt.want)
			}
			for i, a := range handlerAddrs {
				if a != tt.want {
					t.Errorf("handler goroutine %d saw %q, want %q", i, a, tt.want)
				}
			}
			if tt.auditOn {
				want := tt.want
				if want == "none" {
					want = ""
				}
				if len(records) != 1 || records[0].ClientAddr != want {
					t.Errorf("audit records %+v, want one with client %q", records, want)
				}
			}
		})
	}
}

// TestClientAddrAuditLogger checks the address in a slog audit record when
// the guard resolves it up front.
func TestClientAddrAuditLogger(t *testing.T) {
	var buf bytes.Buffer
	g := mustGuard(t, routeSpec(), []Verifier{&addrVerifier{}}, Options{AuditLogger: slog.New(slog.NewJSONHandler(&buf, nil))})
	h := g.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := newRequest("GET", "/api/items/42", "Authorization", "Bearer t")
	r.RemoteAddr = "[2001:db8::1]:443"
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got := buf.String(); !strings.Contains(got, `"2001:db8::1"`) {
		t.Errorf("audit record %s does not name the client", got)
	}
}
