// Package issuertest checks that an issuer.Store behaves as the Issuer
// needs: rotation, reuse detection, expiry, revocation and atomicity under
// concurrent refreshes. Each Store's tests call Run.
package issuertest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/issuer"
	"github.com/authgen/authgen/runtime/jwtauth"
)

// Clock is a settable clock.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a Clock at t.
func NewClock(t time.Time) *Clock { c := &Clock{}; c.ns.Store(t.UnixNano()); return c }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Revoked records what an Issuer revokes.
type Revoked struct {
	mu   sync.Mutex
	JTIs []string
	// Down makes Revoke fail, as a revocation list that cannot be reached.
	Down bool
}

// Revoke implements issuer.Revoker.
func (r *Revoked) Revoke(_ context.Context, jti string, _ time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Down {
		return errors.New("issuertest: revocation list down")
	}
	r.JTIs = append(r.JTIs, jti)
	return nil
}

// SetDown makes Revoke fail (true) or work again.
func (r *Revoked) SetDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Down = down
}

// Has reports whether jti was revoked.
func (r *Revoked) Has(jti string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.JTIs, jti)
}

// fixture is an Issuer on the store under test.
type fixture struct {
	iss     *issuer.Issuer
	clock   *Clock
	revoked *Revoked
	v       *jwtauth.Verifier
}

