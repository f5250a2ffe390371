package redislimit_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgen/authgen/runtime/authrt"
	"github.com/authgen/authgen/runtime/ratelimit/redislimit"
)

// A limiter shared by every replica of a service, 60 requests a minute per
// caller with bursts of 10. (Not run: it needs a Redis.)
func ExampleNew() {
	client := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
	defer client.Close()
	limiter, err := redislimit.New(client,
		redislimit.WithKeyPrefix("myapi:rl:"),
		redislimit.WithTimeout(50*time.Millisecond))
	if err != nil {
		log.Fatal(err)
	}

	res, err := limiter.Allow(context.Background(), "chat:alice", authrt.Limit{Rate: 60, Burst: 10, Period: time.Minute})
	switch {
	case errors.Is(err, authrt.ErrUnavailable):
		fmt.Println("Redis is down or slow: fall back to a local limiter, or answer 503")
	case err != nil:
		log.Fatal(err) // an invalid Limit, or the context ended
	case !res.Allowed:
		fmt.Printf("429, Retry-After: %.0f\n", res.RetryAfter.Seconds())
	default:
		fmt.Printf("allowed, %d left\n", res.Remaining)
	}
}
