package redisstore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/apikey"
	"github.com/authgen/authgen/runtime/internal/redistest"
)

// quietRedisLog drops go-redis's own log lines (dial failures while the
// tests stop Redis on purpose).
type quietRedisLog struct{}

func (quietRedisLog) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quietRedisLog{})
	os.Exit(m.Run())
}

// BenchmarkVerifyCached is a hot key verified through a Redis store: served
// from the replica's cache, with no round trip and no allocation beyond
// the Identity.
func BenchmarkVerifyCached(b *testing.B) {
	srv := redistest.Start(b)
	s := newStore(b, srv.Addr(), "bench", WithMaxAge(time.Hour))
	key, _, err := apikey.Issue(context.Background(), s, nil, apikey.KeySpec{Prefix: "sk_test"}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	v := verifier(b, s)
	ctx := context.Background()
	if _, err := v.Verify(ctx, key); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}