func newFixture(t *testing.T, store issuer.Store) *fixture {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, err := issuer.NewSigner(key, issuer.SignWithKeyID("k1"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: NewClock(time.Now().Truncate(time.Second)), revoked: &Revoked{}}
	f.iss, err = issuer.New(signer, store, issuer.WithIssuer("https://auth.example.com"),
		issuer.WithAudience("https://api.example.com"), issuer.WithClock(f.clock.Now),
		issuer.WithAccessTTL(5*time.Minute), issuer.WithRefreshTTL(time.Hour, 3*time.Hour),
		issuer.WithRevoker(f.revoked))
	if err != nil {
		t.Fatal(err)
	}
	if f.v, err = f.iss.Verifier(); err != nil {
		t.Fatal(err)
	}
	return f
}

// jti returns the jti of a valid access token.
func (f *fixture) jti(t *testing.T, access string) string {
	t.Helper()
	id, err := f.v.Verify(context.Background(), access)
	if err != nil {
		t.Fatalf("access token: %v", err)
	}
	return id.KeyID
}

// Run runs the conformance tests on stores made by newStore, one per test.
func Run(t *testing.T, newStore func(t *testing.T) issuer.Store) {
	ctx := context.Background()
	t.Run("rotation and reuse detection", func(t *testing.T) {
		f := newFixture(t, newStore(t))
		first, err := f.iss.Issue(ctx, "alice", []string{"chat"}, map[string]any{"plan": "pro"})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(4 * time.Minute)
		second, err := f.iss.Refresh(ctx, first.RefreshToken)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if second.RefreshToken == first.RefreshToken || second.SessionID != first.SessionID {
			t.Fatal("the refresh token did not rotate within its session")
		}
		id, err := f.v.Verify(ctx, second.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if id.Subject != "alice" || !id.HasScope("chat") || id.Claims["plan"] != "pro" || id.Claims["sid"] != first.SessionID {
			t.Errorf("refreshed access token lost its claims: %+v", id.Claims)
		}
		// The first refresh token is presented again: the session falls.
		_, err = f.iss.Refresh(ctx, first.RefreshToken)
		if !errors.Is(err, issuer.ErrRefreshTokenReused) || !errors.Is(err, issuer.ErrInvalidRefreshToken) {
			t.Fatalf("reused refresh token: %v, want ErrRefreshTokenReused", err)
		}
		if _, err := f.iss.Refresh(ctx, second.RefreshToken); !errors.Is(err, issuer.ErrInvalidRefreshToken) {
			t.Fatalf("current token of a revoked session: %v, want ErrInvalidRefreshToken", err)
		}
		for _, tok := range []*issuer.Tokens{first, second} {
			if jti := f.jti(t, tok.AccessToken); !f.revoked.Has(jti) {
				t.Errorf("live access token %s of the session was not revoked", jti)
			}
		}
	})

	t.Run("refreshing fast: every access token is revoked, early or with the session", func(t *testing.T) {
		// The store remembers MaxAccessRefs live access tokens per
		// session. A client refreshing faster than that (a thief racing
		// the owner, or a client that refreshes on every start) keeps its
		// session; the access tokens pushed out are revoked at once, so
		// that none escapes the session's revocation.
		f := newFixture(t, newStore(t))
		first, err := f.iss.Issue(ctx, "alice", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		minted := []*issuer.Tokens{first}
		cur := first
		for range issuer.MaxAccessRefs + 5 {
			if cur, err = f.iss.Refresh(ctx, cur.RefreshToken); err != nil {
				t.Fatalf("refresh %d: %v (a fast client must keep its session)", len(minted), err)
			}
			minted = append(minted, cur)
		}
		// Six did not fit (which ones, among tokens of one expiry, is the
		// store's choice); they are revoked already, the newest is not.
		early := 0
		for _, tok := range minted {
			if f.revoked.Has(f.jti(t, tok.AccessToken)) {
				early++
			}
		}
		if early != 6 {
			t.Errorf("%d access tokens revoked as they were pushed out, want 6", early)
		}
		if jti := f.jti(t, cur.AccessToken); f.revoked.Has(jti) {
			t.Errorf("the newest access token %s was revoked", jti)
		}
		if _, err := f.iss.Refresh(ctx, minted[1].RefreshToken); !errors.Is(err, issuer.ErrRefreshTokenReused) {
			t.Fatalf("reuse: %v", err)
		}
		for _, tok := range minted {
			if jti := f.jti(t, tok.AccessToken); !f.revoked.Has(jti) {
				t.Errorf("live access token %s of the revoked session was not revoked", jti)
			}
		}
	})

	t.Run("pushed-out access tokens whose revocation failed are revoked later", func(t *testing.T) {
		f := newFixture(t, newStore(t))
		cur, err := f.iss.Issue(ctx, "alice", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		minted := []*issuer.Tokens{cur}
		for range issuer.MaxAccessRefs - 1 {
			f.clock.Advance(time.Second) // one expiry each: the first is the oldest
			if cur, err = f.iss.Refresh(ctx, cur.RefreshToken); err != nil {
				t.Fatal(err)
			}
			minted = append(minted, cur)
		}
		// The list is full; the next refresh pushes the first token out,
		// and the revocation list is down.
		f.revoked.SetDown(true)
		if cur, err = f.iss.Refresh(ctx, cur.RefreshToken); err != nil {
			t.Fatalf("refresh with the revocation list down: %v (the client keeps its session)", err)
		}
		f.revoked.SetDown(false)
		if f.revoked.Has(f.jti(t, minted[0].AccessToken)) {
			t.Fatal("revoked although the list was down")
		}
		// The next refresh tries again.
		if _, err = f.iss.Refresh(ctx, cur.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if !f.revoked.Has(f.jti(t, minted[0].AccessToken)) {
			t.Error("an access token pushed out while the revocation list was down was never revoked")
		}
	})

	t.Run("revocation list down: a bounded backlog, then 503 until it is back", func(t *testing.T) {
		f := newFixture(t, newStore(t))
		cur, err := f.iss.Issue(ctx, "alice", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.revoked.SetDown(true)
		refreshes := 0
		for ; refreshes < 2*issuer.MaxRememberedRefs; refreshes++ {
			next, err := f.iss.Refresh(ctx, cur.RefreshToken)
			if errors.Is(err, issuer.ErrBacklog) {
				if !errors.Is(err, authrt.ErrUnavailable) {
					t.Errorf("ErrBacklog does not wrap authrt.ErrUnavailable (503)")
				}
				break
			}
			if err != nil {
				t.Fatalf("refresh %d: %v", refreshes, err)
			}
			cur = next
		}
		if refreshes != issuer.MaxRememberedRefs-1 {
			t.Errorf("%d refreshes before the backlog stopped them, want %d", refreshes, issuer.MaxRememberedRefs-1)
		}
		f.revoked.SetDown(false)
		// The refresh token was not spent: once the list is back, a retry
		// works off the oldest and, after a few, succeeds.
		var retryErr error
		for range issuer.MaxRememberedRefs / issuer.MaxExcessPerRefresh {
			var next *issuer.Tokens
			if next, retryErr = f.iss.Refresh(ctx, cur.RefreshToken); retryErr == nil {
				cur = next
				break
			}
		}
		if retryErr != nil {
			t.Fatalf("refresh once the revocation list is back: %v", retryErr)
		}
	})

	t.Run("no access token outlives its session", func(t *testing.T) {
		// The session lasts 3 h and access tokens 5 min: one minted a
		// minute before the session's end expires with it.
		f := newFixture(t, newStore(t))
		tok, err := f.iss.Issue(ctx, "alice", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		end := f.clock.Now().Add(3 * time.Hour)
		for _, step := range []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute, 29 * time.Minute} {
			f.clock.Advance(step)
			if tok, err = f.iss.Refresh(ctx, tok.RefreshToken); err != nil {
				t.Fatal(err)
			}
		}
		id, err := f.v.Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if id.ExpiresAt.After(end) {
			t.Errorf("access token expires %s after its session", id.ExpiresAt.Sub(end))
		}
	})

	t.Run("concurrent refreshes: one wins", func(t *testing.T) {
		f := newFixture(t, newStore(t))
		tok, err := f.iss.Issue(ctx, "bob", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.iss.Refresh(ctx, tok.RefreshToken)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, issuer.ErrInvalidRefreshToken):
					t.Errorf("Refresh: %v", err)
				}
			}()
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d concurrent refreshes of one token succeeded, want 1", n)
		}
	})

	t.Run("expiry", func(t *testing.T) {
		f := newFixture(t, newStore(t))
		tok, _ := f.iss.Issue(ctx, "carol", nil, nil)
		f.clock.Advance(time.Hour + time.Second) // refresh TTL
		if _, err := f.iss.Refresh(ctx, tok.RefreshToken); !errors.Is(err, issuer.ErrInvalidRefreshToken) {
			t.Fatalf("expired refresh token: %v", err)
		}
		// Refreshing every 50 minutes keeps a session only until its end.
		tok, _ = f.iss.Issue(ctx, "carol", nil, nil)
		var err error
		for range 3 {
			f.clock.Advance(50 * time.Minute)
			if tok, err = f.iss.Refresh(ctx, tok.RefreshToken); err != nil {
				t.Fatalf("refresh within the session: %v", err)
			}
		}
		if !tok.RefreshExpiresAt.Equal(f.clock.Now().Add(30 * time.Minute)) {
			t.Errorf("last refresh token expires at %v, want the session's end", tok.RefreshExpiresAt)
		}
		f.clock.Advance(31 * time.Minute) // past the 3 h session
		if _, err := f.iss.Refresh(ctx, tok.RefreshToken); !errors.Is(err, issuer.ErrInvalidRefreshToken) {
			t.Fatalf("refresh past the session's end: %v", err)
		}
	})

	t.Run("logout", func(t *testing.T) {
		f := newFixture(t, newStore(t))
		tok, _ := f.iss.Issue(ctx, "dan", nil, nil)
		if err := f.iss.Revoke(ctx, tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if !f.revoked.Has(f.jti(t, tok.AccessToken)) {
			t.Error("the access token was not revoked")
		}
		if _, err := f.iss.Refresh(ctx, tok.RefreshToken); !errors.Is(err, issuer.ErrInvalidRefreshToken) {
			t.Fatalf("refresh after logout: %v", err)
		}
		if err := f.iss.Revoke(ctx, "rt_unknown"); !errors.Is(err, issuer.ErrInvalidRefreshToken) {
			t.Fatalf("Revoke of an unknown token: %v", err)
		}
	})

	t.Run("unknown and malformed tokens", func(t *testing.T) {
		f := newFixture(t, newStore(t))
		tok, _ := f.iss.Issue(ctx, "eve", nil, nil)
		flipped := []byte(tok.RefreshToken)
		flipped[len(flipped)-2] ^= 1
		for _, bad := range []string{"", "rt_", tok.AccessToken, string(flipped), tok.RefreshToken + "x", " " + tok.RefreshToken} {
			if _, err := f.iss.Refresh(ctx, bad); !errors.Is(err, issuer.ErrInvalidRefreshToken) {
				t.Errorf("Refresh(%.12q...): %v, want ErrInvalidRefreshToken", bad, err)
			}
		}
		if _, err := f.iss.Refresh(ctx, tok.RefreshToken); err != nil {
			t.Errorf("the real token after the bad ones: %v", err)
		}
	})
}
