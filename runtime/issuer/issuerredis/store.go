// Package issuerredis is an issuer.Store in Redis, so that every replica of
// a service can refresh the tokens any of them issued, and reuse of a
// refresh token is detected wherever it is presented. Each operation is
// one Lua script, so rotation is atomic.
//
// Keys, all under one hash tag so that a script may touch them together on
// Redis Cluster, each expiring with what it holds:
//
//	{prefix}:g:<hash>  a refresh token: session ID, expiry, used flag
//	{prefix}:s:<id>    a session: subject, scopes, claims, times, revoked
//	{prefix}:a:<id>    sorted set of the session's access-token jti by exp
package issuerredis

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/issuer"
)

// DefaultPrefix prefixes the keys unless WithPrefix says otherwise.
const DefaultPrefix = "authgen:issuer"

// ErrInvalidOption is returned by New for an option it cannot use.
var ErrInvalidOption = errors.New("issuerredis: invalid option")

// Store is an issuer.Store in Redis. It is safe for concurrent use.
type Store struct {
	client redis.UniversalClient
	tag    string // "{prefix}:"
}

var _ issuer.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store) error

// WithPrefix names the keys "{prefix}:..."; DefaultPrefix by default.
func WithPrefix(p string) Option {
	return func(s *Store) error {
		if p == "" || strings.ContainsAny(p, "{}") {
			return fmt.Errorf("%w: prefix %q", ErrInvalidOption, p)
		}
		s.tag = "{" + p + "}:"
		return nil
	}
}

// New returns a Store on client. Close client yourself.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil Redis client", ErrInvalidOption)
	}
	s := &Store{client: client, tag: "{" + DefaultPrefix + "}:"}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) grantKey(h issuer.Hash) string { return s.tag + "g:" + hex.EncodeToString(h[:]) }

// Create implements issuer.Store.
func (s *Store) Create(ctx context.Context, sess *issuer.Session, h issuer.Hash, exp time.Time, access issuer.AccessRef) error {
	keys := []string{s.tag + "s:" + sess.ID, s.grantKey(h), s.tag + "a:" + sess.ID}
	err := createScript.Run(ctx, s.client, keys,
		sess.Subject, strings.Join(sess.Scopes, " "), string(sess.Claims), sess.CreatedAt.UnixMilli(), sess.ExpiresAt.UnixMilli(),
		sess.ID, exp.UnixMilli(), access.JTI, access.ExpiresAt.UnixMilli()).Err()
	return unavailable(err)
}

// Rotate implements issuer.Store.
func (s *Store) Rotate(ctx context.Context, h, next issuer.Hash, nextExp time.Time, access issuer.AccessRef, now time.Time) (*issuer.Session, []issuer.AccessRef, error) {
	res, err := rotateScript.Run(ctx, s.client, []string{s.grantKey(h), s.grantKey(next)},
		now.UnixMilli(), nextExp.UnixMilli(), access.JTI, access.ExpiresAt.UnixMilli(), s.tag, issuer.MaxAccessRefs,
		issuer.MaxExcessPerRefresh, issuer.MaxRememberedRefs).StringSlice()
	if err != nil {
		return nil, nil, unavailable(err)
	}
	switch {
	case len(res) == 0:
	case res[0] == "invalid":
		return nil, nil, issuer.ErrInvalidRefreshToken
	case res[0] == "backlog" && len(res) >= 2:
		refs, err := accessRefs(res[2:])
		if err != nil {
			return nil, nil, err
		}
		return &issuer.Session{ID: res[1]}, refs, issuer.ErrBacklog
	case res[0] == "reused":
		refs, err := accessRefs(res[1:])
		if err != nil {
			return nil, nil, err
		}
		return nil, refs, issuer.ErrRefreshTokenReused
	case res[0] == "ok" && len(res) >= 7:
		dropped, err := accessRefs(res[7:])
		if err != nil {
			return nil, nil, err
		}
		sess := &issuer.Session{ID: res[1], Subject: res[2], Claims: []byte(res[4])}
		if res[3] != "" {
			sess.Scopes = strings.Split(res[3], " ")
		}
		created, err1 := strconv.ParseInt(res[5], 10, 64)
		expires, err2 := strconv.ParseInt(res[6], 10, 64)
		if err1 == nil && err2 == nil {
			sess.CreatedAt, sess.ExpiresAt = time.UnixMilli(created), time.UnixMilli(expires)
			return sess, dropped, nil
		}
	}
	return nil, nil, fmt.Errorf("issuerredis: unexpected rotate reply %q", res[:min(len(res), 1)])
}

// Forget implements issuer.Store.
func (s *Store) Forget(ctx context.Context, id string, refs []issuer.AccessRef) error {
	if len(refs) == 0 {
		return nil
	}
	members := make([]any, len(refs))
	for i, r := range refs {
		members[i] = r.JTI
	}
	return unavailable(s.client.ZRem(ctx, s.tag+"a:"+id, members...).Err())
}

// Revoke implements issuer.Store.
func (s *Store) Revoke(ctx context.Context, h issuer.Hash, now time.Time) ([]issuer.AccessRef, error) {
	res, err := revokeScript.Run(ctx, s.client, []string{s.grantKey(h)}, now.UnixMilli(), s.tag).StringSlice()
	if err != nil {
		return nil, unavailable(err)
	}
	if len(res) == 0 || res[0] != "ok" {
		return nil, issuer.ErrInvalidRefreshToken
	}
	return accessRefs(res[1:])
}

// accessRefs reads jti, exp-in-ms pairs.
func accessRefs(pairs []string) ([]issuer.AccessRef, error) {
	if len(pairs)%2 != 0 {
		return nil, errors.New("issuerredis: odd access-token list")
	}
	refs := make([]issuer.AccessRef, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		ms, err := strconv.ParseFloat(pairs[i+1], 64)
		if err != nil {
			return nil, fmt.Errorf("issuerredis: access-token expiry %q", pairs[i+1])
		}
		refs = append(refs, issuer.AccessRef{JTI: pairs[i], ExpiresAt: time.UnixMilli(int64(ms))})
	}
	return refs, nil
}

func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: issuerredis: %v", authrt.ErrUnavailable, err)
}
