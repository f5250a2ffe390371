package redislimit

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/internal/redistest"
)

// BenchmarkAllow compares the Redis limiter, against a local redis-server,
// with its baseline authrt.MemoryLimiter, over 1024 keys under a limit that
// allows every request: the round trip is the whole difference. "redis"
// uses a client built with ContextTimeoutEnabled; "redis-goroutine" one
// without, for which each call runs in its own goroutine.
func BenchmarkAllow(b *testing.B) {
	s := redistest.Start(b)
	limiters := []struct {
		name string
		l    authrt.RateLimiter
	}{
		{"memory", authrt.NewMemoryLimiter(0)},
		{"redis", newLimiter(b, newClientWith(b, &redis.Options{Addr: s.Addr(), ContextTimeoutEnabled: true}))},
		{"redis-goroutine", newLimiter(b, newClient(b, s.Addr()))},
	}
	limit := authrt.Limit{Rate: 1 << 30, Period: time.Second}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench:subject-%d", i)
	}
	for _, lim := range limiters {
		b.Run("serial/"+lim.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			i := 0
			for b.Loop() {
				if _, err := lim.l.Allow(ctx, keys[i%len(keys)], limit); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	for _, lim := range limiters {
		b.Run("parallel/"+lim.name, func(b *testing.B) {
			b.ReportAllocs()
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				i := int(next.Add(1)) * 7919
				for pb.Next() {
					if _, err := lim.l.Allow(ctx, keys[i%len(keys)], limit); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}
